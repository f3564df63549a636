"""Kernels and their numpy twins: the same output bit for bit, and numba loaded only for large batches."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import lsh, minhash, shingle
from dedup.audit import run_audit
from dedup.config import MinHashConfig
from dedup.jit import compiled_only
from tests.conftest import SEED

_records = st.lists(st.lists(st.integers(0, 2**32 - 1), max_size=25), min_size=1, max_size=10)


def _flat(records: list[list[int]], dtype: type = np.uint32) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.zeros(len(records) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in records], out=offsets[1:])
    return np.array([v for r in records for v in r], dtype=dtype), offsets


def _both(kernel, *args: object) -> tuple[object, object]:
    return kernel.numpy(*args), kernel.compiled()(*args)


def _assert_same(twin: object, compiled: object) -> None:
    for a, b in zip(twin, compiled, strict=True):
        assert a.dtype == b.dtype
        assert np.array_equal(a, b)


@settings(max_examples=80, deadline=None)
@given(
    texts=st.lists(st.text(alphabet="ابت ثج  ﻻ\U00010400x", max_size=30), min_size=1, max_size=8), words=st.booleans()
)
def test_unit_hashes(texts: list[str], words: bool) -> None:
    cps, offsets = _flat([[ord(c) for c in t] for t in texts])
    _assert_same(*_both(shingle._units, cps, offsets, words))
    _assert_same(*_both(shingle._units, cps.astype(np.uint16) if cps.max(initial=0) < 2**16 else cps, offsets, words))


@settings(max_examples=80, deadline=None)
@given(records=_records, n=st.integers(1, 7))
def test_ngram_hashes(records: list[list[int]], n: int) -> None:
    units, offsets = _flat(records)
    _assert_same(*_both(shingle._ngrams, units, np.diff(offsets), n))


@settings(max_examples=80, deadline=None)
@given(records=st.lists(st.lists(st.integers(0, 20), max_size=25), min_size=1, max_size=10))
def test_shingle_sets(records: list[list[int]]) -> None:
    _assert_same(*_both(shingle._unique_runs, *_flat(records)))


@settings(max_examples=60, deadline=None)
@given(records=_records, scheme=st.sampled_from(["affine32", "legacy"]), seed=st.integers(0, 2**32 - 1))
def test_signatures(records: list[list[int]], scheme: str, seed: int) -> None:
    hasher = minhash.MinHasher(MinHashConfig(num_perm=16, seed=seed, scheme=scheme))
    hashes, offsets = _flat(records)
    outs = [np.full((len(records), 16), hasher.empty_value, dtype=hasher.dtype) for _ in range(2)]
    for out, run in zip(outs, (hasher._kernel.numpy, hasher._kernel.compiled()), strict=True):
        run(hashes, offsets, hasher.a, hasher.b, out)
    assert np.array_equal(*outs)


@settings(max_examples=80, deadline=None)
@given(records=st.lists(st.lists(st.integers(0, 12), max_size=15), min_size=1, max_size=8), data=st.data())
def test_pair_overlaps(records: list[list[int]], data: st.DataObject) -> None:
    values, offsets = _flat(records)
    index = st.integers(0, len(records) - 1)
    pairs = np.array(data.draw(st.lists(st.tuples(index, index), max_size=12)), dtype=np.int64).reshape(-1, 2)
    _assert_same(*_both(lsh._pair_overlaps, values, offsets, pairs))


def _modules_after(code: str) -> str:
    run = [sys.executable, "-c", f"import sys\n{code}\nprint(sorted(sys.modules), file=sys.stderr)"]
    return subprocess.run(run, capture_output=True, text=True, check=False).stderr


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["paragraphs", "--help"], ["corpus", "--help"], ["paragraphs", str(SEED)], ["normalize", str(SEED)]],
)
def test_the_command_line_loads_no_numba_for_small_work(argv: list[str]) -> None:
    loaded = _modules_after(f"from dedup.cli import main\ntry:\n    main({argv!r})\nexcept SystemExit:\n    pass")
    assert "'dedup.cli'" in loaded
    assert "'numba'" not in loaded
    if "--help" in argv:
        assert "'numpy'" not in loaded


def _bigger_audit_input(tmp_path: Path) -> Path:
    """The README's audit input twice over (other ids): past the size the audit runs interpreted."""
    rows = (SEED.parent / "audit" / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    doubled = [
        json.dumps({**row, "id": f"{k}-{row['id']}", "url": f"{row.get('url', '')}?copy={k}", "title": f"{k}"})
        for k in (1, 2)
        for row in map(json.loads, rows)
    ]
    path = tmp_path / "twice.jsonl"
    path.write_text("\n".join(doubled) + "\n", encoding="utf-8")
    return path


def test_the_command_line_skips_numbas_blas_probe(tmp_path) -> None:
    audit = ["audit", str(_bigger_audit_input(tmp_path)), "--out", str(tmp_path / "out")]
    loaded = _modules_after(
        f"from dedup.cli import main\nmain({audit!r})\nimport numba.np.arraymath as m\nprint(m._HAVE_BLAS)"
    )
    assert "'numba'" in loaded
    assert "'scipy'" not in loaded  # the probe imports scipy.linalg: as long as numba itself takes to load


def test_the_readme_audit_runs_interpreted_and_finds_what_the_compiled_kernels_find(tmp_path) -> None:
    """The README's first command waits for no compiler (numba is not even loaded), and the kernels'
    own Python bodies give the files the compiled kernels give."""
    articles = SEED.parent / "audit" / "articles.jsonl"
    loaded = _modules_after(
        f"from dedup.cli import main\nmain(['audit', {str(articles)!r}, '--out', {str(tmp_path / 'a')!r}])"
    )
    assert "'dedup.audit.run'" in loaded and "'numba'" not in loaded
    with compiled_only():
        run_audit(articles, tmp_path / "b")
    for name in ("pairs.csv", "same_outlet_pairs.csv", "boilerplate.csv", "clusters.json", "outlets.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name

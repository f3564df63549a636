"""Arbitrary JSON rows (issue 14): a corpus run finishes, accounts for every row and keeps only usable ones."""

import csv
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dedup.corpus import CorpusOptions, run_corpus
from tests.conftest import SAMPLE

_SENTENCES = [
    line.split("\n")[0] for line in (json.loads(row)["text"] for row in SAMPLE.read_text("utf-8").splitlines())
]
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8))
_JSON = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner))
_TEXTS = st.one_of(st.sampled_from(_SENTENCES[:12]), _JSON)
_ROWS = st.one_of(
    st.fixed_dictionaries({"id": _JSON, "text": _TEXTS}, optional={"published": _JSON, "x": _JSON}),
    st.fixed_dictionaries({"id": st.text(max_size=3) | st.integers(0, 9), "text": _TEXTS}),
    _JSON,
)
_LINES = st.lists(
    st.one_of(_ROWS.map(json.dumps), st.sampled_from(["{bad", "[" * 5000 + "]" * 5000, '"\\ud800"', "", "  "])),
    max_size=25,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=_LINES, level=st.sampled_from(["document", "paragraph"]))
def test_any_json_rows_are_accounted_for(tmp_path_factory, lines, level) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "rows.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    manifest = run_corpus(path, folder / "out", opts=CorpusOptions(workers=1, batch_size=4, level=level))
    counts = manifest["counts"]
    assert counts["read"] == sum(bool(line.strip()) for line in lines)
    assert counts["read"] == counts["kept"] + counts["duplicates"] + counts["rejected"]
    with (folder / "out" / "rejected.csv").open(encoding="utf-8") as handle:
        assert sum(1 for _ in csv.DictReader(handle)) == counts["rejected"]
    kept = folder / "out" / "kept" / "rows.jsonl"
    rows = [json.loads(line) for line in kept.open(encoding="utf-8")] if kept.exists() else []
    assert len(rows) == counts["kept"]
    assert all(isinstance(r["id"], str | int) and not isinstance(r["id"], bool) for r in rows)
    assert all(isinstance(r["text"], str) and r["text"].strip() for r in rows)

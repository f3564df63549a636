import hashlib

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import minhash, shingle
from dedup.config import DedupConfig, MinHashConfig, ShingleConfig
from dedup.minhash import MinHasher
from dedup.normalize import normalize
from dedup.pipeline import Pipeline
from dedup.shingle import datasketch_hashfunc, hash_batch, shingles


def _datasketch_signature(tokens: list[bytes], num_perm: int, scheme: str, hashfunc) -> np.ndarray:
    m = MinHash(num_perm=num_perm, scheme=scheme, hashfunc=hashfunc)
    if tokens:
        m.update_batch(tokens)
    return m.hashvalues


@pytest.mark.parametrize("scheme", ["affine32", "legacy"])
@pytest.mark.parametrize("num_perm", [128, 256])
@pytest.mark.parametrize("shingle", [ShingleConfig(), ShingleConfig(hash="sha1"), ShingleConfig(kind="char", n=4)])
def test_signatures_equal_datasketch_on_real_arabic(
    seed_text, sample_texts, scheme, num_perm, shingle, kernels
) -> None:
    texts = [normalize(t) for t in seed_text.split("\n") + sample_texts[:40]]
    hashes, offsets = hash_batch(texts, shingle)
    ours = MinHasher(MinHashConfig(num_perm=num_perm, scheme=scheme)).sign(hashes, offsets)
    hashfunc = datasketch_hashfunc(shingle)
    for row, text in zip(ours, texts, strict=True):
        tokens = [s.encode("utf-8") for s in shingles(text, shingle)]
        expected = _datasketch_signature(tokens, num_perm, scheme, hashfunc)
        assert row.dtype == expected.dtype
        assert np.array_equal(row, expected)


@settings(max_examples=60, deadline=None)
@given(
    records=st.lists(st.lists(st.integers(0, 2**32 - 1), max_size=30), min_size=1, max_size=12),
    scheme=st.sampled_from(["affine32", "legacy"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_signatures_equal_datasketch_on_any_token_hashes(records, scheme, seed, kernels) -> None:
    offsets = np.cumsum([0] + [len(r) for r in records])
    hashes = np.array([h for r in records for h in r], dtype=np.uint32)
    ours = MinHasher(MinHashConfig(num_perm=16, seed=seed, scheme=scheme)).sign(hashes, offsets)
    for row, record in zip(ours, records, strict=True):
        m = MinHash(num_perm=16, seed=seed, scheme=scheme, hashfunc=int)
        if record:
            m.update_batch(record)
        assert np.array_equal(row, m.hashvalues)


def test_lean_minhash_goes_into_a_datasketch_index(seed_text) -> None:
    lines = [normalize(t) for t in seed_text.split("\n")]
    hasher = MinHasher(MinHashConfig())
    signatures = hasher.sign(*hash_batch(lines, ShingleConfig()))
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    for i in range(19):  # the first copy of the article
        lsh.insert(i, hasher.lean(signatures[i]))
    assert lsh.query(hasher.lean(signatures[21])) == [0]  # line 22 is line 1 again
    assert lsh.query(hasher.lean(signatures[41])) == []  # the footer copies nothing


def test_bad_settings_are_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="scheme"):
        MinHashConfig(scheme="affine64")
    with pytest.raises(ValueError, match="num_perm"):
        MinHashConfig(num_perm=0)


@pytest.mark.parametrize("path", ["numpy", "compiled"])
def test_seed_article_signatures_golden_values(seed_text, path) -> None:
    # Pinned (sha256 of the 45 × 128 uint32 signatures of the seed article's lines, default settings), on the
    # numpy twins and on the compiled kernels: a change to the hash or the signing arithmetic fails here.
    lines = seed_text.split("\n")
    pipeline = Pipeline(DedupConfig())
    run = (lambda kernel: kernel.numpy) if path == "numpy" else (lambda kernel: kernel.compiled())
    cps, offsets = pipeline.profile.normalize_batch(lines)
    hashes, hash_offsets = run(shingle._ngrams)(*run(shingle._units)(cps, offsets, True), 5)
    signatures = np.full((len(lines), 128), pipeline.hasher.empty_value, dtype=np.uint32)
    run(minhash._sign_affine32)(hashes, hash_offsets, pipeline.hasher.a, pipeline.hasher.b, signatures)
    assert signatures[0, :6].tolist() == [399748907, 105969983, 708547243, 53801722, 624674328, 282774431]
    digest = hashlib.sha256(signatures.tobytes()).hexdigest()
    assert digest == "5edca32bfe5089d25f287cb93e75146492a29ac62921900535a093eae791c7f6"
    assert np.array_equal(pipeline.sign(lines).signatures, signatures)

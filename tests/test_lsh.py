import numpy as np
import pytest
from datasketch.lsh import _optimal_param
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.lsh import band_keys, candidate_pairs, connected_components, exact_jaccard, optimal_params


@pytest.mark.parametrize("threshold", [0.5, 0.8, 0.9])
@pytest.mark.parametrize("num_perm", [64, 128, 256])
def test_band_params_match_datasketch(threshold, num_perm) -> None:
    assert optimal_params(threshold, num_perm) == _optimal_param(threshold, num_perm, 0.5, 0.5)


def _brute_force_pairs(signatures: np.ndarray, bands: int, rows: int) -> set[tuple[int, int]]:
    out = set()
    for i in range(len(signatures)):
        for j in range(i + 1, len(signatures)):
            a, b = signatures[i].reshape(-1)[: bands * rows], signatures[j].reshape(-1)[: bands * rows]
            if any(np.array_equal(a[k * rows : (k + 1) * rows], b[k * rows : (k + 1) * rows]) for k in range(bands)):
                out.add((i, j))
    return out


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 40), bands=st.integers(1, 6), rows=st.integers(1, 3))
def test_candidates_are_exactly_the_pairs_sharing_a_band(seed, n, bands, rows) -> None:
    rng = np.random.default_rng(seed)
    # Few distinct values so that bands collide often, buckets of all sizes included.
    signatures = rng.integers(0, 3, size=(n, bands * rows), dtype=np.uint32)
    pairs = candidate_pairs(band_keys(signatures, bands, rows), max_bucket_pairs=n)
    assert set(map(tuple, pairs.tolist())) == _brute_force_pairs(signatures, bands, rows)


def test_huge_bucket_stays_connected_with_bounded_pairs() -> None:
    signatures = np.zeros((500, 4), dtype=np.uint32)
    pairs = candidate_pairs(band_keys(signatures, 1, 4), max_bucket_pairs=3)
    assert len(pairs) <= (3 + 1) * 500  # three neighbours plus the bucket head, not 500²/2
    assert set(connected_components(500, pairs).tolist()) == {0}


def _union_find(n: int, edges: list[tuple[int, int]]) -> list[int]:
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        parent[max(ra, rb)] = min(ra, rb)
    return [find(x) for x in range(n)]


@settings(max_examples=150, deadline=None)
@given(n=st.integers(1, 60), data=st.data())
def test_components_equal_union_find(n, data) -> None:
    edges = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=80))
    pairs = np.array(edges, dtype=np.int64).reshape(-1, 2)
    assert connected_components(n, pairs).tolist() == _union_find(n, edges)


def test_exact_jaccard(kernels) -> None:
    assert exact_jaccard(np.array([1, 2, 3]), np.array([2, 3, 4])) == 0.5
    assert exact_jaccard(np.array([], dtype=np.uint32), np.array([], dtype=np.uint32)) == 0.0


def test_containment_finds_partial_and_wrapped_copies_that_jaccard_misses(sample_texts) -> None:
    from dedup.config import DedupConfig, LSHConfig
    from dedup.pipeline import Pipeline

    article = next(t for t in sample_texts if len(t.split()) > 300)
    words = article.split()
    half = " ".join(words[: len(words) // 2])
    wrapped = f"{sample_texts[0]}\n{article}\n{sample_texts[1]}"
    texts = [article, half, wrapped, sample_texts[2]]
    by_jaccard = Pipeline(DedupConfig(lsh=LSHConfig(threshold=0.8)))
    by_containment = Pipeline(DedupConfig(lsh=LSHConfig(threshold=0.8, verify="containment")))
    jaccard_pairs, _ = by_jaccard.similar_in_batch(by_jaccard.sign(texts))
    pairs, sims = by_containment.similar_in_batch(by_containment.sign(texts))
    assert {(0, 1), (0, 2), (1, 2)} == set(map(tuple, pairs.tolist()))
    assert min(sims) >= 0.95
    assert (0, 1) not in set(map(tuple, jaccard_pairs.tolist()))  # half a text: Jaccard about 0.5


def test_containment_of_pairs_counts_the_smaller_set(kernels) -> None:
    from dedup.lsh import containment_of_pairs

    sets = np.array([1, 2, 3, 4, 2, 3, 9], dtype=np.uint32)
    offsets = np.array([0, 4, 7])
    assert containment_of_pairs(sets, offsets, np.array([[0, 1]])).tolist() == [2 / 3]
    assert containment_of_pairs(sets, offsets, np.array([[0, 1]]), min_shared=3).tolist() == [0.0]  # too short
    assert containment_of_pairs(sets, offsets, np.array([[0, 0]]), min_shared=9).tolist() == [1.0]  # identical


_RUN = st.lists(st.one_of(st.integers(0, 6), st.integers(0, 2**32 - 1)), max_size=40)  # small values repeat


@settings(max_examples=300, deadline=None)  # the first call may compile the kernel
@given(runs=st.lists(_RUN, min_size=1, max_size=6), data=st.data())
def test_overlaps_of_raw_runs_equal_python_sets(runs, data, kernels) -> None:
    from dedup.lsh import overlaps

    values = np.array([v for run in runs for v in run], dtype=np.uint32)
    offsets = np.concatenate([[0], np.cumsum([len(run) for run in runs])])
    index = st.integers(0, len(runs) - 1)
    pairs = np.array(data.draw(st.lists(st.tuples(index, index), min_size=1, max_size=10)), dtype=np.int64)
    inter, size_a, size_b = overlaps(values, offsets, pairs)
    sets = [set(run) for run in runs]
    assert inter.tolist() == [len(sets[i] & sets[j]) for i, j in pairs.tolist()]
    assert size_a.tolist() == [len(sets[i]) for i, _ in pairs.tolist()]
    assert size_b.tolist() == [len(sets[j]) for _, j in pairs.tolist()]


def test_raw_shingles_and_sorted_sets_give_the_same_similarities(sample_texts, kernels) -> None:
    from dedup.pipeline import Pipeline

    pipeline = Pipeline()
    batch = pipeline.sign(sample_texts[:60])
    pairs = np.array([(i, j) for i in range(60) for j in range(i, 60)], dtype=np.int64)
    from_sets = pipeline.similarity(None, pairs, (batch.hashes, batch.offsets))
    from_raw = pipeline.similarity(None, pairs, (batch.shingles, batch.shingle_offsets))
    assert np.array_equal(from_sets, from_raw)
    assert (np.diff(batch.shingle_offsets) > np.diff(batch.offsets)).any()  # some texts do repeat a shingle


@settings(max_examples=200, deadline=None)
@given(keys=st.lists(st.integers(0, 2**64 - 1) | st.integers(0, 5), max_size=200))
def test_stable_order_equals_a_stable_sort(keys) -> None:
    from dedup.lsh import stable_order

    array = np.array(keys, dtype=np.uint64)
    order, sorted_keys = stable_order(array)
    assert order.tolist() == np.argsort(array, kind="stable").tolist()
    assert sorted_keys.tolist() == sorted(keys)

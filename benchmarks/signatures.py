"""Records/s of signing real Arabic paragraphs: datasketch MinHash.bulk vs our bit-identical and fast paths.

Run: python benchmarks/signatures.py [--records 20000] [--num-perm 128]
Writes benchmarks/results/signatures.json and signatures.png.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("RAYON_NUM_THREADS", "1")  # rensa on one core too

import numpy as np
from _common import RESULTS, paragraphs, print_table, save_plot, single_core, timed, write_results
from datasketch import MinHash

from dedup.config import DedupConfig, MinHashConfig, ShingleConfig
from dedup.minhash import MinHasher
from dedup.normalize import get_profile
from dedup.pipeline import Pipeline
from dedup.shingle import hash_codepoints, shingles

REPEAT = 3  # every method: best of three runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--num-perm", type=int, default=128)
    args = parser.parse_args()
    texts = paragraphs(args.records)
    profile = get_profile("search")
    hasher = MinHasher(MinHashConfig(num_perm=args.num_perm))
    sha1_cfg, fast_cfg = ShingleConfig(hash="sha1"), ShingleConfig()

    def tokens() -> list[list[bytes]]:
        return [[s.encode("utf-8") for s in shingles(profile.normalize(t), sha1_cfg)] for t in texts]

    def ours(cfg: ShingleConfig) -> np.ndarray:
        return Pipeline(DedupConfig(shingle=cfg, minhash=hasher.cfg)).sign(texts).signatures

    ours(fast_cfg)  # compile (or load from numba's cache) the kernels outside the timings

    with single_core():
        t_tokens, token_lists = timed(tokens, REPEAT)
        t_bulk, bulk = timed(lambda: MinHash.bulk(token_lists, num_perm=args.num_perm), REPEAT)
        t_exact, exact = timed(lambda: ours(sha1_cfg), REPEAT)
        t_fast, _ = timed(lambda: ours(fast_cfg), REPEAT)
        identical = all(np.array_equal(m.hashvalues, row) for m, row in zip(bulk, exact, strict=True))
        flat, offsets = hash_codepoints(*profile.normalize_batch(texts), fast_cfg)
        t_sign, _ = timed(lambda: hasher.sign(flat, offsets), REPEAT)
        t_rensa = _rensa(flat, offsets, args.num_perm)

    n = len(texts)
    rows = [
        ["datasketch MinHash.bulk (signing only, tokens given)", t_bulk, n / t_bulk, 1.0],
        [
            "datasketch: normalize + shingle + MinHash.bulk",
            t_tokens + t_bulk,
            n / (t_tokens + t_bulk),
            t_bulk / (t_tokens + t_bulk),
        ],
        ["dedup sha1 path, bit-identical (end to end)", t_exact, n / t_exact, t_bulk / t_exact],
        ["dedup fast path (end to end)", t_fast, n / t_fast, t_bulk / t_fast],
        ["dedup signing step alone", t_sign, n / t_sign, t_bulk / t_sign],
    ]
    if t_rensa is not None:
        rows.append(["rensa digest_matrix_from_flat_token_hashes", t_rensa, n / t_rensa, t_bulk / t_rensa])
    print(
        f"best of {REPEAT} runs each; {n:,} SaudiNewsNet paragraphs, {int(offsets[-1]):,} word 5-gram shingles, "
        f"num_perm {args.num_perm}, one core"
    )
    print_table(["method", "seconds", "records/s", "× MinHash.bulk"], rows)
    print(f"sha1 path equals datasketch element for element: {identical}")
    if t_rensa is not None:
        print(f"signing step / rensa: {t_sign / t_rensa:.2f}× the time")
    path = write_results(
        "signatures",
        {
            "records": n,
            "shingles": int(offsets[-1]),
            "num_perm": args.num_perm,
            "bit_identical": identical,
            "rows": [{"method": r[0], "seconds": r[1], "records_per_s": r[2], "speedup_vs_bulk": r[3]} for r in rows],
        },
    )
    _plot(rows)
    print(f"wrote {path} and {RESULTS / 'signatures.png'}")


def _rensa(flat: np.ndarray, offsets: np.ndarray, num_perm: int) -> float | None:
    try:
        from rensa import RMinHash
    except ImportError:
        print("rensa is not installed (pip install '.[bench]'); skipping its column")
        return None
    hashes64 = flat.astype(np.uint64)
    seconds, _ = timed(
        lambda: RMinHash.digest_matrix_from_flat_token_hashes(hashes64, offsets.astype(np.uint64), num_perm, 42),
        REPEAT,
    )
    return seconds


def _plot(rows: list[list]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.barh([r[0] for r in rows][::-1], [r[2] for r in rows][::-1], color="#3b7dd8")
    ax.set_xscale("log")
    ax.set_xlabel("records per second (log scale, one core)")
    ax.set_title("MinHash signing of Arabic paragraphs")
    fig.tight_layout()
    save_plot(fig, "signatures")


if __name__ == "__main__":
    main()

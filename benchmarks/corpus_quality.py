"""Precision and recall of duplicate pairs found vs brute-force exact Jaccard, on real news with planted copies.

Corpus: a fixed random sample of SaudiNewsNet articles (with their natural duplicates) plus copies of some of
them made the way web copies are made (orthographic noise, word edits, a republisher's header and footer,
truncation). Truth: every pair whose exact Jaccard of normalized word 5-gram sets reaches the threshold,
computed for all pairs at once with a sparse matrix product.

Run: python benchmarks/corpus_quality.py [--docs 5000 --copies 600]
Writes benchmarks/results/corpus_quality.json and corpus_quality.png.
"""

from __future__ import annotations

import argparse
import random

import numpy as np
from _common import print_table, saudinewsnet, save_plot, timed, write_results
from scipy import sparse

from dedup.config import DedupConfig, LSHConfig
from dedup.noise import edit_words, perturb
from dedup.pipeline import Pipeline

HEADER = "نقدم لكم في موقعنا تفاصيل الخبر التالي كما ورد من مصادره ونتمنى لكم قراءة ممتعة ومفيدة مع تحيات فريق التحرير"
FOOTER = "كما تجدر الاشارة بان الخبر الاصلي قد تم نشره على موقع اخر وقد قام فريق التحرير بنقله وربما تم التعديل عليه"


def planted_corpus(docs: int, copies: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """Texts and a label per text: ``original`` or the kind of planted copy."""
    articles = [a["content"] for a in saudinewsnet() if (a.get("content") or "").strip()]
    rng = random.Random(seed)
    texts = rng.sample(articles, docs)
    kinds = ["original"] * docs
    makers = {
        "noise": lambda t: perturb(t, rng),
        "edit_2pct": lambda t: edit_words(t, 0.02, rng),
        "edit_5pct": lambda t: edit_words(t, 0.05, rng),
        "header_footer": lambda t: f"{HEADER}\n{t}\n{FOOTER}",
        "truncated_90pct": lambda t: " ".join(t.split(" ")[: int(len(t.split(" ")) * 0.9)]),
        "noise_and_edit_2pct": lambda t: perturb(edit_words(t, 0.02, rng), rng),
    }
    names = list(makers)
    for k in range(copies):
        kind = names[k % len(names)]
        texts.append(makers[kind](texts[rng.randrange(docs)]))
        kinds.append(kind)
    return texts, kinds


def exact_pairs(pipeline: Pipeline, batch, threshold: float) -> set[tuple[int, int]]:
    """All pairs with exact Jaccard >= threshold, by a sparse product of the document-shingle matrix."""
    _, columns = np.unique(batch.hashes, return_inverse=True)
    rows = np.repeat(np.arange(len(batch.offsets) - 1), np.diff(batch.offsets))
    x = sparse.csr_matrix((np.ones(len(columns), dtype=np.float32), (rows, columns)))  # batch.hashes are sets
    sizes = np.asarray(x.sum(axis=1)).ravel()
    inter = sparse.triu(x @ x.T, k=1).tocoo()
    jaccard = inter.data / (sizes[inter.row] + sizes[inter.col] - inter.data)
    keep = jaccard >= threshold
    return set(zip(inter.row[keep].tolist(), inter.col[keep].tolist(), strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=5000)
    parser.add_argument("--copies", type=int, default=600)
    args = parser.parse_args()
    texts, kinds = planted_corpus(args.docs, args.copies)
    rows, results = [], []
    for threshold in (0.7, 0.8, 0.9):
        truth: set[tuple[int, int]] | None = None
        for verify in ("exact", "estimate"):
            pipeline = Pipeline(DedupConfig(lsh=LSHConfig(threshold=threshold, verify=verify)))
            seconds, batch = timed(lambda p=pipeline: p.sign(texts))
            t_pairs, (pairs, _) = timed(lambda p=pipeline, b=batch: p.similar_in_batch(b))
            truth = truth if truth is not None else exact_pairs(pipeline, batch, threshold)
            found = set(map(tuple, pairs.tolist()))
            hits = len(found & truth)
            precision = hits / len(found) if found else 1.0
            recall = hits / len(truth) if truth else 1.0
            f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
            linked = {i for pair in found for i in pair}
            by_kind = {}
            for kind in sorted(set(kinds) - {"original"}):
                members = [i for i, k in enumerate(kinds) if k == kind]
                by_kind[kind] = sum(i in linked for i in members) / len(members)
            rows.append(
                [
                    threshold,
                    verify,
                    f"{pipeline.bands}×{pipeline.rows}",
                    len(truth),
                    len(found),
                    f"{precision:.4f}",
                    f"{recall:.4f}",
                    f"{f1:.4f}",
                    f"{seconds + t_pairs:.2f}",
                ]
            )
            results.append(
                {
                    "threshold": threshold,
                    "verify": verify,
                    "bands": pipeline.bands,
                    "rows": pipeline.rows,
                    "truth_pairs": len(truth),
                    "found_pairs": len(found),
                    "precision": precision,
                    "recall": recall,
                    "f1": f1,
                    "seconds": seconds + t_pairs,
                    "planted_copies_linked_by_kind": by_kind,
                }
            )
    print(f"{len(texts):,} documents: {args.docs:,} SaudiNewsNet articles + {args.copies} planted copies")
    print_table(["threshold", "verify", "bands×rows", "truth pairs", "found", "precision", "recall", "F1", "s"], rows)
    print("share of planted copies linked to some document, by kind (threshold 0.8, exact verification):")
    for kind, share in results[2]["planted_copies_linked_by_kind"].items():
        print(f"  {kind:<22} {share:.3f}")
    write_results("corpus_quality", {"docs": args.docs, "copies": args.copies, "results": results})
    _plot(results)


def _plot(results: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    for verify, style in (("exact", "-"), ("estimate", "--")):
        chosen = [r for r in results if r["verify"] == verify]
        for key in ("precision", "recall"):
            ax.plot(
                [r["threshold"] for r in chosen],
                [r[key] for r in chosen],
                style,
                marker="o",
                label=f"{key} ({verify} verification)",
            )
    ax.set_ylim(0.75, 1.01)
    ax.set_xlabel("Jaccard threshold")
    ax.set_title("Duplicate pairs vs brute-force exact Jaccard")
    ax.legend()
    fig.tight_layout()
    save_plot(fig, "corpus_quality")


if __name__ == "__main__":
    main()

"""Recall of ``dedup audit`` on all of SaudiNewsNet against an exhaustive containment pass.

The exhaustive pass compares every cross-outlet pair of articles that share at least one word
5-gram of the audit's own sets (after each outlet's boilerplate; every posting list is at most
``--max-df`` long, so this is a few million pairs) and keeps those whose containment reaches 0.5
in either direction. Recall is the share of those the audit reports; the pairs it leaves out
are broken down by why (most of the shared text is common: templates and formulas; too little
rare text to become a candidate). The audit's extra pairs are its passages (a shared run of
``--min-passage-words`` with both shares under 0.5), which the exhaustive pass does not count.

Run: python benchmarks/audit_recall.py   (writes results/audit_recall.json and .png)
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import print_table, saudinewsnet_jsonl, save_plot, write_results

from dedup.audit import AuditOptions, run_audit
from dedup.audit.load import crawl_duplicates, load_articles
from dedup.audit.match import Matcher, _posting_pairs
from dedup.lsh import overlaps
from dedup.normalize import get_profile

BUCKETS = [(0.5, 0.6), (0.6, 0.8), (0.8, 1.01)]


def exhaustive(matcher: Matcher) -> tuple[np.ndarray, np.ndarray]:
    """Every cross-outlet pair with containment >= 0.5 one way or the other, and its larger share."""
    owner = np.repeat(np.arange(len(matcher.articles)), np.diff(matcher.set_offsets))
    order = np.argsort(matcher.sets, kind="stable")
    hashes, owner = matcher.sets[order], owner[order]
    bounds = np.flatnonzero(np.concatenate(([True], hashes[1:] != hashes[:-1], [True])))
    keys, n = _posting_pairs(owner, bounds[:-1], bounds[1:])
    keys = np.unique(keys)
    pairs = np.stack([keys // n, keys % n], axis=1)
    pairs = pairs[matcher.outlet_of[pairs[:, 0]] != matcher.outlet_of[pairs[:, 1]]]
    shared, size_a, size_b = overlaps(matcher.sets, matcher.set_offsets, pairs)
    share = shared / np.maximum(np.minimum(size_a, size_b), 1)
    keep = share >= 0.5
    return pairs[keep], share[keep]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--template-days", type=int, default=AuditOptions.template_days)
    args = parser.parse_args()
    corpus = saudinewsnet_jsonl(Path(tempfile.gettempdir()) / "dedup-bench" / "saudinewsnet.jsonl")
    opts = AuditOptions(template_days=args.template_days)
    out = Path(tempfile.mkdtemp(prefix="dedup-audit-recall-")) / "audit"
    start = time.perf_counter()
    summary = run_audit(corpus, out, opts=opts)
    seconds = time.perf_counter() - start
    with (out / "pairs.csv").open(encoding="utf-8") as handle:
        reported = {frozenset((r["source_id"], r["copy_id"])) for r in csv.DictReader(handle)}

    articles, _ = crawl_duplicates(load_articles(corpus, opts).articles)
    matcher = Matcher(articles, opts, get_profile("search"), 5)
    truth, share = exhaustive(matcher)
    ids = [a.id for a in articles]
    found = np.array([frozenset((ids[a], ids[b])) in reported for a, b in truth.tolist()], dtype=bool)
    # Why a pair was left out: mostly common text, or too little rare text to be a candidate.
    rare_pairs, rare_counts = matcher.candidates()
    rare = {(int(a), int(b)): int(c) for (a, b), c in zip(rare_pairs.tolist(), rare_counts.tolist(), strict=True)}
    shared, _, _ = overlaps(matcher.sets, matcher.set_offsets, truth)
    reasons = {"mostly common text (templates, formulas)": 0, "fewer than 3 rare 5-grams": 0, "other": 0}
    for (a, b), total, hit in zip(truth.tolist(), shared.tolist(), found.tolist(), strict=True):
        if hit:
            continue
        count = rare.get((min(a, b), max(a, b)), 0)
        if count < 3:
            reasons["fewer than 3 rare 5-grams"] += 1
        elif count * 2 < total:
            reasons["mostly common text (templates, formulas)"] += 1
        else:
            reasons["other"] += 1
    rows = []
    for lo, hi in BUCKETS:
        inside = (share >= lo) & (share < hi)
        bucket_recall = round(float(found[inside].mean()), 3) if inside.any() else 1.0
        rows.append([f"{lo:.1f}-{min(hi, 1.0):.1f}", int(inside.sum()), int(found[inside].sum()), str(bucket_recall)])
    recall = float(found.mean()) if len(found) else 1.0
    print(f"dedup audit on SaudiNewsNet: {summary['pairs']:,} cross-outlet pairs in {seconds:.1f} s (in-process)")
    print(f"exhaustive pass: {len(truth):,} cross-outlet pairs with containment >= 0.5 either way")
    print_table(["larger share", "pairs", "reported", "recall"], rows)
    print(f"recall {recall:.3f}; left out: " + ", ".join(f"{k} {v:,}" for k, v in reasons.items()))
    print(f"passages and excerpts beyond the exhaustive set: {summary['extent']}")
    write_results(
        "audit_recall",
        {
            "template_days": opts.template_days,
            "exhaustive_pairs": len(truth),
            "reported_pairs": summary["pairs"],
            "recall": recall,
            "by_share": [dict(zip(["share", "pairs", "reported", "recall"], r, strict=True)) for r in rows],
            "left_out": reasons,
            "extent": summary["extent"],
            "relation": summary["relation"],
            "attribution": summary["attribution"],
            "audit_seconds_in_process": round(seconds, 2),
        },
    )
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.bar([r[0] for r in rows], [r[3] for r in rows], color="#4c72b0")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("larger of the two containments")
    ax.set_ylabel("recall of dedup audit")
    ax.set_title(f"SaudiNewsNet: {len(truth):,} pairs, recall {recall:.3f}")
    fig.tight_layout()
    save_plot(fig, "audit_recall")


if __name__ == "__main__":
    main()

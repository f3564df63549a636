"""An Arabic near-duplicate benchmark: labeled pairs by class, this tool and its peers measured on them.

Data (rebuilt from ../shared/data with fixed seeds): real SaudiNewsNet articles that share nothing with one
another, each class taking its own; copy classes pair an article with a variant made from it (exact copy;
orthographic noise; wrapped in a republisher's header and footer; first half; every other paragraph;
5%, 10% and 20% of words changed; a real paragraph and its noisy copy). Hard negatives: two articles on the
same event from two outlets, written independently (same day, similar titles, few shared phrases); two
articles of one outlet sharing only its boilerplate; pairs of short look-alike questions (Mawdoo3 Q2Q,
labeled different); two different articles that both carry one agency paragraph; unrelated articles (every
pair not labeled is a negative).

Every method sees all documents at once; a pair counts as found when the method puts both documents in
one cluster (what a deduplicator acts on). Per class: recall of its pairs, precision among the found pairs
that touch its documents, F1; for negative classes, the share wrongly found.

Run: python benchmarks/quality.py [--per-class 40]
Writes benchmarks/results/quality.json, quality.png (parameter study).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from _common import SHARED, print_table, saudinewsnet, save_plot, write_results
from datasketch import MinHash, MinHashLSH

from dedup.config import DedupConfig, LSHConfig, MinHashConfig, ShingleConfig
from dedup.lsh import connected_components
from dedup.noise import edit_words, perturb
from dedup.normalize import normalize
from dedup.pipeline import Pipeline

COPY_CLASSES = [
    "exact",
    "noise",
    "wrapped",
    "first_half",
    "every_other_paragraph",
    "edit_5pct",
    "edit_10pct",
    "edit_20pct",
    "paragraph_noise",
]
NEGATIVE_CLASSES = ["same_event", "same_outlet_boilerplate", "shared_agency_paragraph", "short_lookalike"]


# --- the data ---------------------------------------------------------------------------------


def _words(text: str) -> set[str]:
    return set(normalize(text).split())


def build(per_class: int, seed: int = 7) -> tuple[list[str], list[tuple[int, int, str]]]:
    """Documents, and labeled pairs (i, j, class)."""
    rng = random.Random(seed)
    articles = [
        a
        for a in saudinewsnet()
        if (a.get("content") or "").count("\n") >= 3 and 150 <= len((a.get("content") or "").split()) <= 600
    ]
    docs: list[str] = []
    labels: list[tuple[int, int, str]] = []

    def add(text: str) -> int:
        docs.append(text)
        return len(docs) - 1

    def unused(text: str) -> bool:
        """Each source text is used once in the whole benchmark: a second use would be an unlabeled duplicate."""
        key = normalize(text)
        if key in used:
            return False
        used.add(key)
        return True

    used: set[str] = set()

    # Base articles: no two share more than 5% of their word 5-grams (natural copies left out).
    pipeline = Pipeline()
    pool = rng.sample(articles, min(len(articles), 4000))
    batch = pipeline.sign([a["content"] for a in pool])
    chosen, seen = [], np.zeros(0, dtype=np.uint32)
    need = per_class * (len(COPY_CLASSES) + 5) + 40
    for i in range(len(pool)):
        own = batch.shingle_set(i)
        if len(own) and np.isin(own, seen).mean() < 0.05 and unused(pool[i]["content"]):
            chosen.append(pool[i])
            seen = np.union1d(seen, own)
        if len(chosen) >= need:
            break
    stream = iter(chosen)
    filler = " ".join(a["content"] for a in articles[:50]).split()

    makers = {
        "exact": lambda t: t,
        "noise": lambda t: perturb(t, rng),
        "wrapped": lambda t: " ".join(rng.sample(filler, 75)) + "\n" + t + "\n" + " ".join(rng.sample(filler, 75)),
        "first_half": lambda t: "\n".join(t.split("\n")[: max(1, len(t.split("\n")) // 2)]),
        "every_other_paragraph": lambda t: "\n".join(t.split("\n")[::2]),
        "edit_5pct": lambda t: edit_words(t, 0.05, rng, "تعديل"),
        "edit_10pct": lambda t: edit_words(t, 0.10, rng, "تعديل"),
        "edit_20pct": lambda t: edit_words(t, 0.20, rng, "تعديل"),
    }
    for name, make in makers.items():
        for _ in range(per_class):
            text = next(stream)["content"]
            labels.append((add(text), add(make(text)), name))
    for _ in range(per_class):
        paragraph = max(next(stream)["content"].split("\n"), key=len)
        labels.append((add(paragraph), add(perturb(paragraph, rng)), "paragraph_noise"))
    # Same outlet, different articles, shared boilerplate only.
    boilerplate = "\n".join(" ".join(rng.sample(filler, 15)) for _ in range(3))
    for _ in range(per_class):
        a, b = next(stream), next(stream)
        labels.append(
            (add(a["content"] + "\n" + boilerplate), add(b["content"] + "\n" + boilerplate), "same_outlet_boilerplate")
        )
    # Two different articles that both carry one agency paragraph (a third article's longest), after their first.
    for _ in range(per_class):
        a, b, agency = next(stream), next(stream), next(stream)
        shared = max(agency["content"].split("\n"), key=len)

        def carrying(article: dict, paragraph: str = shared) -> str:
            first, *rest = article["content"].split("\n")
            return "\n".join([first, paragraph, *rest])

        labels.append((add(carrying(a)), add(carrying(b)), "shared_agency_paragraph"))
    # Same event, two outlets, written independently: same day, similar titles, few shared 5-grams.
    by_day = defaultdict(list)
    for a in articles[:12000]:
        by_day[(a.get("date_extracted") or "")[:10]].append(a)
    events = []
    for day in sorted(by_day):
        items = by_day[day]
        for x in range(len(items)):
            for y in range(x + 1, len(items)):
                a, b = items[x], items[y]
                ta, tb = _words(a.get("title") or ""), _words(b.get("title") or "")
                if a["source"] != b["source"] and len(ta & tb) >= 4 and len(ta & tb) / len(ta | tb) >= 0.4:
                    events.append((a, b))
    rng.shuffle(events)
    for a, b in events:
        pair = pipeline.sign([a["content"], b["content"]])
        sa, sb = pair.shingle_set(0), pair.shingle_set(1)
        smaller = min(len(sa), len(sb))
        # Independent writing: few shared phrases, and nothing of either elsewhere in the benchmark.
        fresh = smaller and np.isin(sa, seen).mean() < 0.05 and np.isin(sb, seen).mean() < 0.05
        if fresh and np.isin(sa, sb).sum() / smaller < 0.1 and unused(a["content"]) and unused(b["content"]):
            labels.append((add(a["content"]), add(b["content"]), "same_event"))
            seen = np.union1d(seen, np.union1d(sa, sb))
        if sum(lab == "same_event" for *_, lab in labels) >= per_class:
            break
    # Short look-alike questions labeled as different.
    with (SHARED / "mawdoo3-q2q" / "q2q_similarity_workshop_v2.1.tsv").open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["label"] == "0"]
    rng.shuffle(rows)
    pairs = [r for r in rows if unused(r["question1"]) and unused(r["question2"])]
    for r in pairs[: per_class * 3]:
        labels.append((add(r["question1"]), add(r["question2"]), "short_lookalike"))
    return docs, labels


# --- the methods ------------------------------------------------------------------------------


def clusters_from_pairs(n: int, pairs) -> np.ndarray:
    return connected_components(n, np.asarray(list(pairs), dtype=np.int64).reshape(-1, 2))


def dedup_method(cfg: DedupConfig):
    def run(docs: list[str]) -> np.ndarray:
        pipeline = Pipeline(cfg)
        pairs, _ = pipeline.similar_in_batch(pipeline.sign(docs))
        return clusters_from_pairs(len(docs), pairs)

    return run


def datasketch_whitespace(docs: list[str], threshold: float = 0.8, num_perm: int = 128) -> np.ndarray:
    """What a user writes by hand: whitespace tokens, MinHash, MinHashLSH, union of every match."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    pairs = []
    for i, m in enumerate(MinHash.bulk([[w.encode("utf-8") for w in set(d.split())] for d in docs], num_perm=num_perm)):
        pairs += [(j, i) for j in lsh.query(m)]
        lsh.insert(i, m)
    return clusters_from_pairs(len(docs), pairs)


def rensa_whitespace(docs: list[str], threshold: float = 0.8, num_perm: int = 128) -> np.ndarray:
    """rensa's R-MinHash and its LSH (16 bands, as its README), candidates verified by its Jaccard estimate."""
    from rensa import RMinHash, RMinHashLSH

    lsh = RMinHashLSH(threshold=threshold, num_perm=num_perm, num_bands=16)
    minhashes, pairs = [], []
    for i, d in enumerate(docs):
        m = RMinHash(num_perm=num_perm, seed=42)
        m.update(list(set(d.split())))
        pairs += [(j, i) for j in lsh.query(m) if m.jaccard(minhashes[j]) >= threshold]
        lsh.insert(i, m)
        minhashes.append(m)
    return clusters_from_pairs(len(docs), pairs)


_TEXT_DEDUP = r"""
import json, sys
import numpy as np
from text_dedup.minhash import embed_func, RNG, NON_ALPHA
from text_dedup.utils import optimal_param, sha1_hash, UnionFind
docs = json.load(open(sys.argv[1], encoding="utf-8"))
num_perm, ngram, min_length, threshold = 250, 5, 5, 0.7   # text-dedup's defaults
dtype, max_hash, prime = np.uint64, np.uint32((1 << 32) - 1), np.uint64((1 << 61) - 1)
b, r = optimal_param(threshold, num_perm, false_positive_weight=0.5, false_negative_weight=0.5)
ranges = [(i * r, (i + 1) * r) for i in range(b)]
perms = (RNG.randint(1, prime, size=(num_perm,), dtype=dtype), RNG.randint(0, prime, size=(num_perm,), dtype=dtype))
tables = [dict() for _ in range(b)]
for idx, text in enumerate(docs):
    if len(NON_ALPHA.split(text.lower())) < min_length:
        continue  # text-dedup drops documents shorter than min_length tokens
    hs = embed_func(text, idx, num_perm=num_perm, ngram_size=ngram, min_length=min_length, hashranges=ranges,
                    permutations=perms, hash_func=lambda d: sha1_hash(d, d=32), dtype=dtype, max_hash=max_hash,
                    modulo_prime=prime)["__signatures__"]
    for t, h in zip(tables, hs):
        t.setdefault(h, set()).add(idx)
uf = UnionFind()
for t in tables:
    for cluster in t.values():
        if len(cluster) > 1:
            root = min(cluster)
            for x in cluster:
                uf.union(x, root)
print(json.dumps([uf.find(i) for i in range(len(docs))]))
"""


def text_dedup_minhash(docs: list[str]) -> np.ndarray | str:
    """text-dedup 0.4's MinHash with its defaults, where it is installed (here, or in TEXT_DEDUP_PYTHON)."""
    python = os.environ.get("TEXT_DEDUP_PYTHON", sys.executable)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as handle:
        json.dump(docs, handle, ensure_ascii=False)
    done = subprocess.run([python, "-c", _TEXT_DEDUP, handle.name], capture_output=True, text=True)
    Path(handle.name).unlink()
    if done.returncode:
        return (
            "not run: text-dedup 0.4 does not import here (pip install text-dedup pulls datasets, pyspark, "
            "unisim; point TEXT_DEDUP_PYTHON at a venv that has it): " + done.stderr.strip().splitlines()[-1]
        )
    return np.array(json.loads(done.stdout))  # each document's union-find root: its cluster


# --- scoring ----------------------------------------------------------------------------------


def score(labels_of_clusters: np.ndarray, labels: list[tuple[int, int, str]]) -> dict:
    """Per class and overall: precision, recall, F1 (copy classes) or false-positive rate (negatives)."""
    groups = defaultdict(list)
    for i, c in enumerate(labels_of_clusters.tolist()):
        groups[c].append(i)
    found = {
        (a, b)
        for members in groups.values()
        if len(members) > 1
        for k, a in enumerate(members)
        for b in members[k + 1 :]
    }
    positive = {(min(a, b), max(a, b)): cls for a, b, cls in labels if cls in COPY_CLASSES}
    negative = {(min(a, b), max(a, b)): cls for a, b, cls in labels if cls not in COPY_CLASSES}
    out = {}
    for cls in COPY_CLASSES:
        pairs = [p for p, c in positive.items() if c == cls]
        docs = {x for p in pairs for x in p}
        touching = [p for p in found if p[0] in docs or p[1] in docs]
        tp = sum(p in found for p in pairs)
        precision = sum(positive.get(p) == cls for p in touching) / len(touching) if touching else 1.0
        recall = tp / len(pairs) if pairs else 0.0
        f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
        out[cls] = {"pairs": len(pairs), "precision": precision, "recall": recall, "f1": f1}
    for cls in NEGATIVE_CLASSES:
        pairs = [p for p, c in negative.items() if c == cls]
        out[cls] = {"pairs": len(pairs), "false_positive_rate": sum(p in found for p in pairs) / max(1, len(pairs))}
    tp = sum(p in found for p in positive)
    precision = tp / len(found) if found else 1.0
    recall = tp / len(positive)
    out["overall"] = {
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if tp else 0.0,
        "found_pairs": len(found),
    }
    return out


def containment_config(threshold: float = 0.4, n: int = 3, num_perm: int = 128) -> DedupConfig:
    """The copy-finding setting: word n-grams, candidates from MinHash LSH, verified by containment."""
    return DedupConfig(
        shingle=ShingleConfig(n=n),
        minhash=MinHashConfig(num_perm=num_perm),
        lsh=LSHConfig(threshold=threshold, verify="containment"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=40)
    args = parser.parse_args()
    docs, labels = build(args.per_class)
    methods = {
        "dedup containment (3-grams, ≥ 0.4)": dedup_method(containment_config()),
        "dedup containment, normalization off": dedup_method(
            DedupConfig(profile="none", shingle=ShingleConfig(n=3), lsh=LSHConfig(threshold=0.4, verify="containment"))
        ),
        "dedup default (5-grams, Jaccard ≥ 0.8)": dedup_method(DedupConfig()),
        "datasketch MinHashLSH, whitespace tokens": datasketch_whitespace,
        "rensa RMinHashLSH, whitespace tokens": rensa_whitespace,
        "text-dedup 0.4 MinHash (defaults)": text_dedup_minhash,
    }
    results = {}
    for name, method in methods.items():
        start = time.perf_counter()
        try:
            clusters = method(docs)
        except ImportError as err:
            clusters = f"not run: {err}"
        seconds = time.perf_counter() - start
        results[name] = clusters if isinstance(clusters, str) else {"seconds": seconds, **score(clusters, labels)}
    _print(results, len(docs), labels)
    study = parameter_study(docs, labels)
    write_results(
        "quality",
        {
            "documents": len(docs),
            "labeled_pairs": len(labels),
            "per_class": args.per_class,
            "methods": results,
            "parameter_study": study,
        },
    )
    _plot(study)


def parameter_study(docs: list[str], labels) -> list[dict]:
    """Containment threshold, num_perm and shingle size against F1 and time."""
    rows = []
    for n in (2, 3, 4, 5):
        for threshold in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
            for num_perm in (64, 128, 256):
                if num_perm != 128 and (n != 3 or threshold != 0.4):
                    continue
                start = time.perf_counter()
                clusters = dedup_method(containment_config(threshold, n, num_perm))(docs)
                seconds = time.perf_counter() - start
                overall = score(clusters, labels)
                worst_negative = max(overall[c]["false_positive_rate"] for c in NEGATIVE_CLASSES)
                worst_copy = min(overall[c]["f1"] for c in COPY_CLASSES)
                rows.append(
                    {
                        "n": n,
                        "threshold": threshold,
                        "num_perm": num_perm,
                        "seconds": seconds,
                        "f1": overall["overall"]["f1"],
                        "worst_copy_class_f1": worst_copy,
                        "worst_negative_fp_rate": worst_negative,
                    }
                )
    print("\nparameter study (containment verification):")
    print_table(
        ["n", "threshold", "num_perm", "F1", "worst copy-class F1", "worst negative FP", "seconds"],
        [
            [
                r["n"],
                r["threshold"],
                r["num_perm"],
                f"{r['f1']:.3f}",
                f"{r['worst_copy_class_f1']:.3f}",
                f"{r['worst_negative_fp_rate']:.3f}",
                f"{r['seconds']:.2f}",
            ]
            for r in rows
        ],
    )
    return rows


def _print(results: dict, n_docs: int, labels) -> None:
    print(f"{n_docs:,} documents, {len(labels):,} labeled pairs")
    header = ["method", "F1", "P", "R", *COPY_CLASSES, *[f"FP {c}" for c in NEGATIVE_CLASSES], "seconds"]
    rows = []
    for name, r in results.items():
        if isinstance(r, str):
            rows.append([name, r[:60], *[""] * (len(header) - 2)])
            continue
        rows.append(
            [
                name,
                f"{r['overall']['f1']:.3f}",
                f"{r['overall']['precision']:.3f}",
                f"{r['overall']['recall']:.3f}",
                *[f"{r[c]['f1']:.2f}" for c in COPY_CLASSES],
                *[f"{r[c]['false_positive_rate']:.3f}" for c in NEGATIVE_CLASSES],
                f"{r['seconds']:.2f}",
            ]
        )
    print_table(header, rows)
    for name, r in results.items():
        if isinstance(r, str):
            print(f"{name}: {r}")


def _plot(study: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    for n in (2, 3, 4, 5):
        chosen = [r for r in study if r["n"] == n and r["num_perm"] == 128]
        left.plot([r["threshold"] for r in chosen], [r["f1"] for r in chosen], marker="o", label=f"{n}-grams")
    left.set_xlabel("containment threshold")
    left.set_ylabel("F1 (all classes)")
    left.legend()
    perms = [r for r in study if r["n"] == 3 and r["threshold"] == 0.4]
    right.plot([r["num_perm"] for r in perms], [r["seconds"] for r in perms], marker="o", color="#d8733b")
    right.set_xlabel("num_perm (3-grams, threshold 0.4)")
    right.set_ylabel("seconds")
    fig.tight_layout()
    save_plot(fig, "quality")


if __name__ == "__main__":
    main()

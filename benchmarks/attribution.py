"""Accuracy of the audit's claims: attribution (credited / credited_other / uncredited) and relation
(copy / shared_source), on a labeled set built from SaudiNewsNet.

Two parts:
- planted: 300 real articles whose text names no outlet (no dateline of their own) as sources, under
  their own outlet or renamed to pan-Arab outlets that only the input's `outlet` field knows
  ("الجزيرة نت", "سكاي نيوز عربية", "روسيا اليوم", ...); each gets one copy on a farm, three hours
  later: credited in one of ten republisher phrasings or in the byline, crediting another outlet,
  uncredited, or uncredited but carrying an ordinary word that is also an outlet's name (سوق عكاظ،
  القطاعات الاقتصادية، الشرق الأوسط the region, سبق the verb, the farm's own name). Sources bylined
  by the Saudi Press Agency ("واس - الرياض") make the relation `shared_source` (was), unless the
  copy credits the paper it took the text from; the others are `copy`. Labels are known by
  construction.
- bylines: real cross-outlet pairs of the full audit whose two bylines both name one agency (and
  nothing else): both ran that agency's text, so the relation is `shared_source` with it, and the
  copy credits it in its byline.

Run: python benchmarks/attribution.py   (writes results/attribution.json and .png)
"""

from __future__ import annotations

import csv
import json
import random
import tempfile
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from _common import print_table, saudinewsnet_jsonl, save_plot, write_results

from dedup.audit import run_audit
from dedup.audit.attribution import found_in, outlets_in_byline
from dedup.audit.model import Article
from dedup.audit.names import Names

PAN_ARAB = [
    ("الجزيرة نت", "https://www.aljazeera.net/news/"),
    ("سكاي نيوز عربية", "https://www.skynewsarabia.com/"),
    ("روسيا اليوم", "https://arabic.rt.com/"),
    ("فرانس 24", "https://www.france24.com/ar/"),
    ("بي بي سي عربي", "https://www.bbc.com/arabic/"),
    ("العربية نت", "https://www.alarabiya.net/"),
]
# {name}: how the source is named; ten phrasings republishers use.
CREDITS = [
    "نقلا عن {name}",
    "المصدر: {name}",
    "نُشر هذا الخبر أولاً على موقع {name}، ونعيد نشره كما ورد.",
    "كما تجدر الإشارة بأن الخبر الأصلي قد تم نشره على {name} وقد قام فريق التحرير بنقله.",
    "وفقاً لما أورده موقع {name}.",
    "بحسب ما نشرت صحيفة {name}.",
    "(المصدر: «{name}»)",
    "تم نشر هذا المقال بالأصل على {name} ونعيد نشره بإذن.",
    "هذا الخبر منقول من {name}",
    "رابط الخبر الأصلي: {name}",
]
TRAPS = [
    "وتستعد الطائف لاستقبال زوار سوق عكاظ في دورته التاسعة بحسب اللجنة المنظمة.",
    "وبحسب المصادر فإن القطاعات الاقتصادية تشهد نموا ملحوظا هذا العام.",
    "وقال المصدر إن الأوضاع في الشرق الأوسط تتطلب تحركا عاجلا.",
    "وسبق لوكالة ناسا أن أعلنت عن مهمة مماثلة بحسب بيانها.",
    "نقلا عن مصادر مطلعة فإن الاجتماع سيعقد في المدينة المنورة.",
    "وذكرت موقع المزرعة أن التفاصيل ستعلن لاحقا.",  # the farm's own name
]
NAMES = {
    "aawsat": "«الشرق الأوسط»",
    "okaz": "«عكاظ»",
    "alriyadh": "صحيفة الرياض",
    "alyaum": "صحيفة اليوم",
    "aleqtisadiya": "«الاقتصادية»",
    "alwatan": "صحيفة الوطن",
    "almadina": "صحيفة المدينة",
    "alweeam": "الوئام",
    "sabq": "صحيفة سبق",
    "3alyoum": "عين اليوم",
    "aljazirah": "صحيفة الجزيرة",
}
LABELS = ["credited", "credited_other", "uncredited"]


def _later(published: str, hours: float) -> str:
    return (datetime.fromisoformat(published) + timedelta(hours=hours)).isoformat()


def planted(rows: list[dict], rng: random.Random) -> tuple[list[dict], dict[tuple[str, str], tuple[str, str]]]:
    """Sources and farm copies, and the expected (attribution, relation) of each (source, copy)."""
    names = Names.build([])

    def says_whose(row: dict) -> bool:  # its text names an outlet: a dateline of its own, a credit
        return bool(found_in(Article(0, row["id"], "", "", 0.0, "", row["text"], ""), names))

    spa = [r for r in rows if r["outlet"] != "was" and (r.get("author") or "").strip().startswith("واس")]
    plain = [r for r in rows if r["outlet"] in NAMES and not (r.get("author") or "").strip()]
    spa, plain = [r for r in spa if not says_whose(r)], [r for r in plain if not says_whose(r)]
    chosen = rng.sample(spa, 60) + rng.sample(plain, 240)
    articles, truth = [], {}
    for k, source in enumerate(chosen):
        source = {**source, "id": f"src-{k:03d}"}
        agency = k < 60
        if not agency and k % 3 == 0:
            source["outlet"], source["url"] = PAN_ARAB[k % len(PAN_ARAB)]
            source["url"] += str(k)
        name = source["outlet"] if source["outlet"] not in NAMES else NAMES[source["outlet"]]
        other = rng.choice([v for o, v in NAMES.items() if o != source["outlet"]])
        kind = ("credited", "byline", "other", "none", "trap")[k % 5]
        text, byline = source["text"], ""
        if kind == "credited":
            text += "\n" + rng.choice(CREDITS).format(name=name)
        elif kind == "byline":
            byline = "واس - الرياض" if agency else f"الرياض - {name}"
        elif kind == "other":
            text += "\n" + rng.choice(CREDITS).format(name=other)
        elif kind == "trap":
            text += "\n" + rng.choice(TRAPS)
        copy = {
            "id": f"copy-{k:03d}",
            "outlet": "المزرعة",
            "url": f"https://farm.example/{k}",
            "title": "",
            "author": byline,
            "published": _later(source["published"], 3),
            "text": text,
        }
        label = {"credited": "credited", "byline": "credited", "other": "credited_other"}.get(kind, "uncredited")
        # Agency copy is a shared source, unless the copy says it took it from the paper itself.
        relation = "shared_source" if agency and kind != "credited" else "copy"
        articles += [source, copy]
        truth[(source["id"], copy["id"])] = (label, relation)
    return articles, truth


def byline_pairs(corpus: Path, out: Path) -> dict[tuple[str, str], tuple[str, str]]:
    """Real pairs whose two bylines name one and the same agency, and nothing else."""
    names = Names.build([])
    bylines = {}
    with corpus.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            bylines[row["id"]] = set(outlets_in_byline(row.get("author") or "", names))
    truth = {}
    with (out / "pairs.csv").open(encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            a, b = bylines[r["source_id"]], bylines[r["copy_id"]]
            if len(a) == 1 and a == b and a <= names.agencies:
                truth[(r["source_id"], r["copy_id"])] = ("credited", "shared_source")
    return truth


def score(out: Path, truth: dict[tuple[str, str], tuple[str, str]]) -> dict:
    with (out / "pairs.csv").open(encoding="utf-8") as handle:
        found = {(r["source_id"], r["copy_id"]): r for r in csv.DictReader(handle)}
    confusion: Counter[tuple[str, str]] = Counter()
    relation: Counter[tuple[str, str]] = Counter()
    for key, (label, rel) in truth.items():
        row = found.get(key)
        confusion[(label, row["attribution"] if row else "missed")] += 1
        relation[(rel, row["relation"] if row else "missed")] += 1
    per_label = {
        label: confusion[(label, label)] / max(1, sum(v for (t, _), v in confusion.items() if t == label))
        for label in LABELS
    }
    per_relation = {
        rel: relation[(rel, rel)] / max(1, sum(v for (t, _), v in relation.items() if t == rel))
        for rel in ("copy", "shared_source")
    }
    invented = sum(v for (t, p), v in confusion.items() if t == "uncredited" and p in ("credited", "credited_other"))
    return {
        "pairs": len(truth),
        "accuracy_by_label": per_label,
        "accuracy_by_relation": per_relation,
        "invented_credits": invented,
        "confusion": {f"{t} -> {p}": v for (t, p), v in sorted(confusion.items())},
        "relation_confusion": {f"{t} -> {p}": v for (t, p), v in sorted(relation.items())},
    }


def main() -> None:
    corpus = saudinewsnet_jsonl(Path(tempfile.gettempdir()) / "dedup-bench" / "saudinewsnet.jsonl")
    rows = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if r.get("text") and 150 <= len(r["text"].split()) <= 600 and r.get("published")]
    work = Path(tempfile.mkdtemp(prefix="dedup-attribution-"))
    articles, truth = planted(rows, random.Random(17))
    path = work / "planted.jsonl"
    path.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles), encoding="utf-8")
    run_audit(path, work / "planted")
    results = {"planted": score(work / "planted", truth)}
    run_audit(corpus, work / "full")
    results["bylines"] = score(work / "full", byline_pairs(corpus, work / "full"))
    for part, r in results.items():
        print(f"\n{part}: {r['pairs']:,} labeled pairs; invented credits: {r['invented_credits']}")
        print_table(["label", "accuracy"], [[k, f"{v:.3f}"] for k, v in r["accuracy_by_label"].items()])
        print_table(["relation", "accuracy"], [[k, f"{v:.3f}"] for k, v in r["accuracy_by_relation"].items()])
        print_table(["truth -> audit", "pairs"], [[k, v] for k, v in r["confusion"].items()])
    write_results("attribution", results)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    for ax, (part, r) in zip(axes, results.items(), strict=True):
        keys = [*r["accuracy_by_label"], *r["accuracy_by_relation"]]
        values = [*r["accuracy_by_label"].values(), *r["accuracy_by_relation"].values()]
        ax.barh(keys, values, color="#55a868")
        ax.set_xlim(0, 1.05)
        ax.set_title(f"{part}: {r['pairs']:,} pairs")
    fig.tight_layout()
    save_plot(fig, "attribution")


if __name__ == "__main__":
    main()

"""Build data/audit/articles.jsonl: real SaudiNewsNet articles plus copies made the way content farms make them.

Real part: articles of five outlets from the first crawl days, chosen so that no two of them share more
than 10% of their word 5-grams (so every reported pair is a planted one), plus pairs of real articles that
share a few phrases (a topic, a quotation) as hard negatives. Planted part, each published hours later:
a full copy wrapped in a ~150-word header and footer that credits the source, a lightly edited uncredited
copy, a half copy crediting another outlet, a copy that carries the article twice (as the seed page does),
each outlet's own footer line on all its pages (boilerplate), and the seed page with the original it credits.

Run: python benchmarks/make_audit_sample.py   (writes data/audit/articles.jsonl and data/audit/truth.json)
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

from _common import ROOT, saudinewsnet

from dedup.noise import edit_words
from dedup.pipeline import Pipeline

OUT = ROOT / "data" / "audit"
OUTLETS = ("aawsat", "almadina", "alwatan", "okaz", "alweeam")
FOOTERS = {
    "aawsat": "تابعوا آخر أخبار الشرق الأوسط على حساباتنا في مواقع التواصل الاجتماعي",
    "okaz": "للاشتراك في خدمة عكاظ الإخبارية أرسل رقم 1 إلى الرقم المختصر",
    "tajarubna": "تابعونا على موقع تجاربنا لمزيد من الأخبار العاجلة والتقارير الحصرية على مدار الساعة",
}
HEADER = (
    "نقدم لكم في موقع تجاربنا تفاصيل هذا الخبر الذي نال اهتمام عدد كبير من المتابعين في الساعات "
    "الماضية، ونحرص في فريق التحرير على متابعة كل جديد من مختلف المصادر المحلية والعربية والدولية "
    "لنضعه بين أيديكم أولا بأول، فتابعوا معنا التفاصيل الكاملة كما وردت دون تدخل منا في مضمونها"
)
CREDIT = (
    "كما تجدر الإشارة بأن الخبر الأصلي قد تم نشره ومتواجد على صحيفة ({name}) وقد قام فريق التحرير في موقع "
    "تجاربنا بنقله وربما تم التعديل عليه أو الاقتباس منه، ويمكنكم متابعة مستجدات هذا الخبر من مصدره "
    "الأساسي، ونعتذر عن أي خطأ قد يرد في النقل، مع تحيات أسرة التحرير وأطيب الأمنيات بقراءة ممتعة"
)
NAMES = {"aawsat": "الشرق الأوسط", "okaz": "عكاظ", "almadina": "المدينة", "alwatan": "الوطن", "alweeam": "الوئام"}


def _later(published: str, hours: float) -> str:
    return (datetime.fromisoformat(published) + timedelta(hours=hours)).isoformat()


def main() -> None:
    rng = random.Random(11)
    pool = []
    for article in saudinewsnet(6000):
        text = article.get("content") or ""
        if article["source"] in OUTLETS and text.count("\n") >= 3 and 150 < len(text.split()) < 450:
            pool.append(
                {
                    "outlet": article["source"],
                    "url": article["url"],
                    "title": article["title"],
                    "published": article["date_extracted"].replace(" ", "T"),
                    "text": text,
                }
            )
    pipeline = Pipeline()
    batch = pipeline.sign([a["text"] for a in pool])
    sets = [set(batch.shingle_set(i).tolist()) for i in range(len(pool))]
    chosen: list[int] = []
    near: list[tuple[int, int]] = []
    for i in rng.sample(range(len(pool)), len(pool)):
        shared = [len(sets[i] & sets[j]) / min(len(sets[i]), len(sets[j])) for j in chosen]
        if all(s < 0.1 for s in shared) and sum(pool[j]["outlet"] == pool[i]["outlet"] for j in chosen) < 8:
            near += [(j, i) for j, s in zip(chosen, shared, strict=True) if 0.01 <= s < 0.1]
            chosen.append(i)
        if len(chosen) >= 36:
            break
    articles = []
    for k, i in enumerate(chosen):
        a = dict(pool[i], id=f"snn-{k:02d}")
        if a["outlet"] in FOOTERS:
            a["text"] += "\n" + FOOTERS[a["outlet"]]
        articles.append(a)
    truth = []
    # Hard negative: two articles of different outlets quote the same sentence, and share nothing else.
    quote = "وقال خادم الحرمين الشريفين إن المملكة ماضية في طريقها نحو التنمية الشاملة والمستدامة لجميع المواطنين"
    first = articles[5]
    second = next(a for a in articles[6:] if a["outlet"] != first["outlet"])
    for a in (first, second):
        a["text"] += "\n" + quote
    quoted = [{"a": first["id"], "b": second["id"]}]

    def plant(source: dict, text: str, outlet: str, hours: float, attribution: str, kind: str) -> None:
        copy = {
            "id": f"copy-{len(truth):02d}-{kind}",
            "outlet": outlet,
            "url": f"https://{outlet}.example/{len(truth)}",
            "title": source["title"],
            "published": _later(source["published"], hours),
            "text": text,
        }
        articles.append(copy)
        truth.append({"source": source["id"], "copy": copy["id"], "attribution": attribution, "kind": kind})

    farm = FOOTERS["tajarubna"]
    src = articles[0]
    plant(
        src,
        f"{HEADER}\n{src['text']}\n{CREDIT.format(name=NAMES[src['outlet']])}\n{farm}",
        "tajarubna",
        3,
        "credited",
        "wrapped_credited",
    )
    src = articles[1]
    plant(src, edit_words(src["text"], 0.02, rng) + f"\n{farm}", "tajarubna", 5, "uncredited", "edited_uncredited")
    src = articles[2]
    paragraphs = src["text"].split("\n")
    other = next(o for o in NAMES if o != src["outlet"])
    plant(
        src,
        "\n".join(paragraphs[: len(paragraphs) // 2 + 1]) + f"\nالمصدر: صحيفة {NAMES[other]}\n{farm}",
        "tajarubna",
        8,
        "credited_other",
        "half_credited_other",
    )
    src = articles[3]
    plant(
        src,
        f"{HEADER}\n{src['text']}\n…\n{src['text']}\n{CREDIT.format(name=NAMES[src['outlet']])}\n{farm}",
        "tajarubna",
        12,
        "credited",
        "doubled_credited",
    )
    src = next(a for a in articles[4:] if a["outlet"] != "okaz")
    plant(
        src,
        f"نقلا عن صحيفة {NAMES[src['outlet']]}:\n{edit_words(src['text'], 0.01, rng)}\n{FOOTERS['okaz']}",
        "okaz",
        26,
        "credited",
        "rival_credited",
    )
    seed = (ROOT / "data" / "seed_article.txt").read_text(encoding="utf-8")
    original = {
        "id": "mashhad-original",
        "outlet": "almashhad-alyemeni",
        "url": "https://almashhad.example/original",
        "title": "وزراء سوريا يناقشون التعاون العسكري مع بوتين في روسيا",
        "published": "2025-12-23T09:00:00",
        "text": "\n".join(seed.split("\n")[:19]),
    }
    articles.append(original)
    plant(original, seed, "tajarubna", 6, "credited", "seed_page")
    OUT.mkdir(parents=True, exist_ok=True)
    rows = [articles[k] for k in sorted(range(len(articles)), key=lambda k: articles[k]["published"])]
    (OUT / "articles.jsonl").write_text(
        "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in rows), encoding="utf-8"
    )
    negatives = quoted + [{"a": f"snn-{chosen.index(i):02d}", "b": f"snn-{chosen.index(j):02d}"} for i, j in near]
    (OUT / "truth.json").write_text(
        json.dumps({"copies": truth, "shared_phrases_only": negatives}, ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8",
    )
    print(f"{len(rows)} articles ({len(truth)} planted copies, {len(negatives)} pairs sharing phrases only) -> {OUT}")


if __name__ == "__main__":
    main()

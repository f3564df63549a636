"""Build data/samples/saudinewsnet_paragraphs.jsonl: real SaudiNewsNet articles for the paragraph level's tests.

Groups (field ``group``): ``footer``, the first 50 distinct almadina pages (crawl order) of 350 words or fewer
that end on almadina's own footer (the lines «للتواصل مع الكاتب ارسل رسالة SMS», the writer's code, and
three operator short codes), as crawled; ``one_word_line``, the two articles of two outlets that both hold
the one-word line «خاتمة:» (an okaz and an alyaum column); ``ten``, the first article (crawl order) of ten
paragraphs, 250 to 450 words, and ``other``, the first of another outlet with nine or ten paragraphs, 200 to
400 words (the tests build copies from these two). Fields as benchmarks/_common.saudinewsnet_jsonl writes
them (id, outlet, url, published, title, author, text) and ``group``.

Run: python benchmarks/make_paragraph_sample.py
"""

from __future__ import annotations

import json
from pathlib import Path

from _common import ROOT, saudinewsnet_jsonl

CORPUS = Path("/tmp/dedup-bench/saudinewsnet.jsonl")
OUT = ROOT / "data" / "samples" / "saudinewsnet_paragraphs.jsonl"
FOOTER = {"للتواصل مع الكاتب ارسل رسالة SMS", "88591 - Stc", "635031 - Mobily", "737221 - Zain"}


def _paragraphs(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


def main() -> None:
    rows = [json.loads(line) for line in saudinewsnet_jsonl(CORPUS).open(encoding="utf-8")]
    rows = [r for r in rows if (r["text"] or "").strip()]
    chosen: dict[str, str] = {}
    footers = [
        r
        for r in rows
        if r["outlet"] == "almadina"
        and {line.strip() for line in r["text"].split("\n")} >= FOOTER
        and len(r["text"].split()) <= 350
    ]
    distinct = {r["text"].strip(): r["id"] for r in reversed(footers)}  # a page crawled twice counts once
    chosen.update({page: "footer" for page in sorted(distinct.values())[:50]})
    lines = [r for r in rows if "خاتمة:" in (line.strip() for line in r["text"].split("\n"))]
    chosen.update({r["id"]: "one_word_line" for r in lines})
    ten = next(r for r in rows if len(_paragraphs(r["text"])) == 10 and 250 <= len(r["text"].split()) <= 450)
    chosen[ten["id"]] = "ten"
    other = next(
        r
        for r in rows
        if r["outlet"] != ten["outlet"]
        and len(_paragraphs(r["text"])) in (9, 10)
        and 200 <= len(r["text"].split()) <= 400
    )
    chosen[other["id"]] = "other"
    sample = [{**r, "group": chosen[r["id"]]} for r in rows if r["id"] in chosen]
    tmp = OUT.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in sample), encoding="utf-8")
    tmp.replace(OUT)
    print(f"{OUT}: {len(sample)} articles ({', '.join(sorted(set(chosen.values())))})")


if __name__ == "__main__":
    main()

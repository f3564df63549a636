"""Build data/audit/wire.jsonl: real SaudiNewsNet articles (with their bylines) for the audit's
hard cases, each group chosen by hand from the full corpus:

- two Saudi Press Agency stories (Amman, Abha): the agency's own item, crawled after the papers
  that ran it, and four papers' versions, bylined "واس - عمان", "عمان - واس:", "أبهــا - واس" or
  carrying the paper's own name;
- every short royal cable of the corpus (61 articles opening "بعث خادم الحرمين الشريفين ... برقية",
  to some twenty countries over three weeks): one template, different events, and each event as
  several papers ran it;
- eight unrelated opinion and news pieces from seven days that all quote one Quran verse
  (4:93, "ومن يقتل مؤمنا متعمدا ...").

Ids are the articles' positions in the corpus (``snn-NNNNN``, crawl order). Run:
python benchmarks/make_audit_cases.py   (writes data/audit/wire.jsonl)
"""

from __future__ import annotations

import json

from _common import ROOT, saudinewsnet

OUT = ROOT / "data" / "audit" / "wire.jsonl"
GROUPS = {
    "wire_amman": [29226, 27794, 27680, 28933, 29753],
    "wire_abha": [29223, 28462, 30574],
    "verse": [2657, 9198, 23689, 25217, 26326, 27544, 27941, 28530],
}


def _cable(article: dict) -> bool:
    text = (article["content"] or "").strip()
    return (
        text.startswith("بعث خادم الحرمين الشريفين")
        and "برقية" in text[:150]
        and len(text) < 1000
        and article["source"] != "was"
    )


def main() -> None:
    wanted = {n: group for group, numbers in GROUPS.items() for n in numbers}
    rows = []
    for n, article in enumerate(saudinewsnet()):
        if n not in wanted and _cable(article):
            wanted[n] = "cables"
        if n in wanted:
            rows.append(
                {
                    "id": f"snn-{n:05d}",
                    "group": wanted[n],
                    "outlet": article["source"],
                    "url": article["url"],
                    "published": article["date_extracted"].replace(" ", "T"),
                    "title": article["title"],
                    "author": article["author"],
                    "text": article["content"],
                }
            )
    assert len(rows) == len(wanted), "the corpus is not the one these positions were chosen in"
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} articles -> {OUT}")


if __name__ == "__main__":
    main()

"""Build data/samples/saudinewsnet_2015-07-21.zip: 40 articles of SaudiNewsNet's 21 July 2015 in its own layout.

The day is audited whole; the sample keeps its copies across outlets, five credited shared-source pairs, two
rows with empty content (rejected) and articles drawn at random (seed 15) to make 40, in the day's order,
as one JSON array pretty-printed as the original (4 spaces, UTF-8) in a zip with the original's member name.

Run: python benchmarks/make_saudinewsnet_sample.py
"""

from __future__ import annotations

import csv
import json
import random
import sys
import tempfile
import zipfile
from pathlib import Path

from _common import ROOT, SHARED

from dedup.cli import main as dedup

DAY = "2015-07-21"
OUT = ROOT / "data" / "samples" / f"saudinewsnet_{DAY}.zip"
SIZE = 40
AUDIT = ["--outlet-field", "source", "--text-field", "content", "--date-field", "date_extracted"]
AUDIT += ["--id-field", "url", "--date-format", "%Y-%m-%d %H:%M:%S", "--timezone", "+03:00"]


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def main() -> None:
    archive = SHARED / "saudinewsnet" / f"{DAY}.zip"
    with zipfile.ZipFile(archive) as day:
        articles = json.loads(day.read(f"{DAY}.json"))
    with tempfile.TemporaryDirectory() as tmp:
        if dedup(["audit", str(archive), "--out", f"{tmp}/audit", *AUDIT]) != 0:
            sys.exit("the audit of the day failed")
        pairs = _rows(Path(tmp) / "audit" / "pairs.csv")
        rejected = [row["id"] for row in _rows(Path(tmp) / "audit" / "rejected.csv")][:2]
    copies = [p for p in pairs if p["relation"] == "copy"]
    shared = [p for p in pairs if p["relation"] != "copy" and p["attribution"] == "credited"][:5]
    wanted = list(dict.fromkeys(p[k] for p in copies + shared for k in ("source_id", "copy_id")))
    wanted += rejected
    others = [a["url"] for a in articles if a["url"] not in wanted and a["content"].strip()]
    wanted += random.Random(15).sample(others, SIZE - len(wanted))
    sample = [a for a in articles if a["url"] in set(wanted)]
    member = zipfile.ZipInfo(f"{DAY}.json", date_time=(2015, 8, 11, 15, 54, 0))
    member.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(OUT, "w") as out:
        out.writestr(member, json.dumps(sample, indent=4, ensure_ascii=False))
    print(f"{OUT}: {len(sample)} articles of {len({a['source'] for a in sample})} outlets")


if __name__ == "__main__":
    main()

"""The audit finds partial, re-flowed, shortened and lifted copies, with spans over the copied text,
and leaves templates and shared quotations alone (real SaudiNewsNet text from ``data/audit/``)."""

import csv
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from dedup.audit import run_audit
from tests.conftest import DATA

ARTICLES = [json.loads(line) for line in (DATA / "audit" / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
WIRE = DATA / "audit" / "wire.jsonl"
REAL = [a for a in ARTICLES if a["id"].startswith("snn-")]
HEADER = "نقدم لكم في موقعنا تفاصيل هذا الخبر الذي نال اهتمام عدد كبير من المتابعين في الساعات الماضية"
FOOTER = "تابعونا على موقعنا لمزيد من الأخبار العاجلة والتقارير الحصرية على مدار الساعة وشكرا لكم"


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _spans(value: str) -> list[tuple[int, int]]:
    return [tuple(map(int, part.split("-"))) for part in value.split(";") if part]


def _audit(tmp_path: Path, rows: list[dict]) -> list[dict]:
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    run_audit(path, tmp_path / "out")
    return _rows(tmp_path / "out" / "pairs.csv")


def _copy(source: dict, text: str, hours: int = 5) -> dict:
    """A farm's page carrying ``text``, published ``hours`` after ``source``."""
    published = (datetime.fromisoformat(source["published"]) + timedelta(hours=hours)).isoformat()
    return {
        "id": "copy",
        "outlet": "farm",
        "url": "https://farm.example/1",
        "title": "",
        "text": text,
        "published": published,
    }


def _covers(text: str, spans: list[tuple[int, int]], part: str, slack_words: int = 3) -> bool:
    """Whether ``spans`` of ``text`` cover ``part`` (found in ``text``) up to a few words at each end."""
    found = re.search(r"\s+".join(map(re.escape, part.split())), text)
    start, end = found.span()
    covered = sum(max(0, min(b, end) - max(a, start)) for a, b in spans)
    outside = sum(b - a for a, b in spans) - covered
    words = len(part.split())
    return covered >= (end - start) * (1 - 2 * slack_words / words) and outside <= (end - start) * 0.15 + 60


@pytest.fixture(scope="module")
def source() -> dict:
    return next(a for a in REAL if a["text"].count("\n") >= 6 and len(a["text"].split()) > 250)


def _others(source: dict, words: int) -> str:
    """``words`` words of real articles other than ``source``."""
    pool = " ".join(a["text"] for a in REAL if a["id"] != source["id"]).split()
    return " ".join(pool[:words])


def test_an_excerpt_inside_a_header_and_footer_is_found_with_its_spans(tmp_path, source) -> None:
    paragraphs = [p for p in source["text"].split("\n") if p.strip()]
    k = len(paragraphs)
    middle = "\n".join(paragraphs[int(k * 0.3) : int(k * 0.3) + max(2, int(k * 0.4))])
    (pair,) = _audit(tmp_path, [source, _copy(source, f"{HEADER}\n{middle}\n{FOOTER}")])
    assert (pair["source_id"], pair["copy_id"], pair["extent"]) == (source["id"], "copy", "excerpt")
    assert float(pair["containment"]) < 0.5 <= float(pair["copy_share"])
    copy_text = f"{HEADER}\n{middle}\n{FOOTER}"
    assert _covers(copy_text, _spans(pair["copy_spans"]), middle)
    assert _covers(source["text"], _spans(pair["source_spans"]), middle)


def test_a_reflowed_copy_with_added_text_is_found_whole(tmp_path, source) -> None:
    merged = " ".join(p.strip() for p in source["text"].split("\n") if p.strip())
    text = f"{merged} {_others(source, 120)}"
    (pair,) = _audit(tmp_path, [source, _copy(source, text)])
    assert pair["extent"] == "full" and float(pair["containment"]) >= 0.95
    assert _covers(text, _spans(pair["copy_spans"]), merged)
    assert int(pair["matched_paragraphs"]) == 1  # the one merged paragraph is mostly copied text


def test_a_shortened_copy_made_mostly_of_the_source_is_an_excerpt(tmp_path, source) -> None:
    words = source["text"].split()
    kept = " ".join(words[: int(len(words) * 0.35)])
    text = f"{kept}\n{_others(source, 30)}"
    (pair,) = _audit(tmp_path, [source, _copy(source, text)])
    assert pair["extent"] == "excerpt"
    assert float(pair["copy_share"]) >= 0.55 and float(pair["containment"]) < 0.5
    assert _covers(text, _spans(pair["copy_spans"]), kept)


def test_a_lifted_passage_of_forty_words_in_an_unrelated_article(tmp_path, source) -> None:
    words = source["text"].split()
    passage = " ".join(words[100:140])
    host = next(a for a in REAL if a["id"] != source["id"] and len(a["text"].split()) > 300)
    host_words = host["text"].split()
    text = " ".join(host_words[:150]) + f" {passage} " + " ".join(host_words[150:])
    rows = [source, {**host, "id": "host", "outlet": "farm", "text": text, "published": "2015-08-30T10:00:00"}]
    (pair,) = _audit(tmp_path, rows)
    assert (pair["source_id"], pair["copy_id"], pair["extent"]) == (source["id"], "host", "passage")
    assert _covers(text, _spans(pair["copy_spans"]), passage)
    assert _covers(source["text"], _spans(pair["source_spans"]), passage)


@pytest.fixture(scope="module")
def wire(tmp_path_factory) -> tuple[dict[str, dict], list[dict]]:
    out = tmp_path_factory.mktemp("wire") / "out"
    run_audit(WIRE, out)
    articles = {a["id"]: a for a in map(json.loads, WIRE.read_text(encoding="utf-8").splitlines())}
    return articles, _rows(out / "pairs.csv") + _rows(out / "same_outlet_pairs.csv")


def test_a_quran_verse_quoted_by_unrelated_articles_makes_no_pair(wire) -> None:
    articles, pairs = wire
    verse = {i for i, a in articles.items() if a["group"] == "verse"}
    assert len(verse) == 8
    assert not [p for p in pairs if p["source_id"] in verse or p["copy_id"] in verse]


_ADDRESSEE = re.compile(r"(?:جمهورية|سلطان|ملك|حاكم عام|رئيس) (\S+)")


def test_template_cables_to_different_countries_are_not_pairs(wire) -> None:
    articles, pairs = wire
    cables = [p for p in pairs if articles[p["source_id"]]["group"] == "cables"]
    assert len(cables) >= 20  # the same cable as several papers ran it: those are pairs
    for p in cables:
        first = _ADDRESSEE.findall(articles[p["source_id"]]["text"])[:2]
        second = _ADDRESSEE.findall(articles[p["copy_id"]]["text"])[:2]
        assert set(first) & set(second), (p["source_id"], p["copy_id"], first, second)

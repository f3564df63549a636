"""Issue 16: the paragraph level leaves articles whole; on real SaudiNewsNet text (samples/saudinewsnet_paragraphs)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from dedup.corpus import CorpusOptions, run_corpus
from dedup.paragraph_rule import ParagraphRule
from dedup.policy import copy_penalty, keep_rank
from dedup.segment import drop_lines

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "samples" / "saudinewsnet_paragraphs.jsonl"
ROWS = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
FOOTER = ["للتواصل مع الكاتب ارسل رسالة SMS", "88591 - Stc", "635031 - Mobily", "737221 - Zain"]


def _group(name: str) -> list[dict]:
    return [r for r in ROWS if r["group"] == name]


def _paragraphs(row: dict) -> list[str]:
    return [line for line in row["text"].split("\n") if line.strip()]


def _run(tmp_path: Path, rows: list[dict], **options) -> tuple[dict, dict[str, str], list[dict], list[dict]]:
    """The paragraph level on ``rows``: the manifest, kept texts by id, duplicates.csv, paragraphs_removed.csv."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    manifest = run_corpus(path, tmp_path / "out", opts=CorpusOptions(workers=1, level="paragraph", **options))
    kept = {
        r["id"]: r["text"] for r in map(json.loads, (tmp_path / "out" / "kept" / "in.jsonl").open(encoding="utf-8"))
    }
    tables = []
    for name in ("duplicates.csv", "paragraphs_removed.csv"):
        with (tmp_path / "out" / name).open(encoding="utf-8") as handle:
            tables.append(list(csv.DictReader(handle)))
    assert manifest["paragraphs_removed"] == len(tables[1])  # the manifest counts what the CSV lists
    return manifest, kept, *tables


def _later(row: dict, new_id: str, paragraphs: list[str], day: str = "2015-07-22T10:00:00") -> dict:
    return {**row, "id": new_id, "published": day, "text": "\n".join(paragraphs)}


def test_an_article_sharing_two_of_its_ten_paragraphs_with_an_earlier_one_stays_whole(tmp_path) -> None:
    (ten,), (other,) = _group("ten"), _group("other")
    shared = _paragraphs(ten)
    body = _paragraphs(other)[:8]
    mixed = _later(other, "mixed", [*body[:3], shared[2], *body[3:6], shared[4], *body[6:]])
    manifest, kept, duplicates, removed = _run(tmp_path, [ten, mixed], keep="earliest")
    assert manifest["counts"] == {"read": 2, "kept": 2, "duplicates": 0, "rejected": 0}
    assert kept == {ten["id"]: ten["text"], "mixed": mixed["text"]}  # both as they came, not a line cut
    assert duplicates == [] and removed == []


def test_an_article_ninety_percent_made_of_an_earlier_one_is_dropped_whole_and_points_at_it(tmp_path) -> None:
    (ten,), (other,) = _group("ten"), _group("other")
    copy = _later(ten, "copy", [*_paragraphs(ten)[:6], _paragraphs(other)[7]])  # 170 words of it, 16 of its own
    manifest, kept, duplicates, removed = _run(tmp_path, [ten, copy], keep="earliest")
    assert manifest["counts"] == {"read": 2, "kept": 1, "duplicates": 1, "rejected": 0}
    assert manifest["dropped_contained"] == 1
    assert [(d["id"], d["kept_id"], d["level"]) for d in duplicates] == [("copy", ten["id"], "contained")]
    assert kept == {ten["id"]: ten["text"]} and removed == []


def test_keep_earliest_decides_which_copy_survives(tmp_path) -> None:
    """The copy comes first in the input and was published a day later: ``first`` keeps both (the original is
    not contained in the copy), ``earliest`` keeps the original and drops the copy whole."""
    (ten,), (other,) = _group("ten"), _group("other")
    copy = _later(ten, "copy", [*_paragraphs(ten)[:6], _paragraphs(other)[7]])
    _, kept, duplicates, _ = _run(tmp_path / "first", [copy, ten], keep="first")
    assert sorted(kept) == sorted(["copy", ten["id"]]) and duplicates == []
    _, kept, duplicates, _ = _run(tmp_path / "earliest", [copy, ten], keep="earliest")
    assert list(kept) == [ten["id"]] and [(d["id"], d["kept_id"]) for d in duplicates] == [("copy", ten["id"])]


def test_a_site_footer_on_fifty_pages_is_removed_from_each(tmp_path) -> None:
    pages = _group("footer")
    assert len(pages) == 50
    manifest, kept, _, removed = _run(tmp_path, pages, keep="earliest")
    assert manifest["counts"] == {"read": 50, "kept": 50, "duplicates": 0, "rejected": 0}
    assert {r["kind"] for r in removed} == {"boilerplate"} and manifest["boilerplate_lines_removed"] >= 200
    gone: dict[str, set[int]] = {}
    for r in removed:
        gone.setdefault(r["id"], set()).add(int(r["line"]))
    for page in pages:
        lines = {line.strip() for line in kept[page["id"]].split("\n")}
        assert not lines & set(FOOTER), page["id"]
        assert kept[page["id"]] == drop_lines(page["text"], gone[page["id"]])
        assert len(kept[page["id"]].split()) >= 0.8 * len(page["text"].split())  # the column itself stays


def test_a_one_word_line_in_two_unrelated_articles_is_not_removed(tmp_path) -> None:
    """«خاتمة:» ends an okaz column on a novel and an alyaum column on a diwan: shorter than one n-gram, it
    could match across documents only as boilerplate, and two pages of two outlets are no outlet's boilerplate.
    The diwan's refrain «سدرة», three times in its own page, stays too: a short line is no repeat."""
    articles = _group("one_word_line")
    _, kept, duplicates, removed = _run(tmp_path, articles, paragraphs=ParagraphRule(boilerplate_pages=2))
    assert duplicates == [] and sorted(kept) == sorted(a["id"] for a in articles)
    for article in articles:
        assert "خاتمة:" in (line.strip() for line in kept[article["id"]].split("\n"))
    assert removed == [] and kept == {a["id"]: a["text"] for a in articles}


@pytest.mark.parametrize("variant", ["repost footer", "folded spelling", "not the agency"])
def test_of_equal_copies_the_one_without_a_repost_footer_or_folded_spelling_or_the_agencys_is_kept(
    tmp_path, variant
) -> None:
    (ten,) = _group("ten")
    worse = {**ten, "id": "worse"}
    if variant == "repost footer":
        worse["text"] += "\nرابط الخبر بصحيفة الوئام: «نيران صديقة» أميركية تودي بحياة 14 جنديا أفغانيا"
    elif variant == "folded spelling":
        worse["text"] = ten["text"].translate(str.maketrans("أإآ", "ااا")).replace("ي ", "ى ")
    else:  # the same text as the Saudi Press Agency's own item, which is its origin
        ten = {**ten, "outlet": "was"}
    assert copy_penalty(worse["text"], worse["outlet"]) > copy_penalty(ten["text"], ten["outlet"])
    rows = [worse, ten]  # the same time, the worse copy first
    _, kept, duplicates, _ = _run(tmp_path, rows, keep="earliest")
    assert list(kept) == [ten["id"]] and [(d["id"], d["kept_id"]) for d in duplicates] == [("worse", ten["id"])]


def test_keep_rank_puts_undated_documents_last_and_breaks_ties_by_penalty_then_input_order() -> None:
    date = np.array([5.0, np.nan, 5.0, 3.0])
    penalty = np.array([1, 0, 0, 9])
    assert keep_rank("earliest", np.zeros(4), date, penalty).tolist() == [3, 2, 0, 1]
    assert keep_rank("longest", np.array([1, 2, 2, 0]), date, penalty).tolist() == [1, 2, 0, 3]
    assert keep_rank("first", np.zeros(4), date, penalty).tolist() == [0, 1, 2, 3]

"""Who took whose text, and who was credited: agency copy shared by two papers, the agency's own item
as origin, bylines, and credits that must not be invented (real SaudiNewsNet text from ``data/audit/``)."""

import csv
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from dedup.audit import run_audit
from tests.conftest import DATA

WIRE = [json.loads(line) for line in (DATA / "audit" / "wire.jsonl").read_text(encoding="utf-8").splitlines()]
AMMAN = {a["id"]: a for a in WIRE if a["group"] == "wire_amman"}  # SPA item snn-29226 and four papers
ARTICLES = [json.loads(line) for line in (DATA / "audit" / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
SOURCE = next(a for a in ARTICLES if a["id"].startswith("snn-") and len(a["text"].split()) > 200)


def _audit(tmp_path: Path, rows: list[dict]) -> dict[tuple[str, str], dict]:
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    run_audit(path, tmp_path / "out")
    with (tmp_path / "out" / "pairs.csv").open(encoding="utf-8") as handle:
        return {(r["source_id"], r["copy_id"]): r for r in csv.DictReader(handle)}


def _later(published: str, hours: float) -> str:
    return (datetime.fromisoformat(published) + timedelta(hours=hours)).isoformat()


def test_two_papers_running_one_agency_story_share_a_source(tmp_path) -> None:
    papers = [a for i, a in AMMAN.items() if i != "snn-29226"]
    pairs = _audit(tmp_path, papers)
    # alyaum ("واس - عمان") and aljazirah ("عمان - واس:") both sign the agency: neither copied the other.
    pair = pairs[("snn-28933", "snn-29753")]
    assert (pair["relation"], pair["common_source"]) == ("shared_source", "was")
    assert (pair["attribution"], pair["credit_where"]) == ("credited", "byline")
    assert all(p["relation"] == "shared_source" for k, p in pairs.items() if "snn-27794" not in k)


def test_the_agency_item_crawled_later_is_the_origin(tmp_path) -> None:
    pairs = _audit(tmp_path, list(AMMAN.values()))
    agency = "snn-29226"
    assert AMMAN[agency]["published"] > min(a["published"] for i, a in AMMAN.items() if i != agency)
    from_agency = [p for (s, _), p in pairs.items() if s == agency]
    assert len(from_agency) == 4
    assert {(p["direction"], p["relation"]) for p in from_agency} == {("agency", "copy")}
    papers = [p for (s, c), p in pairs.items() if agency not in (s, c)]
    assert papers and all((p["relation"], p["common_source"]) == ("shared_source", "was") for p in papers)
    clusters = json.loads((tmp_path / "out" / "clusters.json").read_text(encoding="utf-8"))
    assert [c["origin"] for c in clusters] == [agency]
    assert {a["relation"] for a in clusters[0]["articles"] if a["id"] != agency} == {"copy"}


def _copy(text: str, outlet: str = "farm", byline: str = "", hours: float = 6) -> dict:
    return {
        "id": "copy",
        "outlet": outlet,
        "url": f"https://{outlet}.example/1",
        "title": "",
        "author": byline,
        "published": _later(SOURCE["published"], hours),
        "text": text,
    }


@pytest.mark.parametrize(
    "added",
    [
        "وتستعد الطائف لاستقبال زوار سوق عكاظ في دورته التاسعة بحسب اللجنة المنظمة.",  # the festival
        'وأعلنت اللجنة التنفيذية لسوق "عكاظ"، أن موعد الافتتاح الرسمي سيكون مساء الثلاثاء.',  # in quotes
        "وبحسب المصادر فإن القطاعات الاقتصادية تشهد نموا ملحوظا هذا العام.",  # the adjective
        "وقال المصدر إن الأوضاع في الشرق الأوسط تتطلب تحركا عاجلا.",  # the region
        "وسبق لوكالة ناسا أن أعلنت عن مهمة مماثلة بحسب بيانها.",  # sabq as "previously"
        "وبحسب الجزيرة أونلاين فإن الأمطار ستستمر حتى نهاية الأسبوع.",  # the peninsula, unbracketed
    ],
)
def test_ordinary_words_are_not_credits(tmp_path, added) -> None:
    """Each trap sentence, added to a copy of the source, names no outlet as an outlet."""
    (pair,) = _audit(tmp_path, [SOURCE, _copy(f"{SOURCE['text']}\n{added}")]).values()
    assert (pair["attribution"], pair["credited_outlet"]) == ("uncredited", "")


def test_the_copys_own_name_is_not_a_credit(tmp_path) -> None:
    text = f"{SOURCE['text']}\nوقالت «الاقتصادية» إن التفاصيل ستعلن لاحقا بحسب صحيفة الاقتصادية."
    (pair,) = _audit(tmp_path, [SOURCE, _copy(text, outlet="aleqtisadiya")]).values()
    assert pair["attribution"] == "uncredited"


def test_an_outlet_quoted_inside_the_shared_text_is_not_the_copys_credit(tmp_path) -> None:
    quoted = "وذكرت وكالة رويترز أن الاجتماع سيعقد الأسبوع المقبل في العاصمة."
    source = {**SOURCE, "text": f"{SOURCE['text']}\n{quoted}"}
    merged = " ".join(line.strip() for line in source["text"].split("\n") if line.strip())  # re-flowed
    (pair,) = _audit(tmp_path, [source, _copy(merged)]).values()
    assert pair["attribution"] == "uncredited"  # the sentence is the source's, not the copy's own words


@pytest.mark.parametrize("byline", ["واس - الرياض", "جدة واس - المزرعة", 'الرياض " واس', "واس (برلين، مدريد)"])
def test_a_credit_in_the_byline_counts(tmp_path, byline) -> None:
    (pair,) = _audit(tmp_path, [SOURCE, _copy(SOURCE["text"], byline=byline)]).values()
    assert (pair["attribution"], pair["credited_outlet"], pair["credit_where"]) == ("credited", "was", "byline")
    assert (pair["relation"], pair["common_source"]) == ("shared_source", "was")


@pytest.mark.parametrize(
    "credit",
    [
        "نُشر هذا الخبر أولاً على موقع الجزيرة نت، وننقله لكم كما ورد دون تعديل.",
        "المصدر: الجزيرة نت",
        "نقلاً عن «الجزيرة نت».",
        "وفقاً لما أورده موقع الجزيرة نت في تقريره.",
        "تم نشر هذا المقال بالأصل على الجزيرة نت ونعيد نشره بإذن.",
    ],
)
def test_credits_to_an_outlet_known_only_from_the_input(tmp_path, credit) -> None:
    source = {**SOURCE, "outlet": "الجزيرة نت", "url": "https://www.aljazeera.net/news/1"}
    (pair,) = _audit(tmp_path, [source, _copy(f"{SOURCE['text']}\n{credit}")]).values()
    assert (pair["attribution"], pair["credited_outlet"]) == ("credited", "الجزيرة نت")


def test_equal_dates_leave_the_direction_undetermined_unless_the_text_decides(tmp_path) -> None:
    source = next(a for a in ARTICLES if a["outlet"] == "almadina" and len(a["text"].split()) > 200)
    same_time = {**_copy(source["text"], hours=0), "published": source["published"]}
    (pair,) = _audit(tmp_path, [source, same_time]).values()
    assert pair["direction"] == "undetermined"
    crediting = {**same_time, "text": f"{source['text']}\nنقلا عن صحيفة المدينة"}
    (pair,) = _audit(tmp_path, [crediting, source]).values()  # the copy comes first in the input
    assert (pair["source_id"], pair["direction"], pair["attribution"]) == (source["id"], "in_text", "credited")


def test_two_papers_each_signing_one_release_share_a_source(tmp_path) -> None:
    source = {**SOURCE, "author": "محمد البيضاني - الباحة"}
    copy = _copy(SOURCE["text"], byline="عبدالرحمن القرني - عسير")
    (pair,) = _audit(tmp_path, [source, copy]).values()
    assert (pair["relation"], pair["common_source"], pair["common_source_evidence"]) == (
        "shared_source",
        "statement",
        "own_byline",
    )
    unsigned = _copy(SOURCE["text"])  # a farm that signs nothing took the paper's text
    (pair,) = _audit(tmp_path, [source, unsigned]).values()
    assert (pair["relation"], pair["common_source"]) == ("copy", "")


def test_a_wire_credit_in_the_byline_signs_the_text_before_agencies_quoted_in_it(tmp_path) -> None:
    quoted = "وأوضحت وكالة الأنباء اليمنية الرسمية أن الاجتماع سيعقد الأسبوع المقبل."
    source = {**SOURCE, "text": f"{SOURCE['text']}\n{quoted}"}
    copy = _copy(source["text"], byline="الرياض - واس")
    (pair,) = _audit(tmp_path, [source, copy]).values()
    assert (pair["relation"], pair["common_source"], pair["common_source_evidence"]) == (
        "shared_source",
        "was",
        "byline",
    )
    assert (pair["attribution"], pair["credited_outlet"]) == ("credited", "was")


def test_a_lightly_edited_whole_copy_is_a_full_copy(tmp_path) -> None:
    """One word in twelve replaced: most 5-grams break, but the matched spans hold the whole text."""
    words = SOURCE["text"].split(" ")
    edited = " ".join("كذلك" if k % 12 == 6 and w.strip() else w for k, w in enumerate(words))
    (pair,) = _audit(tmp_path, [SOURCE, _copy(edited)]).values()
    assert float(pair["containment"]) < 0.8
    assert pair["extent"] == "full"


def _own_articles(outlet: str, first: int = 0) -> list[dict]:
    """Two real articles of other papers (from the ``first``), given to ``outlet`` as text of its own."""
    papers = [a for a in ARTICLES if a["id"].startswith("snn-") and a["outlet"] not in (SOURCE["outlet"], "was")]
    return [
        {**a, "id": f"{outlet}-{a['id']}", "outlet": outlet, "url": f"https://{outlet}.example/{a['id']}"}
        for a in papers[first : first + 2]
    ]


def test_an_uncredited_take_is_a_copy_only_on_an_outlet_that_takes_most_of_its_text(tmp_path) -> None:
    """The copy credits nobody: on a farm (an outlet most of whose articles are others' earlier text)
    it is a copy; on a paper with text of its own, or with a third outlet running it, or holding
    text the source lacks, both ran someone else's text (a release, a wire, a contributor's piece)."""
    (pair,) = _audit(tmp_path, [SOURCE, _copy(SOURCE["text"])]).values()
    assert (pair["relation"], pair["common_source_evidence"]) == ("copy", "republisher")
    pairs = _audit(tmp_path, [SOURCE, _copy(SOURCE["text"]), *_own_articles("farm")])
    assert (pairs[(SOURCE["id"], "copy")]["relation"], pairs[(SOURCE["id"], "copy")]["common_source"]) == (
        "shared_source",
        "unnamed",
    )
    more = next(a for a in ARTICLES if a["outlet"] not in (SOURCE["outlet"], "was") and len(a["text"].split()) > 100)
    extra = " ".join(more["text"].split()[:60])
    (pair,) = _audit(tmp_path, [SOURCE, _copy(f"{SOURCE['text']}\n{extra}")]).values()
    assert (pair["relation"], pair["common_source_evidence"]) == ("shared_source", "copy_has_more")
    third = {**_copy(SOURCE["text"], outlet="third", hours=9), "id": "third"}
    pairs = _audit(tmp_path, [SOURCE, _copy(SOURCE["text"]), third, *_own_articles("farm"), *_own_articles("third", 2)])
    assert {(p["relation"], p["common_source_evidence"]) for k, p in pairs.items() if SOURCE["id"] in k} == {
        ("shared_source", "several_outlets")
    }
    assert {p["relation"] for p in pairs.values()} == {"shared_source"}  # the copies name the source alike


def test_a_credit_to_an_agency_does_not_reach_its_item_days_later(tmp_path) -> None:
    """The paper signs "واس", but the agency's item with the text is ten days later: its reissue."""
    text = "\n".join(line for line in SOURCE["text"].split("\n") if "الوئام" not in line)  # no credit to the paper
    paper = {**SOURCE, "author": "الرياض - واس", "text": text}
    agency = {**_copy(text, outlet="was", hours=240), "id": "spa"}
    (pair,) = _audit(tmp_path, [agency, paper]).values()
    assert (pair["source_id"], pair["direction"]) == (SOURCE["id"], "dated")
    assert (pair["relation"], pair["common_source"]) == ("shared_source", "was")


def test_told_the_agency_is_a_credit(tmp_path) -> None:
    told = "ورفض المسؤول في حديث لوكالة الصحافة الفرنسية التعليق على تفاصيل الخطة."
    (pair,) = _audit(tmp_path, [SOURCE, _copy(f"{SOURCE['text']}\n{told}")]).values()
    assert (pair["attribution"], pair["credited_outlet"], pair["credit_where"]) == ("credited", "afp", "text")


def test_in_a_round_up_a_credit_far_from_the_shared_text_is_about_something_else(tmp_path) -> None:
    """A round-up credits QNA for its first item; the paragraph it shares with the source is further on."""
    papers = [a for a in ARTICLES if a["id"].startswith("snn-") and a["outlet"] not in (SOURCE["outlet"], "was")]
    other = max(papers, key=lambda a: len(a["text"]))
    qna = "وقالت وكالة الأنباء القطرية إن الوزير بحث مع نظيره سبل التعاون."
    passage = " ".join(SOURCE["text"].split()[:60])
    (pair,) = _audit(tmp_path, [SOURCE, _copy(f"{qna}\n{other['text']}\n{passage}")]).values()
    assert (pair["attribution"], pair["credited_outlet"]) == ("uncredited", "")
    near = _copy(f"{other['text']}\n{qna}\n{passage}")  # the credit next to the shared text is about it
    (pair,) = _audit(tmp_path, [SOURCE, near]).values()
    assert (pair["attribution"], pair["credited_outlet"]) == ("credited", "qna")  # its wire text, credited


def test_a_paper_cited_inside_agency_copy_is_the_agencys_citation_not_the_copys_source(tmp_path) -> None:
    """The copy is signed to AFP and quotes the paper as AFP does ("وذكرت صحيفة الوئام"): both ran AFP."""
    cited = f"{SOURCE['text']}\nوذكرت صحيفة الوئام أن المقابلات ستستمر حتى نهاية الأسبوع."
    (pair,) = _audit(tmp_path, [SOURCE, _copy(cited, byline="الرياض - أ ف ب")]).values()
    assert (pair["relation"], pair["common_source"], pair["common_source_evidence"]) == (
        "shared_source",
        "afp",
        "byline",
    )
    assert (pair["attribution"], pair["credited_outlet"]) == ("credited", "afp")
    (pair,) = _audit(tmp_path, [SOURCE, _copy(cited)]).values()  # unsigned: the sentence credits the paper
    assert (pair["relation"], pair["common_source_evidence"], pair["credited_outlet"]) == ("copy", "credit", "alweeam")

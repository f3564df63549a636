import csv
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from dedup.audit import run_audit
from tests.conftest import DATA, SAMPLE

AUDIT = DATA / "audit" / "articles.jsonl"
TRUTH = json.loads((DATA / "audit" / "truth.json").read_text(encoding="utf-8"))


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def sample_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("audit") / "out"
    run_audit(AUDIT, out)
    return out


def test_every_planted_copy_is_found_with_direction_and_credit(sample_out) -> None:
    pairs = {(r["source_id"], r["copy_id"]): r for r in _rows(sample_out / "pairs.csv")}
    expected = {(t["source"], t["copy"]): t["attribution"] for t in TRUTH["copies"]}
    assert {k: v["attribution"] for k, v in pairs.items()} == expected  # nothing else, nothing missed
    for row in pairs.values():
        assert float(row["lag_hours"]) > 0
    rival = next(r for r in pairs.values() if r["copy_id"].endswith("rival_credited"))
    assert rival["credit_text"].startswith("نقلا عن صحيفة")
    half = next(r for r in pairs.values() if r["copy_id"].endswith("half_credited_other"))
    assert 0.5 <= float(half["containment"]) < 0.8  # half the article
    assert half["credited_outlet"] != half["source_outlet"]


def test_shared_quotation_topic_and_boilerplate_are_not_copies(sample_out) -> None:
    pairs = {frozenset((r["source_id"], r["copy_id"])) for r in _rows(sample_out / "pairs.csv")}
    for negative in TRUTH["shared_phrases_only"]:
        assert frozenset((negative["a"], negative["b"])) not in pairs
    boiler = {(r["outlet"], int(r["pages"])) for r in _rows(sample_out / "boilerplate.csv")}
    assert {outlet for outlet, _ in boiler} == {"aawsat", "okaz", "tajarubna"}
    assert _rows(sample_out / "same_outlet_pairs.csv") == []


def test_seed_page_credit_is_extracted_and_it_is_no_copy_of_itself(sample_out) -> None:
    seed = next(r for r in _rows(sample_out / "pairs.csv") if r["copy_id"].endswith("seed_page"))
    assert seed["source_outlet"] == "almashhad-alyemeni"
    assert seed["attribution"] == "credited"
    assert "صحيفة (المشهد اليمني)" in seed["credit_text"]
    assert float(seed["containment"]) >= 0.99  # the page carries the whole article (twice)
    clusters = json.loads((sample_out / "clusters.json").read_text(encoding="utf-8"))
    seed_cluster = next(c for c in clusters if c["origin"] == "mashhad-original")
    assert [a["id"] for a in seed_cluster["articles"]] == ["mashhad-original", seed["copy_id"]]


def test_wrapped_copy_keeps_full_containment_with_lower_jaccard(tmp_path) -> None:
    texts = [json.loads(line)["text"] for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    source = next(t for t in texts if 200 <= len(t.split()) <= 400)
    filler = " ".join(" ".join(t.split()) for t in texts[-20:]).split()
    header, footer = " ".join(filler[:75]), " ".join(filler[75:150])  # 150 words of other real text
    rows = [
        {"id": "src", "outlet": "jawhara", "published": "2017-01-01T10:00:00", "text": source},
        {"id": "farm", "outlet": "farm", "published": "2017-01-02T10:00:00", "text": f"{header}\n{source}\n{footer}"},
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    run_audit(path, tmp_path / "out")
    (pair,) = _rows(tmp_path / "out" / "pairs.csv")
    assert (pair["source_id"], pair["copy_id"]) == ("src", "farm")
    assert float(pair["containment"]) >= 0.9
    assert float(pair["jaccard"]) < float(pair["containment"]) - 0.1
    assert pair["attribution"] == "uncredited"


def test_bad_input_is_reported_with_line_and_reason(tmp_path) -> None:
    good = AUDIT.read_text(encoding="utf-8").splitlines()[:10]
    first = json.loads(good[0])
    bad = [
        "{not json",
        json.dumps({"id": "no-outlet", "published": "2015-07-21T10:00:00", "text": "نص"}),
        json.dumps({"id": "no-date", "outlet": "x", "published": "21/07/2015", "text": "نص"}),
        json.dumps({"id": "empty", "outlet": "x", "published": "2015-07-21", "text": ""}),
        json.dumps({"outlet": "x", "published": "2015-07-21", "text": "نص"}),
        json.dumps({**first, "text": "نص آخر"}),  # duplicate id
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(good + bad) + "\n", encoding="utf-8")
    summary = run_audit(path, tmp_path / "out")
    assert summary["counts"] == {"read": 16, "articles": 10, "rejected": 6, "crawl_duplicates": 0}
    rows = _rows(tmp_path / "out" / "rejected.csv")
    assert {r["where"] for r in rows} == {"in.jsonl"}  # the file's name, not its index
    rejected = {(int(r["line"]), r["kind"]) for r in rows}
    assert rejected == {
        (11, "invalid_json"),
        (12, "missing_outlet"),
        (13, "bad_date"),
        (14, "empty_text"),
        (15, "missing_id"),
        (16, "duplicate_id"),
    }


def test_folder_of_pages_with_metadata(tmp_path, seed_text) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "original.txt").write_text("\n".join(seed_text.split("\n")[:19]), encoding="utf-8")
    (folder / "page.txt").write_text(seed_text, encoding="utf-8")
    (folder / "metadata.csv").write_text(
        "file,id,outlet,url,published,title\n"
        "original.txt,orig,المشهد اليمني,https://a.example/1,2025-12-23T09:00:00,وزراء سوريا\n"
        "page.txt,copy,تجاربنا,https://b.example/2,2025-12-23T15:00:00,وزراء سوريا\n"
        "missing.txt,gone,تجاربنا,https://b.example/3,2025-12-23T16:00:00,\n",
        encoding="utf-8",
    )
    summary = run_audit(folder, tmp_path / "out")
    assert summary["counts"] == {"read": 3, "articles": 2, "rejected": 1, "crawl_duplicates": 0}
    (pair,) = _rows(tmp_path / "out" / "pairs.csv")
    assert (pair["source_id"], pair["copy_id"], pair["attribution"]) == ("orig", "copy", "credited")


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if found is None and os.environ.get("CI") != "true":
        pytest.skip("no Chromium here (CI installs Debian's chromium and runs this test)")
    assert found, "Chromium is required in CI: .ci/run installs Debian's chromium"
    return found


def _dom(browser: str, page: Path, profile: Path) -> tuple[str, str]:
    """The page's DOM after its scripts ran, and the browser's log, from headless Chromium."""
    done = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=3000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.stdout, done.stderr


def test_report_renders_in_headless_chromium_without_script_errors(sample_out, tmp_path) -> None:
    browser = _chromium()
    dom, log = _dom(browser, sample_out / "report.html", tmp_path / "profile")
    assert 'data-ready="1"' in dom, log[-2000:]  # the page's script ran to its end
    assert "Uncaught" not in log
    assert 'dir="rtl"' in dom
    assert '<span id="shown">6</span>' in dom
    rows = re.findall(r'<tr data-pair="(\d+)">(.*?)</tr>', dom)
    assert len(rows) == 6  # every pair is listed, each links to its page
    for number, row in rows:
        assert f"pairs/000.html#pair-{number}" in row
    page, log = _dom(browser, sample_out / "pairs" / "000.html", tmp_path / "profile")
    for copy in TRUTH["copies"]:
        assert f'data-copy="{copy["copy"]}"' in page
    assert "<mark>" in page


def test_outlet_names_file_teaches_new_credits(tmp_path, capsys) -> None:
    from dedup.cli import main

    texts = [json.loads(line)["text"] for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    source = next(t for t in texts if 200 <= len(t.split()) <= 400)
    rows = [
        {"id": "src", "outlet": "jawhara", "published": "2017-01-01T10:00:00", "text": source},
        {"id": "copy", "outlet": "farm", "published": "2017-01-02T10:00:00", "text": f"{source}\nالمصدر: جوهرة أف أم"},
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert main(["audit", str(path), "--out", str(tmp_path / "a")]) == 0
    assert _rows(tmp_path / "a" / "pairs.csv")[0]["attribution"] == "uncredited"  # the name is unknown
    names = tmp_path / "names.csv"
    names.write_text("outlet,name,ambiguous\njawhara,جوهرة أف أم,no\n", encoding="utf-8")
    assert main(["audit", str(path), "--out", str(tmp_path / "b"), "--outlet-names", str(names)]) == 0
    (pair,) = _rows(tmp_path / "b" / "pairs.csv")
    assert (pair["attribution"], pair["credit_text"]) == ("credited", "المصدر: جوهرة أف أم")
    assert main(["audit", str(path), "--out", str(tmp_path / "c"), "--outlet-names", str(tmp_path / "nope.csv")]) == 1
    assert "cannot read outlet names" in capsys.readouterr().err


def test_a_dateline_credits_its_agency_but_a_city_or_the_copy_itself_does_not() -> None:
    from dedup.audit.attribution import found_in
    from dedup.audit.model import Article
    from dedup.audit.names import Names

    names = Names.build([])
    body = json.loads(AUDIT.read_text(encoding="utf-8").splitlines()[0])["text"]

    def credit(text: str, copy: str) -> list[tuple[str, str]]:
        article = Article(0, "x", copy, "", 0.0, "", text, "")
        return [(f.where, f.outlet) for f in found_in(article, names) if f.where == "dateline"]

    assert credit(f"واس- الرياض: {body}", "sabq") == [("dateline", "was")]
    assert credit(f"الرياض - واس\n{body}", "alriyadh") == [("dateline", "was")]
    assert credit(f"جدة – «المدينة»\n{body}", "okaz") == [("dateline", "almadina")]  # bracketed
    assert credit(f"الرياض ـ صحيفة الوطن: {body}", "sabq") == [("dateline", "alwatan")]  # named as a paper
    assert credit(f"سان فرانسيسكو 20 يوليو تموز (رويترز) - {body}", "sabq") == [("dateline", "reuters")]
    assert credit(f"الرياض - {body}", "sabq") == []  # the city, not the paper
    assert credit(f"سبق- الرياض: {body}", "sabq") == []  # its own name
    assert credit(f"بدأت الجوازات، اليوم (الاثنين)، العمل - {body}", "sabq") == []  # the word "today"
    assert credit(body, "sabq") == []


def test_an_agency_dateline_in_a_copied_paragraph_is_reported(tmp_path) -> None:
    source = json.loads(AUDIT.read_text(encoding="utf-8").splitlines()[0])
    rows = [
        {**source, "id": "src", "outlet": "alweeam", "published": "2015-07-21T02:00:00"},
        {
            **source,
            "id": "copy",
            "outlet": "sabq",
            "published": "2015-07-21T05:00:00",
            "text": "واس- الرياض: " + source["text"],
        },
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    run_audit(path, tmp_path / "out")
    (pair,) = _rows(tmp_path / "out" / "pairs.csv")
    assert (pair["source_id"], pair["copy_id"]) == ("src", "copy")
    # The copy says the text is the agency's: both carry it (issue 11), and the copy credits it.
    assert (pair["relation"], pair["common_source"]) == ("shared_source", "was")
    assert (pair["attribution"], pair["credited_outlet"], pair["credit_where"]) == ("credited", "was", "dateline")
    assert pair["credit_text"].startswith("واس- الرياض:")


def test_pages_outside_the_folder_are_never_read(tmp_path, seed_text) -> None:
    """Issue 14, item 6: metadata.csv naming ../secret.txt or an absolute path reads nothing outside."""
    secret = tmp_path / "secret.txt"
    secret.write_text("كلمة السر المحفوظة خارج المجلد", encoding="utf-8")
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "page.txt").write_text(seed_text, encoding="utf-8")
    (folder / "metadata.csv").write_text(
        "file,id,outlet,url,published,title\n"
        "page.txt,p,تجاربنا,https://b.example/2,2025-12-23T15:00:00,وزراء\n"
        f"../secret.txt,s1,x,,2025-12-23T15:00:00,\n{secret},s2,x,,2025-12-23T15:00:00,\n",
        encoding="utf-8",
    )
    summary = run_audit(folder, tmp_path / "out")
    assert summary["rejected_by_reason"] == {"outside_folder": 2}
    out = tmp_path / "out"
    assert not any("كلمة السر" in f.read_text(encoding="utf-8") for f in out.rglob("*") if f.is_file())


def test_dates_at_the_edges_of_the_calendar_are_written(tmp_path) -> None:
    """Issue 14, item 8: valid ISO 8601 dates whose UTC falls outside years 1-9999 do not crash a pair."""
    text = json.loads(AUDIT.read_text(encoding="utf-8").splitlines()[0])["text"]
    rows = [
        {"id": "a", "outlet": "x", "published": "0001-01-01T00:00:00+23:59", "text": text},
        {"id": "b", "outlet": "y", "published": "9999-12-31T23:59:59-23:59", "text": text},
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    run_audit(path, tmp_path / "out")
    (pair,) = _rows(tmp_path / "out" / "pairs.csv")
    assert (pair["source_id"], pair["copy_id"]) == ("a", "b")


def test_a_folder_of_legacy_pages_is_read_with_its_encoding(tmp_path, seed_text) -> None:
    """Issue 15: the audit reads cp1256 pages when told to, and its hint names the option it has."""
    from dedup.cli import main

    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "original.txt").write_bytes("\n".join(seed_text.split("\n")[:19]).encode("cp1256", "replace"))
    (folder / "page.txt").write_bytes(seed_text.encode("cp1256", "replace") + b"\x00")  # padded as exporters do
    (folder / "metadata.csv").write_text(
        "file,id,outlet,url,published,title\n"
        "original.txt,orig,المشهد اليمني,https://a.example/1,2025-12-23T09:00:00,وزراء\n"
        "page.txt,copy,تجاربنا,https://b.example/2,2025-12-23T15:00:00,وزراء\n",
        encoding="utf-8",
    )
    assert main(["audit", str(folder), "--out", str(tmp_path / "a")]) == 1  # every page rejected
    (row, _) = _rows(tmp_path / "a" / "rejected.csv")
    assert "often --encoding cp1256" in row["reason"]
    assert main(["audit", str(folder), "--out", str(tmp_path / "b"), "--encoding", "cp1256"]) == 0
    (pair,) = _rows(tmp_path / "b" / "pairs.csv")
    assert (pair["source_id"], pair["copy_id"], pair["attribution"]) == ("orig", "copy", "credited")


def test_pair_pages_say_in_arabic_what_decided_the_relation(sample_out) -> None:
    """A reader of the pages sees why a pair is a copy or a shared source, in Arabic, beside the code."""
    page = (sample_out / "pairs" / "000.html").read_text(encoding="utf-8")
    for row in _rows(sample_out / "pairs.csv"):
        kind = "نقل مباشر" if row["relation"] == "copy" else "مصدر مشترك"
        assert f"{kind}" in page and f"<bdi>{row['common_source_evidence']}</bdi>)" in page
    assert "(النسخة تنسب النص إلى المصدر <bdi>credit</bdi>)" in page

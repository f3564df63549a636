import csv
import gzip
import json
import os
import random
from pathlib import Path

import pytest

from dedup.config import DedupConfig, LSHConfig
from dedup.corpus import CorpusOptions, run_corpus
from dedup.dates import parse_date
from dedup.lsh import exact_jaccard
from dedup.noise import edit_words, perturb
from dedup.paragraph_rule import ParagraphRule
from dedup.pipeline import Pipeline
from dedup.records import FieldNames
from dedup.segment import drop_lines
from dedup.textio import RunError
from tests.conftest import SAMPLE, saudinewsnet_day


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The shipped 300 real articles then 60 planted copies: exact, noisy, lightly edited; copy id -> source id."""
    rng = random.Random(3)
    originals = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    rows = list(originals)
    sources = {}
    for k, doc in enumerate(rng.sample(originals, 60)):
        text = doc["text"]
        kind = ("exact", "noisy", "edited")[k % 3]
        if kind == "noisy":
            text = perturb(text, rng)
        elif kind == "edited":
            text = edit_words(text, 0.01, rng)  # 5-gram Jaccard about 0.9; 3% would be about 0.75
        copy = {**doc, "id": f"{doc['id']}-{kind}-copy", "text": text, "published": "2018-01-01T00:00:00"}
        sources[copy["id"]] = doc["id"]
        rows.append(copy)
    path = tmp_path_factory.mktemp("planted") / "corpus.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path, sources


def _duplicates(out: Path) -> dict[str, str]:
    with (out / "duplicates.csv").open(encoding="utf-8") as handle:
        return {row["id"]: row["kept_id"] for row in csv.DictReader(handle)}


def _exact_jaccard(path: Path, pairs: dict[str, str]) -> dict[str, float]:
    texts = {d["id"]: d["text"] for d in map(json.loads, path.open(encoding="utf-8"))}
    pipeline = Pipeline()
    out = {}
    for copy, source in pairs.items():
        batch = pipeline.sign([texts[copy], texts[source]])
        out[copy] = exact_jaccard(batch.shingle_set(0), batch.shingle_set(1))
    return out


def test_planted_copies_are_dropped_and_originals_kept(planted, tmp_path) -> None:
    path, sources = planted
    manifest = run_corpus(path, tmp_path / "out", opts=CorpusOptions(keep="first", workers=1))
    found = _duplicates(tmp_path / "out")
    truth = _exact_jaccard(path, sources)
    assert set(found) <= set(sources)  # only planted copies are dropped ...
    assert all(found[c] == sources[c] for c in found)  # ... each as a duplicate of its own original
    assert {c for c, j in truth.items() if j >= 0.85} <= set(found)  # every clear copy is found
    assert len(found) >= 58
    assert manifest["counts"] == {"read": 360, "kept": 360 - len(found), "duplicates": len(found), "rejected": 0}
    kept = [json.loads(line)["id"] for line in (tmp_path / "out" / "kept" / "corpus.jsonl").open(encoding="utf-8")]
    assert len(kept) == 360 - len(found) and not set(kept) & set(found)


def test_keep_policies(planted, tmp_path) -> None:
    path, sources = planted
    dates = {d["id"]: parse_date(d["published"]) for d in map(json.loads, path.open(encoding="utf-8"))}
    manifest = run_corpus(path, tmp_path / "earliest", opts=CorpusOptions(keep="earliest", workers=1))
    run_corpus(path, tmp_path / "longest", opts=CorpusOptions(keep="longest", workers=1))
    # Copies are dated 2018, after every original; real originals dated "15/12/2016" are not ISO 8601: undated,
    # so they rank after any dated document.
    earliest = _duplicates(tmp_path / "earliest")
    for copy, source in sources.items():
        if copy in earliest or source in earliest:
            assert (earliest[copy] == source) if dates[source] is not None else (earliest[source] == copy)
    assert manifest["undated"] == sum(v is None for v in dates.values())
    # Noisy copies are longer (marks, tatweel) than their originals: keep=longest keeps them.
    longest = _duplicates(tmp_path / "longest")
    noisy = [c for c in sources if "-noisy-" in c]
    assert all(longest[sources[c]] == c for c in noisy if sources[c] in longest or c in longest)


def test_same_kept_set_whatever_the_workers_or_batch_size(planted, tmp_path) -> None:
    path, _ = planted
    run_corpus(path, tmp_path / "a", opts=CorpusOptions(workers=1, batch_size=7))
    run_corpus(path, tmp_path / "b", opts=CorpusOptions(workers=2, batch_size=500))
    for name in ("duplicates.csv", "kept/corpus.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_bad_input_is_accounted_for_and_the_run_finishes(tmp_path) -> None:
    pytest.importorskip("pyarrow")
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "in"
    folder.mkdir()
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    good = [
        *lines[:20],
        "this is not json",
        json.dumps({"id": "no-text"}),
        json.dumps({"id": "empty", "text": "   "}),
        json.dumps({"id": "huge", "text": "ا " * 25_000_000}),  # 50 MB
        json.dumps({"id": "number", "text": 42}),
        lines[0],  # duplicate id
        json.dumps(["a", "list"]),
    ]
    (folder / "a.jsonl").write_text("\n".join(good) + "\n", encoding="utf-8")
    blob = gzip.compress("\n".join(lines[20:60]).encode("utf-8"))
    (folder / "b.jsonl.gz").write_bytes(blob[: len(blob) // 2])  # corrupt: cut in the middle
    table = pa.table(
        {"id": [json.loads(x)["id"] for x in lines[60:80]], "text": [json.loads(x)["text"] for x in lines[60:80]]}
    )
    pq.write_table(table, folder / "c.parquet")
    (folder / "d.parquet").write_bytes((folder / "c.parquet").read_bytes()[:300])  # truncated
    manifest = run_corpus(folder, tmp_path / "out", opts=CorpusOptions(workers=1, max_chars=10_000_000))
    counts = manifest["counts"]
    assert manifest["rejected_by_reason"] == {
        "bad_text": 1,
        "duplicate_id": 1,
        "empty_text": 1,
        "invalid_json": 1,
        "missing_text": 1,
        "not_an_object": 1,
        "too_long": 1,
    }
    assert counts["read"] == counts["kept"] + counts["duplicates"] + counts["rejected"]
    assert [e.split(":")[0] for e in manifest["file_errors"]] == [str(folder / "b.jsonl.gz"), str(folder / "d.parquet")]
    kept = tmp_path / "out" / "kept"
    assert sorted(p.name for p in kept.iterdir()) == ["00000-a.jsonl", "00001-b.jsonl.gz", "00002-c.parquet"]
    assert pq.read_table(kept / "00002-c.parquet").num_rows == 20
    rejected = (tmp_path / "out" / "rejected.csv").read_text(encoding="utf-8")
    assert "a.jsonl,21,,invalid_json,not valid JSON" in rejected


def test_outputs_replace_atomically_and_refuse_foreign_folders(planted, tmp_path, monkeypatch) -> None:
    path, _ = planted
    out = tmp_path / "out"
    run_corpus(path, out, opts=CorpusOptions(workers=1))
    before = (out / "manifest.json").read_bytes()

    import dedup.corpus.run

    def broken(*args, **kwargs):
        raise KeyboardInterrupt  # the user stops the run while outputs are being written

    monkeypatch.setattr(dedup.corpus.run, "write_kept", broken)
    with pytest.raises(KeyboardInterrupt):
        run_corpus(path, out, DedupConfig(), CorpusOptions(workers=1))
    assert (out / "manifest.json").read_bytes() == before  # the finished output is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no partial folder left

    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(RunError, match="not written by dedup"):
        run_corpus(path, foreign, opts=CorpusOptions(workers=1))
    assert (foreign / "notes.txt").read_text() == "keep me"


def test_a_manifest_json_alone_does_not_make_a_folder_replaceable(tmp_path) -> None:
    """Issue 14, item 1: only this tool's marker, listing every entry, lets a folder be replaced."""
    out = tmp_path / "p"
    out.mkdir()
    (out / "manifest.json").write_text("{}")
    (out / "notes.txt").write_text("x")
    with pytest.raises(RunError, match="not written by dedup"):
        run_corpus(SAMPLE, out, opts=CorpusOptions(workers=1))
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "notes.txt"]

    ours = tmp_path / "ours"
    run_corpus(SAMPLE, ours, opts=CorpusOptions(workers=1))
    run_corpus(SAMPLE, ours, opts=CorpusOptions(workers=1))  # a previous output is replaced
    (ours / "notes.txt").write_text("added by the user")
    with pytest.raises(RunError, match=r"holds files dedup did not write \(notes.txt\)"):
        run_corpus(SAMPLE, ours, opts=CorpusOptions(workers=1))
    assert (ours / "notes.txt").read_text() == "added by the user"
    assert (ours / "manifest.json").exists()


@pytest.mark.parametrize("where", ["input", "parent", "inside"])
def test_the_output_is_never_an_input_or_around_one(tmp_path, where) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.jsonl").write_bytes(SAMPLE.read_bytes())
    (folder / "manifest.json").write_text("{}")  # as an earlier tool might have left
    out = {"input": folder, "parent": tmp_path, "inside": folder / "deduped"}[where]
    with pytest.raises(RunError, match="must not be, hold or sit inside the input"):
        run_corpus(folder, out, opts=CorpusOptions(workers=1))
    assert (folder / "a.jsonl").read_bytes() == SAMPLE.read_bytes()
    assert sorted(p.name for p in folder.iterdir()) == ["a.jsonl", "manifest.json"]


def test_missing_input_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(RunError, match="no such file or folder"):
        run_corpus(tmp_path / "nope.jsonl", tmp_path / "out")


@pytest.mark.parametrize("pages", [3, 2])
def test_paragraph_level_removes_repeats_and_boilerplate_and_drops_contained_documents(
    seed_text, tmp_path, pages
) -> None:
    """Issue 16: the seed page's second copy of its article goes (a repeat inside its page) but for its widget line
    «القصص الموصى بها» (shorter than one n-gram: structure, not a copy, on one page); the republisher's
    footer, on two pages, stays unless two pages make boilerplate; an excerpt with nothing of its own is dropped
    whole and points at the page (before issue 16 the footer went from the second page as a copy)."""
    pytest.importorskip("pyarrow")
    lines = seed_text.split("\n")
    article = json.loads(SAMPLE.read_text(encoding="utf-8").splitlines()[0])["text"]
    docs = [
        {"id": "page", "text": seed_text},  # the article twice, and the republisher's footer
        {"id": "other", "text": article + "\n" + "\n".join(lines[41:43])},  # carries the same footer
        {"id": "excerpt", "text": "\n".join(lines[5:9])},  # nothing of its own
    ]
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    rule = ParagraphRule(boilerplate_pages=pages)
    manifest = run_corpus(path, tmp_path / "out", opts=CorpusOptions(level="paragraph", workers=1, paragraphs=rule))
    assert manifest["counts"] == {"read": 3, "kept": 2, "duplicates": 1, "rejected": 0}
    footer = 2 * (pages == 2)
    assert manifest["paragraphs_removed"] == 18 + 2 * footer
    assert manifest["boilerplate_lines_removed"] == 2 * footer
    with (tmp_path / "out" / "duplicates.csv").open(encoding="utf-8") as handle:
        assert [(r["id"], r["kept_id"], r["level"]) for r in csv.DictReader(handle)] == [
            ("excerpt", "page", "contained")
        ]
    kept = {d["id"]: d["text"] for d in map(json.loads, (tmp_path / "out" / "kept" / "c.jsonl").open(encoding="utf-8"))}
    assert kept["page"].split("\n") == [*lines[:21], lines[24], *lines[40:41], *lines[43 if footer else 41 :]]
    assert kept["other"] == (article if footer else docs[1]["text"])
    with (tmp_path / "out" / "paragraphs_removed.csv").open(encoding="utf-8") as handle:
        removed = [
            (r["id"], int(r["line"]), r["first_id"], int(r["first_line"]), r["kind"]) for r in csv.DictReader(handle)
        ]
    assert len(removed) == manifest["paragraphs_removed"]
    assert ("page", 22, "page", 1, "repeat") in removed
    footer_line = len(article.split("\n")) + 1
    assert (("other", footer_line, "page", 42, "boilerplate") in removed) == bool(footer)


def test_estimated_verification_path(planted, tmp_path) -> None:
    path, sources = planted
    cfg = DedupConfig(lsh=LSHConfig(verify="estimate"))
    run_corpus(path, tmp_path / "out", cfg, CorpusOptions(workers=1))
    found = _duplicates(tmp_path / "out")
    assert set(found) <= set(sources) and all(found[c] == sources[c] for c in found)
    assert len(found) >= 50  # estimates miss some pairs near the threshold; exact verification finds them all


def test_kept_rows_are_copied_byte_for_byte(tmp_path) -> None:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()[:6]
    copy = json.dumps({**json.loads(lines[2]), "id": "copy"}, ensure_ascii=False)
    raw = "\n".join([lines[0], "", lines[1], lines[2], "   ", copy, lines[3], lines[4], lines[5]])  # no final newline
    path = tmp_path / "c.jsonl"
    path.write_text(raw, encoding="utf-8")
    run_corpus(path, tmp_path / "out", opts=CorpusOptions(workers=1))
    kept = (tmp_path / "out" / "kept" / "c.jsonl").read_text(encoding="utf-8")
    assert kept == "".join(line + "\n" for line in lines)  # blank lines and the copy dropped, the rest verbatim


def test_duplicates_parquet_holds_the_same_rows_as_the_csv(tmp_path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()[:5]
    awkward = ['a,"b"\nc', "NULL", "N/A", "42", "معرّف ١"]
    copies = [
        json.dumps({**json.loads(line), "id": name}, ensure_ascii=False)
        for line, name in zip(lines, awkward, strict=True)
    ]
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(lines + copies) + "\n", encoding="utf-8")
    run_corpus(path, tmp_path / "out", opts=CorpusOptions(workers=1))
    with (tmp_path / "out" / "duplicates.csv").open(encoding="utf-8", newline="") as handle:
        from_csv = list(csv.DictReader(handle))
    from_parquet = pq.read_table(tmp_path / "out" / "duplicates.parquet").to_pylist()
    assert sorted(row["id"] for row in from_parquet) == sorted(awkward)
    assert [{k: str(v) for k, v in row.items()} for row in from_parquet] == from_csv


def test_every_long_stage_shows_progress_only_when_asked(planted, tmp_path, capsys) -> None:
    path, _ = planted
    run_corpus(path, tmp_path / "quiet", opts=CorpusOptions(workers=1))
    assert capsys.readouterr().err == ""
    run_corpus(path, tmp_path / "loud", opts=CorpusOptions(workers=1, level="paragraph", progress=True))
    err = capsys.readouterr().err
    for stage in ("read and sign", "candidates", "verify"):
        assert f"documents: {stage}" in err
    assert "paragraphs: read and sign" in err  # since issue 16 paragraphs are not matched by LSH
    assert "write kept" in err


def test_gzip_input_gives_gzip_output_with_the_same_rows_compressed_in_pieces(planted, tmp_path, monkeypatch) -> None:
    import dedup.corpus.writers

    path, _ = planted
    zipped = tmp_path / "corpus.jsonl.gz"
    zipped.write_bytes(gzip.compress(path.read_bytes()))
    run_corpus(path, tmp_path / "plain", opts=CorpusOptions(workers=1))
    monkeypatch.setattr(dedup.corpus.writers, "_GZIP_MEMBER_BYTES", 50_000)  # many members on both workers
    run_corpus(zipped, tmp_path / "gz", opts=CorpusOptions(workers=2))
    run_corpus(zipped, tmp_path / "again", opts=CorpusOptions(workers=1))
    out = (tmp_path / "gz" / "kept" / "corpus.jsonl.gz").read_bytes()
    assert gzip.decompress(out) == (tmp_path / "plain" / "kept" / "corpus.jsonl").read_bytes()
    assert out.count(b"\x1f\x8b\x08") > 5  # gzip members, one after another
    assert out == (tmp_path / "again" / "kept" / "corpus.jsonl.gz").read_bytes()  # same bytes, any worker count


def test_kept_rows_are_copied_where_the_kernel_cannot_copy_them(planted, tmp_path, monkeypatch) -> None:
    import errno
    import os

    path, _ = planted
    run_corpus(path, tmp_path / "kernel", opts=CorpusOptions(workers=1))

    def refuse(*args) -> int:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "copy_file_range", refuse)  # as between two file systems on some kernels
    run_corpus(path, tmp_path / "buffer", opts=CorpusOptions(workers=1))
    kept = (tmp_path / "buffer" / "kept" / "corpus.jsonl").read_bytes()
    assert kept == (tmp_path / "kernel" / "kept" / "corpus.jsonl").read_bytes()
    assert len(kept.splitlines()) == 300


def _hostile_rows(article: dict, other: dict) -> list[str]:
    """Rows that once crashed a run or were accepted wrongly (issue 14, items 2, 3, 5, 24)."""
    text = json.dumps(article["text"], ensure_ascii=False)
    unique = "سطر خاص بهذه الوثيقة وحدها لا يتكرر في أي مكان آخر من هذه المدونة"
    own = other["text"].split("\n")[0] + "\n" + unique + "\n" + unique  # a repeat inside its page
    return [
        '{"id": "\\ud800", "text": ' + text + "}",  # a lone surrogate in the id
        '{"id": "s", "text": "\\udfff' + text[1:] + "}",  # ... in the text
        '{"id": "t", "text": ' + json.dumps(own, ensure_ascii=False) + ', "title": "\\ud800"}',  # ... elsewhere
        '{"id": "n", "text": "نص", "n": ' + "[" * 100_000 + "]" * 100_000 + "}",  # nested too deeply
        json.dumps({"id": "x" * 2_000_000, "text": article["text"]}),  # a 2 MB id on a duplicate row
        json.dumps({"id": {"a": 1}, "text": "نص"}),
        json.dumps({"id": ["a"], "text": "نص"}),
        json.dumps({"id": True, "text": "نص"}),
        '{"id": Infinity, "text": "نص"}',
        json.dumps({"id": "", "text": "نص"}),
        json.dumps({"id": None, "text": "نص"}),
        json.dumps({"id": 7, "text": "نص عربي قصير"}),  # an integer id is its decimal string ...
        json.dumps({"id": "7", "text": "نص آخر"}),  # ... so this one repeats it
    ]


_HOSTILE_KINDS = {"bad_id": 6, "bad_text": 1, "duplicate_id": 1, "empty_id": 1, "invalid_json": 1, "missing_id": 1}


@pytest.mark.parametrize("level", ["document", "paragraph"])
def test_hostile_rows_are_rejected_with_reasons_and_the_run_goes_on(tmp_path, level) -> None:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()[:10]
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(lines + _hostile_rows(*map(json.loads, lines[:2]))) + "\n", encoding="utf-8")
    manifest = run_corpus(path, tmp_path / "out", opts=CorpusOptions(workers=2, batch_size=4, level=level))
    counts = manifest["counts"]
    assert manifest["rejected_by_reason"] == _HOSTILE_KINDS
    assert counts["read"] == 23 == counts["kept"] + counts["duplicates"] + counts["rejected"]
    assert _duplicates(tmp_path / "out") == {}  # the 2 MB id (a copy of line 1) is rejected
    with (tmp_path / "out" / "rejected.csv").open(encoding="utf-8") as handle:
        reasons = {int(row["line"]): row["reason"] for row in csv.DictReader(handle)}
    assert reasons[11] == "id '\\ud800' contains a lone surrogate (an unpaired \\ud800-\\udfff escape)"
    assert reasons[14] == "not usable JSON: nested too deeply"
    assert reasons[15].startswith("id too long (2,000,000 characters > 4,096)")
    assert reasons[16] == "id field 'id' is an object, not a string or an integer"
    assert reasons[21] == "id field 'id' is null"
    assert reasons[23] == "duplicate id '7' (first at c.jsonl:22)"
    kept = [json.loads(line) for line in (tmp_path / "out" / "kept" / "c.jsonl").open(encoding="utf-8")]
    assert [d["id"] for d in kept][-2:] == ["t", 7]
    assert kept[-2]["title"] == "\ud800"  # kept, and written escaped when its text lost a paragraph
    assert len(kept[-2]["text"].split("\n")) == (3 if level == "document" else 2)


@pytest.mark.parametrize("level", ["document", "paragraph"])
def test_a_damaged_parquet_row_group_loses_only_its_rows(tmp_path, level) -> None:
    """Issue 14, item 4: the row groups before and after the damage are read and their kept rows written."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rows = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()[:60]]
    rows[50]["text"] = rows[5]["text"]  # a copy, after the damage, of a row before it
    own = rows[45]["text"]
    rows[45]["text"] = own + "\n" + own.split("\n")[0]  # and a paragraph repeated in its page
    path = tmp_path / "c.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=20, compression="none")
    data = bytearray(path.read_bytes())
    at = pq.ParquetFile(path).metadata.row_group(1).column(4).data_page_offset  # the texts of rows 21-40
    data[at : at + 40] = b"\xff" * 40
    path.write_bytes(bytes(data))
    manifest = run_corpus(path, tmp_path / "out", opts=CorpusOptions(workers=1, batch_size=7, level=level))
    assert manifest["counts"] == {"read": 40, "kept": 39, "duplicates": 1, "rejected": 0}
    (error,) = manifest["file_errors"]
    assert error.startswith(f"{path}: rows 21-40 (row group 2) cannot be read: ")
    kept = pq.read_table(tmp_path / "out" / "kept" / "c.parquet").to_pylist()
    assert [r["id"] for r in kept] == [r["id"] for r in rows[:20] + rows[40:] if r is not rows[50]]
    assert kept[25]["text"] == (own if level == "paragraph" else rows[45]["text"])
    assert manifest.get("paragraphs_removed", 0) == (level == "paragraph")


def test_input_files_are_named_by_their_path_in_the_folder_even_when_not_utf8(tmp_path) -> None:
    """Issue 14, items 7 and 25: a file name that is not UTF-8, and two files of one name in two folders."""
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    folder = tmp_path / "in"
    for sub in ("a", "b"):
        (folder / sub).mkdir(parents=True)
        (folder / sub / "x.jsonl").write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    (folder / os.fsdecode(b"\xff.jsonl")).write_text("\n".join([*lines[3:6], "{bad"]) + "\n", encoding="utf-8")
    manifest = run_corpus(folder, tmp_path / "out", opts=CorpusOptions(workers=1))
    assert manifest["counts"] == {"read": 10, "kept": 6, "duplicates": 0, "rejected": 4}
    assert manifest["inputs"][-1] == f"{folder}/\\xff.jsonl"
    with (tmp_path / "out" / "rejected.csv").open(encoding="utf-8") as handle:
        rows = [(r["file"], r["line"], r["reason"]) for r in csv.DictReader(handle)]
    first = json.loads(lines[0])["id"]
    assert rows[0] == ("b/x.jsonl", "1", f"duplicate id {first!r} (first at a/x.jsonl:1)")
    assert rows[3][:2] == ("\\xff.jsonl", "4")


def test_files_a_folder_holds_but_are_not_read_are_named(tmp_path) -> None:
    """Issue 14, items 19 and 21: other suffixes and a pipe are listed, a pretty-printed .json object is refused
    whole (not read as JSON Lines, line by line; an array is read, issue 15), and a pipe given as the input is
    refused (never a hang)."""
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jsonl").write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    (folder / "B.JSONL").write_text("\n".join(lines[3:6]) + "\n", encoding="utf-8")
    (folder / "c.jsonl.gzip").write_bytes(gzip.compress(SAMPLE.read_bytes()))
    pretty = json.dumps([json.loads(line) for line in lines[6:9]], ensure_ascii=False, indent=2)
    (folder / "e.json").write_text(pretty, encoding="utf-8")
    (folder / "f.json").write_text(json.dumps(json.loads(lines[9]), ensure_ascii=False, indent=2), encoding="utf-8")
    os.mkfifo(folder / "p.jsonl")
    manifest = run_corpus(folder, tmp_path / "out", opts=CorpusOptions(workers=1))
    assert manifest["counts"] == {"read": 6, "kept": 6, "duplicates": 0, "rejected": 0}
    assert manifest["unread_files"] == ["B.JSONL", "c.jsonl.gzip", "p.jsonl"]
    (error,) = manifest["file_errors"]
    assert error == f"{folder / 'f.json'}: one JSON document that is an object, not an array of objects"
    with pytest.raises(RunError, match="not a regular file"):
        run_corpus(folder / "p.jsonl", tmp_path / "out2")


def test_rejected_csv_cells_never_run_as_spreadsheet_formulas(tmp_path) -> None:
    """Issue 14, item 26: rejected.csv is for people, so a cell a spreadsheet would run gets a leading quote;
    duplicates.csv keeps ids exactly (it is data, and duplicates.parquet is read from it)."""
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()[:3]
    formulas = ['=HYPERLINK("http://x")', "+1+2", "-3", "@SUM(A1)"]
    rows = [*lines, *(json.dumps({"id": name, "text": " "}) for name in formulas)]
    rows.append(json.dumps({**json.loads(lines[0]), "id": "=copy"}, ensure_ascii=False))
    path = tmp_path / "=c.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    manifest = run_corpus(path, tmp_path / "out", opts=CorpusOptions(workers=1))
    counts = manifest["counts"]
    assert counts == {"read": 8, "kept": 3, "duplicates": 1, "rejected": 4}
    with (tmp_path / "out" / "rejected.csv").open(encoding="utf-8") as handle:
        assert [(r["file"], r["id"]) for r in csv.DictReader(handle)] == [("'=c.jsonl", "'" + f) for f in formulas]
    assert _duplicates(tmp_path / "out") == {"=copy": json.loads(lines[0])["id"]}


def test_a_json_array_is_kept_as_json_lines_with_its_repeated_paragraphs_removed(tmp_path) -> None:
    """Issue 15: SaudiNewsNet's day file (an array) comes out as kept/2015-07-21.jsonl, each kept article
    as it was but for a paragraph repeated inside it (one, in alwatan). Issue 16: two of the outlets' runs of one
    SPA release (ولي ولي العهد meets the Chechen president), edited too much for the document pass, are dropped
    whole as 90% and 81% contained in al-jazirah's, not cut to fragments; the others (at most 71% in any one)
    stay whole."""
    path = tmp_path / "2015-07-21.json"
    path.write_bytes(saudinewsnet_day())
    fields = FieldNames(id="url", text="content")
    manifest = run_corpus(path, tmp_path / "out", opts=CorpusOptions(workers=1, level="paragraph", fields=fields))
    assert manifest["counts"] == {"read": 40, "kept": 35, "duplicates": 3, "rejected": 2}
    with (tmp_path / "out" / "duplicates.csv").open(encoding="utf-8") as handle:
        contained = [(r["id"].split("/")[2], r["kept_id"].split("/")[2]) for r in csv.DictReader(handle)][:2]
    assert contained == [("www.al-madina.com", "www.al-jazirah.com"), ("www.alweeam.com.sa", "www.al-jazirah.com")]
    with (tmp_path / "out" / "paragraphs_removed.csv").open(encoding="utf-8") as handle:
        removed: dict[str, set[int]] = {}
        for row in csv.DictReader(handle):
            removed.setdefault(row["id"], set()).add(int(row["line"]))
    assert sorted(map(len, removed.values())) == [1]
    articles = {a["url"]: a for a in json.loads(path.read_bytes())}
    kept = [json.loads(line) for line in (tmp_path / "out" / "kept" / "2015-07-21.jsonl").open(encoding="utf-8")]
    assert len(kept) == 35
    for row in kept:
        original = articles[row["url"]]
        text = drop_lines(original["content"], removed.get(row["url"], set()))
        assert row == {**original, "content": text}

import json
import random
import sqlite3

import pytest

from dedup.cli import main
from dedup.config import HASH_VERSION, DedupConfig, ShingleConfig
from dedup.index import IndexFileError, SignatureIndex
from dedup.noise import perturb
from tests.conftest import SAMPLE


@pytest.fixture(scope="module")
def articles() -> list[dict]:
    return [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]


def test_query_finds_only_what_was_added_before(articles, tmp_path) -> None:
    db = tmp_path / "news.db"
    index = SignatureIndex(db, DedupConfig())
    assert index.add([a["id"] for a in articles[:100]], [a["text"] for a in articles[:100]]) == []
    copy = perturb(articles[5]["text"], random.Random(1))
    results = index.query([copy, articles[150]["text"]])
    assert [m.id for m in results[0]] == [articles[5]["id"]]
    assert results[0][0].similarity >= 0.9
    assert results[1] == []  # article 150 has not been added
    index.close()

    reopened = SignatureIndex(db)  # its own settings
    assert len(reopened) == 100
    assert reopened.add([articles[5]["id"], articles[150]["id"]], [copy, articles[150]["text"]]) == [articles[5]["id"]]
    assert [m.id for m in reopened.query([articles[150]["text"]])[0]] == [articles[150]["id"]]


def test_other_settings_are_refused(articles, tmp_path) -> None:
    db = tmp_path / "news.db"
    SignatureIndex(db, DedupConfig()).close()
    with pytest.raises(IndexFileError, match=r"shingle\.n: index has 5, asked 3"):
        SignatureIndex(db, DedupConfig(shingle=ShingleConfig(n=3)))


def test_a_file_that_is_not_an_index_is_refused(tmp_path) -> None:
    bogus = tmp_path / "notes.db"
    bogus.write_text("hello, this is not SQLite")
    with pytest.raises(IndexFileError, match="not a dedup index"):
        SignatureIndex(bogus)


def test_cli_index_add_then_query(tmp_path, capsys) -> None:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    (tmp_path / "day1.jsonl").write_text("\n".join(lines[:50]) + "\n", encoding="utf-8")
    (tmp_path / "day2.jsonl").write_text("\n".join(lines[40:60]) + "\n", encoding="utf-8")
    db = str(tmp_path / "idx.db")
    assert main(["index", "add", db, str(tmp_path / "day1.jsonl")]) == 0
    assert main(["index", "query", db, str(tmp_path / "day2.jsonl")]) == 0
    out = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["id"] for r in out] == [json.loads(x)["id"] for x in lines[40:50]]
    assert main(["index", "query", db, str(tmp_path / "day2.jsonl"), "--num-perm", "64"]) == 1
    assert "minhash.num_perm: index has 128, asked 64" in capsys.readouterr().err


def test_cli_corpus_summary_and_exit_status(tmp_path, capsys) -> None:
    corpus = tmp_path / "c.jsonl"
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    corpus.write_text(
        "\n".join([*lines[:30], lines[3].replace(json.loads(lines[3])["id"], "copy-3"), "{bad"]) + "\n",
        encoding="utf-8",
    )
    assert main(["corpus", str(corpus), "--out", str(tmp_path / "out"), "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "read 32, kept 30, duplicates 1, rejected 1" in out
    assert "rejected 1: invalid_json" in out
    assert main(["corpus", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "o2")]) == 1
    assert "no such file or folder" in capsys.readouterr().err


def test_cli_index_add_reports_hostile_rows_and_adds_the_rest(tmp_path, capsys) -> None:
    """Issue 14, items 2 and 3: a lone surrogate in an id, a deeply nested row: reported, not a crash."""
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()[:5]
    hostile = ['{"id": "\\ud800", "text": "نص"}', '{"id": "n", "text": "نص", "n": ' + "[" * 50_000 + "]" * 50_000 + "}"]
    path = tmp_path / "day.jsonl"
    path.write_text("\n".join([*lines[:2], *hostile, *lines[2:]]) + "\n", encoding="utf-8")
    assert main(["index", "add", str(tmp_path / "idx.db"), str(path)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "dedup: rejected line 3: id '\\ud800' contains a lone surrogate (an unpaired \\ud800-\\udfff escape)",
        "dedup: rejected line 4: not usable JSON: nested too deeply",
        f"{tmp_path / 'idx.db'}: added 5; 5 documents indexed",
    ]


def test_cli_index_names_the_files_of_a_folder_it_does_not_read(tmp_path, capsys) -> None:
    """Issue 14, item 21, for the index: B.JSONL and a .bz2 are named, not skipped without a word."""
    folder = tmp_path / "day"
    folder.mkdir()
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    (folder / "a.jsonl").write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    (folder / "B.JSONL").write_text("\n".join(lines[3:6]) + "\n", encoding="utf-8")
    (folder / "c.jsonl.bz2").write_bytes(b"BZh9")
    assert main(["index", "add", str(tmp_path / "idx.db"), str(folder)]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "dedup: not read (not .jsonl, .jsonl.gz or .parquet, or not a file): B.JSONL, c.jsonl.bz2",
        f"{tmp_path / 'idx.db'}: added 3; 3 documents indexed",
    ]


def test_an_index_made_with_another_hash_version_is_refused(articles, tmp_path) -> None:
    """Stored signatures depend on the hash: an index records its version, and a mismatch names both and the fix;
    an index from before the version was recorded holds version 1."""
    db = tmp_path / "news.db"
    index = SignatureIndex(db, DedupConfig())
    index.add([articles[0]["id"]], [articles[0]["text"]])
    index.close()
    with sqlite3.connect(db) as conn:
        settings = json.loads(conn.execute("SELECT value FROM meta WHERE key = 'settings'").fetchone()[0])
        assert settings["hash_version"] == HASH_VERSION == 1
        conn.execute("UPDATE meta SET value = ? WHERE key = 'settings'", (json.dumps({**settings, "hash_version": 0}),))
    with pytest.raises(
        IndexFileError,
        match=r"news\.db: signatures made with hash version 0, this dedup computes hash "
        r"version 1: .*build a new index",
    ):
        SignatureIndex(db)
    del settings["hash_version"]
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'settings'", (json.dumps(settings),))
    reopened = SignatureIndex(db)
    assert len(reopened) == 1
    reopened.close()

"""Faults and concurrent runs (issue 14): signals, killed runs, two runs at once, unusable output places."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dedup.cli import main
from dedup.corpus import CorpusOptions, run_corpus
from dedup.textio import RunError
from tests.conftest import SAMPLE, SEED


@pytest.fixture(scope="module")
def busy(tmp_path_factory) -> Path:
    """30 copies of each shipped article under new ids: with one row a batch, a run that lasts seconds."""
    rows = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    path = tmp_path_factory.mktemp("busy") / "busy.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for k in range(30):
            handle.writelines(json.dumps({**r, "id": f"{r['id']}-{k}"}, ensure_ascii=False) + "\n" for r in rows)
    return path


def _start(busy: Path, out: Path) -> subprocess.Popen:
    """A two-worker corpus run in its own process, returned once its partial folder and workers exist."""
    command = [sys.executable, "-m", "dedup", "corpus", str(busy), "--out", str(out), "--workers", "2"]
    run = subprocess.Popen([*command, "--batch-size", "1"], stderr=subprocess.PIPE, text=True)
    while not list(out.parent.glob(f".{out.name}.partial-*")) or len(_workers(run.pid)) < 2:
        assert run.poll() is None, run.stderr.read()
        time.sleep(0.05)
    return run


def _workers(pid: int) -> list[int]:
    """The child processes of ``pid`` (Linux /proc)."""
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _gone(pids: list[int], wait: float = 10) -> bool:
    deadline = time.monotonic() + wait
    while any(Path(f"/proc/{p}").exists() for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not any(Path(f"/proc/{p}").exists() for p in pids)


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_stopped_run_stops_its_workers_and_removes_its_partial_folder(busy, tmp_path, sig, status) -> None:
    """Items 14 and 15: while a run writes ``out`` a second one is refused; a signal cleans up and says so."""
    out = tmp_path / "out"
    run = _start(busy, out)
    with pytest.raises(RunError, match=rf"another dedup run \(process {run.pid}\) is writing this folder"):
        run_corpus(SAMPLE, out, opts=CorpusOptions(workers=1))
    workers = _workers(run.pid)
    run.send_signal(sig)
    assert run.wait(30) == status
    assert run.stderr.read() == f"dedup: stopped by {sig.name}; unfinished output removed\n"
    assert _gone(workers) and len(workers) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_killed_run_takes_its_workers_along_and_the_next_run_clears_its_folder(busy, tmp_path) -> None:
    out = tmp_path / "out"
    run = _start(busy, out)
    workers = _workers(run.pid)
    run.kill()
    run.wait(30)
    assert _gone(workers) and len(workers) == 2
    assert [p.name for p in tmp_path.glob(".out.partial-*")] == [f".out.partial-{run.pid}"]
    manifest = run_corpus(SAMPLE, out, opts=CorpusOptions(workers=1))
    assert manifest["counts"]["read"] == 300
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # nothing left beside it, no lock file


def test_two_index_adds_create_one_new_index_at_once(tmp_path, capsys) -> None:
    """Item 14: two processes creating the same index used to race (``table meta already exists``), and
    two adding the same ids (``UNIQUE constraint failed``): here 100 of their 200 articles each."""
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    for k in range(2):
        (tmp_path / f"{k}.jsonl").write_text("\n".join(lines[k * 100 : k * 100 + 200]) + "\n", encoding="utf-8")
    db = tmp_path / "news.db"
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "dedup", "index", "add", str(db), str(tmp_path / f"{k}.jsonl")],
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(2)
    ]
    assert [r.wait(60) for r in runs] == [0, 0], [r.stderr.read() for r in runs]
    assert main(["index", "query", str(db), str(SAMPLE)]) == 0
    assert capsys.readouterr().err.splitlines()[-1].endswith("300 documents match earlier ones; 300 documents indexed")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("typo.db", "no such index (dedup index add creates one)"),
        ("missing/news.db", "cannot open the index (no folder"),
        ("folder.db", "cannot open the index (it is a folder)"),
        ("damaged.db", "the settings stored in this index are damaged (AttributeError:"),
    ],
)
def test_an_index_that_cannot_be_used_is_one_line_and_nothing_is_made(tmp_path, capsys, name, message) -> None:
    """Items 17, 20 and 22: a query never creates an index; a folder, a missing folder, damaged settings."""
    (tmp_path / "folder.db").mkdir()
    assert main(["index", "add", str(tmp_path / "damaged.db"), str(SAMPLE)]) == 0
    import sqlite3

    with sqlite3.connect(tmp_path / "damaged.db") as db:
        db.execute("UPDATE meta SET value = '{\"profile\": 1}' WHERE key = 'settings'")
    before = sorted(p.name for p in tmp_path.iterdir())
    capsys.readouterr()
    action = "query" if name == "typo.db" else "add"
    assert main(["index", action, str(tmp_path / name), str(SAMPLE)]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"dedup: {tmp_path / name}: {message}")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_an_index_named_with_uri_characters_reopens(tmp_path, capsys) -> None:
    """Item 20: ``#`` and ``?`` in the name used to cut the SQLite URI."""
    db = str(tmp_path / "news #1?.db")
    assert main(["index", "add", db, str(SAMPLE)]) == 0
    assert main(["index", "query", db, str(SAMPLE)]) == 0
    assert capsys.readouterr().err.splitlines()[-1] == f"{db}: 300 documents match earlier ones; 300 documents indexed"


def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path, capsys, monkeypatch) -> None:
    """Item 17: writing the outputs fails with ENOSPC; the run reports it in one line and cleans up."""
    import errno

    import dedup.corpus.run

    def full(*args, **kwargs) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(dedup.corpus.run, "write_duplicates", full)
    out = tmp_path / "out"
    assert main(["corpus", str(SAMPLE), "--out", str(out), "--workers", "1"]) == 1
    assert capsys.readouterr().err == f"dedup: {out}: No space left on device\n"
    assert list(tmp_path.iterdir()) == []


def test_standard_output_on_a_full_device_is_one_line() -> None:
    """Item 17: ``dedup paragraphs FILE > /dev/full``."""
    with open("/dev/full", "w") as full:
        run = subprocess.run(
            [sys.executable, "-m", "dedup", "paragraphs", str(SEED)],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert (run.returncode, run.stderr) == (1, "dedup: cannot write: No space left on device\n")


def test_an_output_folder_that_cannot_be_written_is_one_line(capsys) -> None:
    """Item 17: /proc holds no folders of ours (as a read-only folder, even for root)."""
    assert main(["corpus", str(SAMPLE), "--out", "/proc/dedup-out", "--workers", "1"]) == 1
    assert (
        capsys.readouterr().err == "dedup: /proc/dedup-out: cannot write the output here (No such file or directory)\n"
    )


def test_an_empty_file_becomes_an_index_and_a_foreign_database_is_left_alone(tmp_path) -> None:
    """Item 14's race: a file another process has just created has no tables yet, and is a new index;
    an SQLite file with tables of its own is never added to."""
    import sqlite3

    from dedup.index import IndexFileError, SignatureIndex

    (tmp_path / "new.db").touch()
    assert main(["index", "add", str(tmp_path / "new.db"), str(SAMPLE)]) == 0
    with sqlite3.connect(tmp_path / "theirs.db") as db:
        db.execute("CREATE TABLE notes (text TEXT)")
    with pytest.raises(IndexFileError, match="not a dedup index"):
        SignatureIndex(tmp_path / "theirs.db")
    with sqlite3.connect(tmp_path / "theirs.db") as db:
        assert [row[0] for row in db.execute("SELECT name FROM sqlite_master")] == ["notes"]

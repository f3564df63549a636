import csv
import io
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta

import pytest

import dedup
from dedup.cli import main
from tests.conftest import DATA, SAMPLE, SAUDINEWSNET, SEED, saudinewsnet_day

AUDIT = DATA / "audit" / "articles.jsonl"


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_paragraphs_json_on_the_seed(capsys) -> None:
    assert main(["paragraphs", "--json", str(SEED)]) == 0
    (result,) = _json_lines(capsys.readouterr().out)
    assert result["file"] == str(SEED)
    assert result["paragraphs"] == 42
    assert [(r["line"], r["first_line"]) for r in result["repeats"]] == [(n + 21, n) for n in range(1, 20)]


def test_bad_inputs_get_one_line_reasons_and_the_rest_is_processed(tmp_path, capsys) -> None:
    bad_utf8 = tmp_path / "legacy.txt"
    bad_utf8.write_bytes("نص عربي".encode("cp1256"))
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "image.bin"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    missing = tmp_path / "missing.txt"
    names = [missing, tmp_path, bad_utf8, SEED, empty, binary]
    status = main(["paragraphs", "--json", *map(str, names)])
    captured = capsys.readouterr()
    assert status == 1
    errors = captured.err.strip().split("\n")
    assert errors == [
        f"dedup: {missing}: no such file",
        f"dedup: {tmp_path}: is a directory, not a file",
        f"dedup: {bad_utf8}: not valid utf-8 at byte 0 (legacy Arabic text is often --encoding cp1256)",
        f"dedup: {empty}: empty file (no text)",
        f"dedup: {binary}: binary file (contains NUL bytes), not text",
    ]
    assert [r["file"] for r in _json_lines(captured.out)] == [str(SEED)]


def test_legacy_encoding_is_read_when_named(tmp_path, capsys) -> None:
    legacy = tmp_path / "cp1256.txt"
    legacy.write_bytes("القصص الموصى بها\nخبر آخر مختلف تماما\nالقصص الموصى بها\n".encode("cp1256"))
    assert main(["paragraphs", "--json", "--encoding", "cp1256", str(legacy)]) == 0
    (result,) = _json_lines(capsys.readouterr().out)
    assert [(r["line"], r["first_line"]) for r in result["repeats"]] == [(3, 1)]


def test_standard_input_and_write_clean(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(SEED.read_bytes())))
    out = tmp_path / "clean.txt"
    assert main(["paragraphs", "-", "--write-clean", str(out)]) == 0
    assert "42 paragraphs, 19 repeated" in capsys.readouterr().out
    lines = SEED.read_text(encoding="utf-8").split("\n")
    assert out.read_text(encoding="utf-8").split("\n") == lines[:21] + lines[40:]
    assert [p.name for p in tmp_path.iterdir()] == ["clean.txt"]  # no temporary file left behind


def test_normalize_lists_profiles_and_normalizes_lines(capsys) -> None:
    assert main(["normalize", "--list-profiles"]) == 0
    assert "search@1 (default)" in capsys.readouterr().out
    assert main(["normalize", str(SEED)]) == 0
    out = capsys.readouterr().out.split("\n")
    assert out[41].startswith("كما تجدر الاشاره بان الخبر الاصلي")
    assert len(out) == len(SEED.read_text(encoding="utf-8").split("\n"))  # line for line, nothing added


def test_a_wrong_text_field_names_the_fields_rows_do_have(tmp_path, capsys) -> None:
    status = main(["corpus", str(SAMPLE), "--out", str(tmp_path / "out"), "--text-field", "body", "--workers", "1"])
    captured = capsys.readouterr()
    assert status == 1
    assert "every row was rejected" in captured.err
    rows = (tmp_path / "out" / "rejected.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 1 + 300
    assert "missing text field 'body' (the row has: id, url, published, title, text)" in rows[1]
    assert main(["corpus", str(SAMPLE), "--out", str(tmp_path / "out"), "--workers", "1"]) == 0


def test_zero_workers_is_a_usage_error(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["corpus", str(SAMPLE), "--out", str(tmp_path / "out"), "--workers", "0"])
    assert exit_.value.code == 2
    assert "workers" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["corpus", "audit"])
def test_a_folder_with_a_foreign_manifest_is_never_deleted(tmp_path, capsys, command) -> None:
    """Issue 14, item 1, as reproduced: a user's folder holding some manifest.json and their notes."""
    out = tmp_path / "p"
    out.mkdir()
    (out / "manifest.json").write_text("{}")
    (out / "notes.txt").write_text("x")
    source = SAMPLE if command == "corpus" else AUDIT
    assert main([command, str(source), "--out", str(out)]) == 1
    assert "refusing to replace it" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "notes.txt"]
    assert (out / "notes.txt").read_text() == "x"


def test_write_clean_never_replaces_an_input_or_another_clean_copy(tmp_path, capsys) -> None:
    """Issue 14, item 23: two inputs of one name, an input as its own target; files follow the umask."""
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "x.txt").write_bytes(SEED.read_bytes())
    first, second, out = tmp_path / "a" / "x.txt", tmp_path / "b" / "x.txt", tmp_path / "clean"
    assert main(["paragraphs", str(first), str(second), "--write-clean", str(out)]) == 1
    assert main(["paragraphs", str(first), "--write-clean", str(first)]) == 1
    errors = capsys.readouterr().err.splitlines()
    assert errors == [
        f"dedup: {second}: its clean copy would replace that of {first} ({out / 'x.txt'}); "
        "give the inputs distinct names",
        f"dedup: {first}: refusing to write its clean copy over an input ({first})",
    ]
    assert first.read_bytes() == second.read_bytes() == SEED.read_bytes()
    lines = SEED.read_text(encoding="utf-8").split("\n")
    assert (out / "x.txt").read_text(encoding="utf-8").split("\n") == lines[:21] + lines[40:]
    umask = os.umask(0o022)
    os.umask(umask)
    assert (out / "x.txt").stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize("level", ["document", "paragraph"])
def test_the_reproducers_of_a_lone_surrogate_and_deep_nesting_finish(tmp_path, capsys, level) -> None:
    """Issue 14, items 2 and 3, as reported: these rows stopped the run with a usage error or a traceback."""
    path = tmp_path / "s.jsonl"
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()[:3]
    nested = '{"id": "a", "text": "x", "n": ' + "[" * 100_000 + "]" * 100_000 + "}"
    path.write_text("\n".join([*lines, '{"id": "\\ud800", "text": "نص"}', '{"id": "b", "text": "\\ud800 نص"}', nested]))
    out = tmp_path / "o"
    assert main(["corpus", str(path), "--out", str(out), "--workers", "1", "--level", level]) == 0
    captured = capsys.readouterr()
    assert "read 6, kept 3, duplicates 0, rejected 3" in captured.out
    assert captured.err == ""


_SNN_RECIPE = [
    "--outlet-field",
    "source",
    "--text-field",
    "content",
    "--date-field",
    "date_extracted",
    "--id-field",
    "url",
    "--date-format",
    "%Y-%m-%d %H:%M:%S",
    "--timezone",
    "+03:00",
]


def test_audit_of_the_shipped_saudinewsnet_zip_as_the_readme_shows(tmp_path, capsys) -> None:
    """Issue 15: the README's recipe on SaudiNewsNet's own layout (a zip of one JSON array a day)."""
    assert main(["audit", str(SAUDINEWSNET), "--out", str(tmp_path / "out"), *_SNN_RECIPE]) == 0
    summary = "38 articles (2 rejected of 40); 21 pairs across outlets: 0 copies, 21 shared source"
    assert summary in capsys.readouterr().out
    with (tmp_path / "out" / "pairs.csv").open(encoding="utf-8") as handle:
        pairs = list(csv.DictReader(handle))
    riyadh = {a["url"]: a["date_extracted"] for a in _saudinewsnet()}
    for pair in pairs:  # Riyadh's 02:16:13 is 23:16:13 UTC the day before
        utc = datetime.fromisoformat(pair["copy_published"])
        assert (utc + timedelta(hours=3)).strftime("%Y-%m-%d %H:%M:%S") == riyadh[pair["copy_id"]]


def _saudinewsnet() -> list[dict]:
    return json.loads(saudinewsnet_day())


def test_corpus_of_a_zip_writes_its_kept_rows_as_json_lines(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["corpus", str(SAUDINEWSNET), "--out", str(out), "--id-field", "url", "--text-field", "content"]) == 0
    assert "read 40, kept 36, duplicates 2, rejected 2" in capsys.readouterr().out
    articles = {a["url"]: a for a in _saudinewsnet()}
    kept = _json_lines((out / "kept" / "2015-07-21.jsonl").read_text(encoding="utf-8"))
    assert len(kept) == 36 and all(row == articles[row["url"]] for row in kept)


@pytest.mark.parametrize("command", ["corpus", "audit", "index"])
def test_standard_input_is_read_by_every_front_end(tmp_path, capsys, monkeypatch, command) -> None:
    """Issue 15: ``-`` reads JSON Lines (here the audit sample) from standard input."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(AUDIT.read_bytes())))
    args = {
        "corpus": ["corpus", "-", "--out", str(tmp_path / "out")],
        "audit": ["audit", "-", "--out", str(tmp_path / "out")],
        "index": ["index", "add", str(tmp_path / "db"), "-"],
    }[command]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert {"corpus": "-: read 43", "audit": "-: 43 articles", "index": "added 43"}[
        command
    ] in captured.out + captured.err


@pytest.mark.parametrize(
    ("option", "said"),
    [
        (["--timezone", "Riyadh"], "give an offset such as +03:00 or a zone name such as Asia/Riyadh"),
        (["--date-format", "%d/%m/%Q"], "'%d/%m/%Q' is not a strptime pattern"),
    ],
)
def test_a_bad_date_option_is_a_usage_error_saying_why(capsys, option, said) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["audit", str(SAUDINEWSNET), "--out", "x", *option])
    assert exit_info.value.code == 2
    assert said in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["-"], "the Spark engine reads JSON Lines or Parquet"),
        ([str(SAUDINEWSNET)], "the Spark engine reads JSON Lines or Parquet"),
    ],
)
def test_inputs_the_spark_engine_cannot_read_are_refused(tmp_path, capsys, args, said) -> None:
    assert main(["corpus", *args, "--out", str(tmp_path / "out"), "--engine", "spark"]) == 1
    assert said in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("option", "kept"), [([], "first"), (["--date-format", "%d/%m/%Y"], "earlier")])
def test_keep_earliest_reads_jawhara_fm_day_dates_with_their_format(tmp_path, capsys, option, kept) -> None:
    """A Jawhara FM article dated 28/10/2016 and its copy dated the day before, after it in the file: only
    with the pattern are the dates read, so only then is the copy kept as the earlier one."""
    first = next(row for row in _json_lines(SAMPLE.read_text(encoding="utf-8")) if row["published"] == "28/10/2016")
    earlier = {**first, "id": first["id"] + "-copy", "published": "27/10/2016"}
    path = tmp_path / "jawhara.jsonl"
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in (first, earlier)), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["corpus", str(path), "--out", str(out), "--keep", "earliest", "--workers", "2", *option]) == 0
    assert "read 2, kept 1, duplicates 1" in capsys.readouterr().out
    (row,) = _json_lines((out / "kept" / "jawhara.jsonl").read_text(encoding="utf-8"))
    assert row["id"] == {"first": first, "earlier": earlier}[kept]["id"]


def test_version_is_the_package_version(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"dedup {dedup.__version__}"


@pytest.mark.parametrize(
    ("argv", "command", "reason"),
    [
        (
            ["corpus", str(SAMPLE), "--out", "out", "--keepp", "first"],
            "corpus",
            "unrecognized arguments: --keepp first",
        ),
        (["index", "add", "index.db", str(SAMPLE), "--keepp", "first"], "index add", "unrecognized arguments: --keepp"),
        (["paragraphs", str(SEED), "--jsn", "--split", "blank"], "paragraphs", "unrecognized arguments: --jsn"),
        (["paragraphs", str(SEED), "--threshold", "1.5"], "paragraphs", "threshold must be in (0, 1], got 1.5"),
        (
            ["paragraphs", str(SEED), "--profile", "search@9"],
            "paragraphs",
            "argument --profile: no normalization profile 'search@9': this dedup has search@1",
        ),
    ],
)
def test_a_usage_error_prints_its_commands_usage(argv: list[str], command: str, reason: str, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: dedup {command} [-h]")
    assert f"dedup {command}: error: {reason}" in err


def test_profile_by_its_listed_tag(capsys) -> None:
    assert main(["normalize", "--profile", "light", str(SEED)]) == 0
    by_name = capsys.readouterr().out
    assert main(["normalize", "--profile", "light@1", str(SEED)]) == 0
    assert capsys.readouterr().out == by_name


@pytest.mark.parametrize(
    ("argv", "heading"),
    [
        (["paragraphs"], "matching:"),
        (["corpus"], "matching:"),
        (["index", "add"], "matching (a new index's settings; must agree with an existing index's):"),
    ],
)
def test_help_names_only_what_the_command_has(argv: list[str], heading: str, capsys) -> None:
    with pytest.raises(SystemExit):
        main([*argv, "--help"])
    help_text = capsys.readouterr().out
    assert heading in help_text
    assert ("--keep" in help_text) == (argv == ["corpus"])


def test_corpus_headline_counts_removed_paragraphs_and_undated_rows(tmp_path, capsys) -> None:
    rows = [json.loads(line) for line in AUDIT.read_text(encoding="utf-8").splitlines()]
    for row in rows[:3]:
        del row["published"]
    articles = tmp_path / "articles.jsonl"
    articles.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    out = tmp_path / "out"
    argv = ["corpus", str(articles), "--out", str(out), "--workers", "1"]
    assert main([*argv, "--level", "paragraph", "--keep", "earliest"]) == 0
    removed = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["paragraphs_removed"]
    assert removed > 0
    assert f"rejected 0, paragraphs removed {removed:,}, undated 3 in " in capsys.readouterr().out
    assert main(argv) == 0
    assert "rejected 0 in " in capsys.readouterr().out


def test_paragraph_counts_have_thousands_separators(tmp_path, capsys) -> None:
    long_page = tmp_path / "long.txt"
    long_page.write_text("\n".join([SEED.read_text(encoding="utf-8")] * 30), encoding="utf-8")
    assert main(["paragraphs", str(long_page)]) == 0
    assert f"{long_page}: 1,260 paragraphs, 1,208 repeated" in capsys.readouterr().out


def test_legacy_files_padded_with_a_nul_byte_are_read(tmp_path, capsys) -> None:
    padded = tmp_path / "AEE1.txt"  # as the legacy newspaper archives store their pages: cp1256, then one NUL
    padded.write_bytes(SEED.read_text(encoding="utf-8").encode("cp1256") + b"\x00")
    assert main(["paragraphs", "--json", "--encoding", "cp1256", str(padded)]) == 0
    (result,) = _json_lines(capsys.readouterr().out)
    assert (result["paragraphs"], len(result["repeats"])) == (42, 19)


def test_import_dedup_loads_no_numba() -> None:
    check = "import sys, dedup; print(sorted(sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True).stdout
    assert "'numba'" not in loaded
    assert "'numpy'" not in loaded
    assert all(getattr(dedup, name) for name in dedup.__all__)  # each public name loads on first use
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        dedup.nope  # noqa: B018


def test_paragraphs_over_many_files_shows_progress_on_a_terminal(capsys, monkeypatch) -> None:
    """Issue 15: a progress bar on standard error for several files at a terminal, none otherwise."""
    assert main(["paragraphs", str(SEED), str(SEED), str(SEED)]) == 0
    assert "files" not in capsys.readouterr().err  # not a terminal: no bar
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["paragraphs", str(SEED), str(SEED), str(SEED)]) == 0
    captured = capsys.readouterr()
    assert "3/3" in captured.err and captured.out.count("42 paragraphs, 19 repeated") == 3


def test_every_error_of_dedup_shares_one_base() -> None:
    from dedup.errors import ConfigError, DedupError
    from dedup.index import IndexFileError
    from dedup.sources import FileError
    from dedup.textio import InputError, RunError

    assert all(issubclass(cls, DedupError) for cls in (ConfigError, FileError, IndexFileError, InputError, RunError))
    with pytest.raises(DedupError, match="threshold"):
        dedup.LSHConfig(threshold=1.5)


def test_only_settings_checked_before_the_run_are_usage_errors(monkeypatch, capsys) -> None:
    def fails(error: Exception):
        def find_repeats(*args: object) -> None:
            raise error

        return find_repeats

    monkeypatch.setattr("dedup.paragraphs.find_repeats", fails(ValueError("a bug")))
    with pytest.raises(ValueError, match="a bug"):  # not reported as a mistyped setting
        main(["paragraphs", str(SEED)])
    monkeypatch.setattr("dedup.paragraphs.find_repeats", fails(dedup.ConfigError("found during the run")))
    assert main(["paragraphs", str(SEED)]) == 1
    assert capsys.readouterr().err == "dedup: found during the run\n"

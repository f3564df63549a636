import gzip
import io
import sys
import zipfile

import pytest

from dedup.records import FieldNames, Record, read_records
from dedup.sources import FileError, file_labels, input_files, unread_files
from tests.conftest import SAMPLE, SAUDINEWSNET, saudinewsnet_day


def test_a_zip_archive_reads_its_json_members_and_names_the_rest(tmp_path) -> None:
    """Issue 15: members are read in name order, as files of their own (``archive.zip/name``)."""
    lines = SAMPLE.read_bytes().splitlines(keepends=True)
    archive = tmp_path / "news.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("snn/2015-07-21.json", saudinewsnet_day())
        out.writestr("jawhara.jsonl", b"".join(lines[:5]))
        out.writestr("jawhara-more.jsonl.gz", gzip.compress(b"".join(lines[5:8])))
        out.writestr("README.txt", "not read")
        out.writestr("__MACOSX/._jawhara.jsonl", b"\x00\x05\x16\x07")  # a Mac's zip: file attributes, not rows
    files = input_files(archive)
    assert file_labels(files) == ["jawhara-more.jsonl.gz", "jawhara.jsonl", "snn/2015-07-21.json"]
    assert unread_files(archive) == ["README.txt", "__MACOSX/._jawhara.jsonl"]
    items = list(read_records(files, FieldNames(id="url", text="content")))
    jawhara = [r for r in items if r.file < 2]
    assert [r.kind for r in jawhara] == ["missing_text"] * 8  # Jawhara FM's rows hold "text", not "content"
    assert sum(isinstance(r, Record) for r in items) == 38
    (tmp_path / "more.jsonl").write_bytes(lines[8])
    in_folder = file_labels(input_files(tmp_path))
    assert in_folder == ["more.jsonl", *(f"news.zip/{label}" for label in file_labels(files))]
    assert unread_files(tmp_path) == ["news.zip/README.txt", "news.zip/__MACOSX/._jawhara.jsonl"]


def test_standard_input_is_spooled_to_a_file_that_can_be_read_twice(monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(gzip.compress(SAMPLE.read_bytes()))))
    (path,) = input_files("-")
    assert path.name == "stdin.json.gz"
    assert [len(list(read_records([path]))) for _ in range(2)] == [300, 300]


def test_a_damaged_zip_archive_is_one_error_naming_it(tmp_path) -> None:
    damaged = tmp_path / "day.zip"
    damaged.write_bytes(SAUDINEWSNET.read_bytes()[:-100])  # the central directory is at the end
    with pytest.raises(FileError, match=f"^{damaged}: cannot read the zip archive"):
        input_files(damaged)


def test_a_member_failing_its_checksum_gives_its_rows_then_one_error(tmp_path) -> None:
    archive = tmp_path / "jawhara.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as out:
        out.writestr("jawhara.jsonl", SAMPLE.read_bytes())
    data = bytearray(archive.read_bytes())
    data[data.rindex("الشمالية".encode()) + 1] ^= 1  # in an article's text: the stored bytes fail their CRC
    archive.write_bytes(bytes(data))
    items = list(read_records(input_files(archive)))
    # zipfile checks the CRC on reading the member's last 4 KiB: the 3 lines in them are lost, the rest are read
    assert sum(isinstance(r, Record) for r in items) == 297
    assert isinstance(items[-1], FileError) and "Bad CRC-32" in str(items[-1])


class _Terminal(io.TextIOWrapper):
    def isatty(self) -> bool:
        return True


def test_standard_input_left_at_the_terminal_is_an_error_not_a_wait(monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", _Terminal(io.BytesIO()))
    with pytest.raises(FileError, match=r"^-: standard input is a terminal; pipe the input in"):
        input_files("-")

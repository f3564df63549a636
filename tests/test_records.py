import gzip
import json
from datetime import datetime, timezone
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import lines as lines_module
from dedup import records
from dedup.dates import parse_timezone
from dedup.records import FieldNames, FileError, Record, Rejected, RowBatch, raw_batches, read_records
from tests.conftest import SAMPLE, saudinewsnet_day

_LINES = st.lists(
    st.one_of(
        st.just(""),
        st.sampled_from([" ", "\t", " \r", "\u00a0"]),  # blank, or not (NBSP is not ASCII whitespace)
        st.text(alphabet='{}":ab ابجـً', min_size=1, max_size=12),
    ),
    max_size=30,
)


def _reference(data: bytes) -> list[tuple[int, int, int, bytes]]:
    """(line, offset, size with newline, bytes without) of each line not all ASCII whitespace, read the obvious way."""
    out, offset = [], 0
    pieces = data.split(b"\n")
    for number, line in enumerate(pieces, start=1):
        raw = line + b"\n" if number < len(pieces) else line
        if raw.strip():
            out.append((number, offset, len(raw), line))
        offset += len(raw)
    return out


@settings(max_examples=200, deadline=None)
@given(lines=_LINES, final_newline=st.booleans(), block=st.integers(1, 40), size=st.integers(1, 6))
def test_batches_match_a_line_by_line_reading(tmp_path_factory, lines, final_newline, block, size):
    data = "\n".join(lines).encode("utf-8") + (b"\n" if final_newline and lines else b"")
    path = tmp_path_factory.mktemp("rows") / "r.jsonl"
    path.write_bytes(data)
    with patch.object(lines_module, "_BLOCK_BYTES", block):  # lines cut across many small blocks
        batches = list(raw_batches([path], size=size))
    assert all(isinstance(b, RowBatch) and 0 < len(b) <= size for b in batches)
    assert all(len(b) == size for b in batches[:-1])
    got = [
        (line, offset, n, raw.removesuffix(b"\n"))  # a payload may keep its newline
        for b in batches
        for line, offset, n, raw in zip(b.lines.tolist(), b.offsets.tolist(), b.sizes.tolist(), b.payloads, strict=True)
    ]
    assert got == _reference(data)
    assert all(data[offset : offset + n].removesuffix(b"\n") == raw for _, offset, n, raw in got)


def test_a_damaged_gzip_still_gives_every_whole_line_before_the_damage(tmp_path):
    lines = SAMPLE.read_bytes().splitlines(keepends=True)[:80]
    blob = gzip.compress(b"".join(lines))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(blob[: len(blob) // 2])
    readable = []
    try:
        with gzip.open(path, "rb") as handle:
            readable.extend(handle)
    except EOFError:
        pass
    assert 0 < len(readable) < len(lines)
    out = list(raw_batches([path], size=7))
    assert isinstance(out[-1], FileError) and "cut.jsonl.gz" in str(out[-1])
    assert [raw for b in out[:-1] for raw in b.payloads] == readable
    assert all(json.loads(raw)["id"] for raw in readable if raw.endswith(b"\n"))


@settings(max_examples=200, deadline=None)
@given(lines=_LINES, block=st.integers(1, 40), limit=st.integers(1, 12), gz=st.booleans())
def test_lines_over_the_limit_keep_their_place_but_not_their_bytes(tmp_path_factory, lines, block, limit, gz):
    """Issue 14, item 12: a line over the limit is never held whole (a gzip bomb), yet every offset and size
    stays exact, and it is always delivered, blank or not, for parse_batch to reject."""
    data = "\n".join(lines).encode("utf-8")
    path = tmp_path_factory.mktemp("rows") / ("r.jsonl.gz" if gz else "r.jsonl")
    path.write_bytes(gzip.compress(data) if gz else data)
    with patch.object(lines_module, "_BLOCK_BYTES", block), patch.object(records, "line_limit", lambda chars: chars):
        batches = list(raw_batches([path], size=5, max_chars=limit))
    got = [
        (line, offset, n, raw.removesuffix(b"\n"))
        for b in batches
        for line, offset, n, raw in zip(b.lines.tolist(), b.offsets.tolist(), b.sizes.tolist(), b.payloads, strict=True)
    ]
    expected = [row for row in _reference_all(data) if row[3].strip() or row[2] > limit]
    assert [row[:3] for row in got] == [row[:3] for row in expected]
    for (_, _, n, raw), (_, _, _, whole) in zip(got, expected, strict=True):
        assert raw == whole or (n > limit and raw == b"")
        if n > limit + (1 if gz else block):  # held at most up to the limit and one read beyond
            assert raw == b""


def _reference_all(data: bytes) -> list[tuple[int, int, int, bytes]]:
    """(line, offset, size with newline, bytes without) of every line, blank or not."""
    out, offset = [], 0
    pieces = data.split(b"\n")
    for number, line in enumerate(pieces, start=1):
        size = len(line) + (number < len(pieces))
        if size:
            out.append((number, offset, size, line))
        offset += size
    return out


def test_a_gzip_bomb_line_is_rejected_without_being_parsed(tmp_path):
    lines = SAMPLE.read_bytes().splitlines(keepends=True)[:4]
    bomb = b'{"id": "bomb", "text": "' + b"\xd9\x86 " * 20_000_000 + b'"}\n'  # 60 MB, 60 KB gzipped
    path = tmp_path / "b.jsonl.gz"
    path.write_bytes(gzip.compress(b"".join([*lines[:2], bomb, *lines[2:]]), compresslevel=1))
    items = list(records.read_records([path], max_chars=100_000))
    assert [getattr(item, "kind", "ok") for item in items] == ["ok", "ok", "too_long", "ok", "ok"]
    assert (
        items[2].reason
        == f"line too long to parse ({len(bomb):,} bytes > {records.line_limit(100_000):,}; see --max-chars)"
    )


_SNN_FIELDS = FieldNames(id="url", text="content", date="date_extracted", timezone=parse_timezone("+03:00"))


def test_a_json_array_gives_each_element_as_a_row_numbered_from_one(tmp_path) -> None:
    """Issue 15: SaudiNewsNet's daily file, one pretty-printed array; rejected rows name their place in it."""
    path = tmp_path / "2015-07-21.json"
    path.write_bytes(saudinewsnet_day())
    items = list(read_records([path], _SNN_FIELDS))
    articles = json.loads(path.read_bytes())
    assert len(items) == len(articles) == 40
    assert [(r.line, r.kind) for r in items if isinstance(r, Rejected)] == [(10, "empty_text"), (12, "empty_text")]
    first = items[0]
    assert (first.line, first.id, first.text) == (1, articles[0]["url"], articles[0]["content"])
    assert "الشرق الأوسط" in " ".join(r.text for r in items if isinstance(r, Record))
    # 02:52:51 in Riyadh is 23:52:51 UTC the day before
    assert first.date == datetime(2015, 7, 20, 23, 52, 51, tzinfo=timezone.utc).timestamp()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'[{"id": "1", "text": "\xd9\x86\xd8\xb5"},\n', "neither one JSON array of objects nor JSON Lines"),
        (b'{\n  "id": "1",\n  "text": "\xd9\x86\xd8\xb5"\n}\n', "one JSON document that is an object"),
    ],
)
def test_a_json_file_in_the_wrong_format_is_one_error_about_the_format(tmp_path, data, reason) -> None:
    path = tmp_path / "day.json"
    path.write_bytes(data)
    (error,) = read_records([path])
    assert isinstance(error, FileError) and str(error).startswith(f"{path}: {reason}")


def test_json_lines_in_a_json_file_are_still_read_line_by_line(tmp_path) -> None:
    path = tmp_path / "day.json"
    path.write_bytes(SAMPLE.read_bytes())
    items = list(read_records([path]))
    assert len(items) == 300 and all(isinstance(r, Record) for r in items)

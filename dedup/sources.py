"""Which files an input names, and how to open them: a file, a folder of them, the members of a zip
archive (as paths ``archive.zip/member``), or standard input (``-``, spooled to a temporary file).
"""

from __future__ import annotations

import atexit
import gzip
import os
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO

from dedup.errors import DedupError

__all__ = [
    "FileError",
    "corpus_name",
    "file_labels",
    "in_archive",
    "input_files",
    "open_input",
    "printable_path",
    "unread_files",
]

_JSON = (".jsonl", ".json", ".ndjson", ".jsonl.gz", ".json.gz", ".ndjson.gz")
_SUFFIXES = (*_JSON, ".parquet", ".zip")


class FileError(DedupError):
    """A whole input file (or its rest) cannot be read; ``str()`` says which and why."""


def corpus_name(name: str) -> bool:
    """Whether a file of this name is read as corpus input (JSON Lines, JSON, gzip of those, Parquet, zip)."""
    return name.endswith(_SUFFIXES)


def _readable(path: Path) -> bool:
    return corpus_name(path.name) and path.is_file()


def _zip_members(archive: Path) -> tuple[list[Path], list[Path]]:
    """The members of a zip archive as paths inside it (``archive.zip/name``): those read (JSON Lines, plain
    or gzip, and JSON arrays) in sorted order, and the rest (macOS's ``__MACOSX/._name`` copies of file
    attributes among them: they bear the names of the files they describe)."""
    try:
        with zipfile.ZipFile(archive) as opened:
            names = sorted(info.filename for info in opened.infolist() if not info.is_dir())
    except (OSError, zipfile.BadZipFile) as err:
        raise FileError(f"{archive}: cannot read the zip archive (corrupt or truncated?): {err}") from None
    read = [name for name in names if name.endswith(_JSON) and not name.startswith("__MACOSX/")]
    return [archive / name for name in read], [archive / name for name in sorted(set(names) - set(read))]


def _expanded(files: list[Path]) -> list[Path]:
    """``files`` with each zip archive replaced by the members of it that are read."""
    return [member for p in files for member in (_zip_members(p)[0] if p.name.endswith(".zip") else [p])]


def _spooled_stdin() -> Path:
    """Standard input copied to a temporary ``stdin.json`` (``stdin.json.gz`` if gzip), removed at exit:
    a run may read its input twice, which a pipe cannot give."""
    if sys.stdin.isatty():  # nothing was piped in: a run would wait for typed JSON
        raise FileError("-: standard input is a terminal; pipe the input in, e.g. dedup corpus - --out DIR < day.jsonl")
    folder = Path(tempfile.mkdtemp(prefix="dedup-stdin-"))
    atexit.register(shutil.rmtree, folder, True)
    first = sys.stdin.buffer.read(2)
    path = folder / ("stdin.json.gz" if first == b"\x1f\x8b" else "stdin.json")
    with path.open("wb") as spool:
        spool.write(first)
        shutil.copyfileobj(sys.stdin.buffer, spool, 1 << 20)
    return path


def input_files(path: str | Path) -> list[Path]:
    """The input files under ``path``: the file itself, a folder's corpus files in sorted order, the members
    of a zip archive (as ``archive.zip/name``), or ``-``: standard input, spooled to a temporary file."""
    if str(path) == "-":
        return [_spooled_stdin()]
    path = Path(path)
    if path.is_dir():
        files = _expanded(sorted(p for p in path.rglob("*") if _readable(p)))
        if not files:
            raise FileError(f"{path}: no .jsonl, .json, .jsonl.gz, .parquet or .zip files in this folder")
        return files
    if not path.exists():
        raise FileError(f"{path}: no such file or folder")
    if not path.name.endswith(_SUFFIXES):
        raise FileError(f"{path}: not a corpus file (expected .jsonl, .json, .jsonl.gz, .parquet or .zip)")
    if not path.is_file():  # a pipe would hang the second pass over the input
        raise FileError(
            f"{path}: not a regular file (a pipe or a device?): dedup reads its input twice; give - instead"
        )
    files = _expanded([path])
    if not files:
        raise FileError(f"{path}: no .jsonl, .json or .jsonl.gz files in this zip archive")
    return files


def unread_files(path: str | Path) -> list[str]:
    """What a folder or zip archive holds that :func:`input_files` leaves out (other names such as ``B.JSONL``
    or ``.bz2``, pipes, devices), as printable paths inside it, so that a run can say so instead of skipping them."""
    path = Path(path)
    if path.name.endswith(".zip") and path.is_file():
        return [printable_path(p.relative_to(path)) for p in _zip_members(path)[1]]
    if not path.is_dir():
        return []
    archives = sorted(p for p in path.rglob("*") if p.name.endswith(".zip") and p.is_file())
    unread = [p for p in path.rglob("*") if not p.is_dir() and not _readable(p)]
    unread += [p for archive in archives for p in _zip_members(archive)[1]]
    return sorted(printable_path(p.relative_to(path)) for p in unread)


def _member(path: Path) -> tuple[Path, str] | None:
    """(archive, member name) when ``path`` names a member of a zip archive, as :func:`input_files` gives them."""
    for parent in path.parents:
        if parent.name.endswith(".zip") and parent.is_file():
            return parent, path.relative_to(parent).as_posix()
    return None


def in_archive(path: Path) -> bool:
    """Whether ``path`` is a member of a zip archive (not a file of its own on disk)."""
    return _member(path) is not None


@contextmanager
def open_input(path: Path) -> Iterator[IO[bytes]]:
    """A binary stream of input file ``path`` (a zip archive's member included), decompressed if named .gz."""
    with ExitStack() as stack:
        inside = _member(path)
        if inside is None:
            handle: IO[bytes] = stack.enter_context(path.open("rb"))
        else:
            with zipfile.ZipFile(inside[0]) as archive:  # the member's stream keeps the archive file open
                handle = stack.enter_context(archive.open(inside[1]))
        if path.name.endswith(".gz"):
            handle = stack.enter_context(gzip.GzipFile(fileobj=handle))
        yield handle


def printable_path(path: str | Path) -> str:
    """``path`` as text that can be written anywhere: bytes of a name that are not UTF-8 escaped (``\\xff``)."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def file_labels(files: list[Path]) -> list[str]:
    """How messages and CSVs name each input file: its printable path from the folder holding them all,
    so that ``a/x.jsonl`` and ``b/x.jsonl`` stay apart."""
    root = os.path.commonpath([p.parent for p in files]) if files else ""
    return [printable_path(os.path.relpath(p, root)) for p in files]

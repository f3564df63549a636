"""Lines of a JSONL stream, with their sizes, read so that no line is held whole past a limit.

Plain files are read in large blocks (far fewer calls than line by line); gzip streams and zip members line by line,
so that every whole line before a damaged part is delivered before the error. A line longer than
the limit comes as ``b""`` with its true size: offsets stay exact and nothing of gigabytes is held.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator

import numpy as np

__all__ = ["DAMAGE", "block_lines", "bounded_lines", "gzip_lines"]

DAMAGE = (OSError, EOFError, zlib.error, zipfile.BadZipFile)
"""What reading a damaged file, gzip stream or zip archive member raises."""

_BLOCK_BYTES = 1 << 22


def _sized(lines: list[bytes], extra: int = 0) -> tuple[list[bytes], np.ndarray]:
    return lines, np.fromiter(map(len, lines), dtype=np.int64, count=len(lines)) + extra


def block_lines(handle, limit: int | None = None) -> Iterator[tuple[list[bytes], np.ndarray]]:
    """The lines of a binary file (newline cut off) and their sizes in it, a large block at a time:
    far fewer calls than line iteration, and no copy of each line to keep its newline. A line longer
    than ``limit`` bytes is given as ``b""`` with its size, and never held whole."""
    pieces: list[bytes] = []  # the start of a line longer than a block: joined once, not block by block
    held = dropped = 0  # bytes of the current line in ``pieces``, and skipped (it is over the limit)
    while block := handle.read(_BLOCK_BYTES):
        if b"\n" in block:
            lines = b"".join([*pieces, block]).split(b"\n")
            pieces = [lines.pop()]
            lines, sizes = _sized(lines, 1)
            if dropped:
                lines[0], sizes[0], dropped = b"", sizes[0] + dropped, 0
            yield lines, sizes
            held = len(pieces[0])
        else:
            pieces.append(block)
            held += len(block)
        if limit is not None and held + dropped > limit:
            pieces, held, dropped = [], 0, held + dropped
    if dropped:
        yield [b""], np.array([dropped])
    elif rest := b"".join(pieces):
        yield _sized([rest])


def bounded_lines(handle, limit: int | None = None) -> Iterator[tuple[bytes, int]]:
    """Each line of a binary stream, newline kept, and its size; one longer than ``limit`` bytes is
    given as ``b""``, read past a MiB at a time instead of held whole."""
    while line := handle.readline(-1 if limit is None else limit + 1):
        size = len(line)
        if limit is not None and size > limit and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):
                line = handle.readline(1 << 20)
                size += len(line)
            line = b""
        yield line, size


def gzip_lines(handle, size: int = 4096, limit: int | None = None) -> Iterator[tuple[list[bytes], np.ndarray]]:
    """The lines of a gzip stream or zip member (newline kept) and their sizes; line by line underneath, so
    that every whole line before a damaged part of the stream is still delivered before the error."""
    lines: list[bytes] = []
    sizes: list[int] = []
    try:
        for line, n in bounded_lines(handle, limit):
            lines.append(line)
            sizes.append(n)
            if len(lines) >= size:
                yield lines, np.array(sizes, dtype=np.int64)
                lines, sizes = [], []
    except DAMAGE:
        if lines:
            yield lines, np.array(sizes, dtype=np.int64)
        raise
    if lines:
        yield lines, np.array(sizes, dtype=np.int64)

"""Reading inputs with one-line reasons for what is wrong, and atomic writes."""

from __future__ import annotations

import csv
import fcntl
import json
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from dedup.errors import DedupError

__all__ = [
    "FORMULA_STARTS",
    "MARKER",
    "InputError",
    "RunError",
    "atomic_write_text",
    "check_out",
    "decode",
    "discard",
    "for_spreadsheet",
    "parse_marker",
    "prepare_out",
    "publish",
    "read_text",
    "recorded_files",
    "replace_refusal",
    "stops_held",
    "write_csv",
    "writing",
]


class RunError(DedupError):
    """A run cannot go on; ``str()`` says why in one line."""


class InputError(DedupError):
    """An input that cannot be used; ``str()`` is a one-line reason naming it."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


def _read_bytes(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(name).read_bytes()
    except FileNotFoundError:
        raise InputError(name, "no such file") from None
    except IsADirectoryError:
        raise InputError(name, "is a directory, not a file") from None
    except PermissionError:
        raise InputError(name, "permission denied") from None
    except OSError as err:
        raise InputError(name, f"cannot read: {err.strerror or err}") from None


def decode(name: str, data: bytes, encoding: str = "utf-8", encoding_flag: str = "") -> str:
    """Decode ``data`` or say why not: binary content, bad bytes (with offset), or no text at all.
    ``encoding_flag`` is the caller's option for another encoding, named in the hint if it has one."""
    data = data.rstrip(b"\x00")  # legacy editors and exporters pad text files with trailing NUL bytes
    if b"\x00" in data:
        raise InputError(name, "binary file (contains NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding)
    except UnicodeDecodeError as err:
        flag = f"{encoding_flag} " if encoding_flag else ""
        hint = f" (legacy Arabic text is often {flag}cp1256)" if encoding.lower() in ("utf-8", "utf8") else ""
        raise InputError(name, f"not valid {encoding} at byte {err.start}{hint}") from None
    except LookupError:
        raise InputError(name, f"unknown encoding {encoding!r}") from None
    if not text.strip():
        raise InputError(name, "empty file (no text)")
    return text


def read_text(name: str, encoding: str = "utf-8", encoding_flag: str = "") -> str:
    """The text of file ``name`` (``-`` is standard input), or :class:`InputError` (see :func:`decode`)."""
    return decode(name, _read_bytes(name), encoding, encoding_flag)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, then rename it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    mask = os.umask(0)
    os.umask(mask)
    try:
        os.fchmod(fd, 0o666 & ~mask)  # as any new file (mkstemp makes it 0600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


MARKER = ".dedup-output.json"
"""The file that marks a folder as this tool's output: only a folder carrying it is ever replaced."""


def recorded_files(folder: Path) -> set[str] | None:
    """The names a previous run recorded in ``folder``'s marker, or ``None`` if it has no valid marker."""
    try:
        return parse_marker((folder / MARKER).read_bytes())
    except OSError:
        return None


def parse_marker(data: bytes) -> set[str] | None:
    """The file names a marker's bytes record, or ``None`` if they are not a marker this tool wrote."""
    try:
        marker = json.loads(data.decode("utf-8"))
    except ValueError:
        return None
    if not isinstance(marker, dict) or marker.get("tool") != "dedup" or not isinstance(marker.get("files"), list):
        return None
    return {name for name in marker["files"] if isinstance(name, str)}


def _overlaps(out: Path, path: Path) -> bool:
    """Whether replacing ``out`` would touch ``path``, or ``path`` (an input folder) would read ``out``."""
    return out == path or out in path.parents or path in out.parents


def check_out(out: Path, inputs: Iterable[str | Path] = ()) -> Path:
    """``out`` resolved, once it is known to be safe to replace; else :class:`RunError` saying why.

    Safe means: absent, an empty folder, or a folder this tool wrote (its marker lists every entry
    in it, so a user's file added since is never deleted); and neither an input nor holding one,
    nor inside an input folder (a later run would read its own output).
    """
    out = out.resolve()
    for given in inputs:
        if str(given) == "-" or "://" in str(given):
            continue
        path = Path(given).resolve()
        if _overlaps(out, path):
            raise RunError(f"{out}: the output folder must not be, hold or sit inside the input {given}")
    if not out.exists():
        if out.is_symlink():
            raise RunError(f"{out}: a broken symbolic link; give an output folder that exists or can be made")
        return out
    if not out.is_dir():
        raise RunError(f"{out}: exists and is not a folder; refusing to replace it")
    refusal = replace_refusal(str(out), {entry.name for entry in out.iterdir()}, recorded_files(out))
    if refusal:
        raise RunError(refusal)
    return out


def replace_refusal(name: str, entries: set[str], recorded: set[str] | None) -> str | None:
    """Why folder ``name`` holding ``entries`` must not be replaced, given the names its marker
    ``recorded`` (``None``: no marker); ``None`` when it may be (empty, or only this tool's files)."""
    if not entries:
        return None
    if recorded is None:
        return (
            f"{name}: exists, is not empty and was not written by dedup (no {MARKER}); "
            "refusing to replace it: give a new or empty folder"
        )
    ours = recorded | {MARKER}
    foreign = sorted(entries - ours - {f".{name}.crc" for name in ours})  # Hadoop's local checksum files
    if foreign:
        more = ", ..." if len(foreign) > 3 else ""
        return f"{name}: holds files dedup did not write ({', '.join(foreign[:3])}{more}); refusing to replace it"
    return None


_held: dict[Path, int] = {}  # output folder -> descriptor of its lock file, while this process writes it


def _lock(out: Path) -> None:
    """Hold an exclusive lock on the file ``.NAME.lock`` beside ``out``, or :class:`RunError` if another
    process holds it: two runs into one folder would delete each other's work."""
    stale = _held.pop(out, None)
    if stale is not None:  # an earlier run of this process into ``out`` failed without releasing it
        os.close(stale)
    path = out.parent / f".{out.name}.lock"
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            owner = path.read_text(encoding="utf-8", errors="replace").strip() or "?"
            raise RunError(f"{out}: another dedup run (process {owner}) is writing this folder; wait for it") from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:  # not a lock file its last holder removed while this process waited to open it
            break
        os.close(fd)
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    _held[out] = fd


def _take(out: Path) -> None:
    """The lock of ``out``, its parent folder made first; a folder that cannot be written is a RunError."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        _lock(out)
    except OSError as err:  # a read-only folder, or one that cannot hold folders
        raise RunError(f"{out}: cannot write the output here ({err.strerror or err})") from None


@contextmanager
def writing(out: Path) -> Iterator[None]:
    """Hold the lock of output folder ``out`` while a run writes it by its own means (the Spark engine)."""
    out = out.resolve()
    _take(out)
    try:
        yield
    finally:
        _unlock(out)


def _unlock(out: Path) -> None:
    fd = _held.pop(out, None)
    if fd is not None:
        (out.parent / f".{out.name}.lock").unlink(missing_ok=True)
        os.close(fd)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        pass
    return True


def prepare_out(out: Path, inputs: Iterable[str | Path] = ()) -> Path:
    """A fresh temporary folder beside ``out``, once :func:`check_out` allows replacing ``out`` and no other
    run is writing it; the folders that runs killed before the end left there are removed."""
    out = check_out(out, inputs)
    _take(out)
    try:
        for stale in [*out.parent.glob(f".{out.name}.partial-*"), *out.parent.glob(f".{out.name}.old-*")]:
            pid = stale.name.rpartition("-")[2]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(stale, ignore_errors=True)
        tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)  # this process's own, from a run it gave up
        tmp.mkdir()
    except BaseException:
        _unlock(out)
        raise
    return tmp


def discard(tmp: Path, out: Path) -> None:
    """Remove the temporary folder of a run that failed or was stopped, and let other runs write ``out``."""
    shutil.rmtree(tmp, ignore_errors=True)
    _unlock(out.resolve())


@contextmanager
def stops_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block is done (then stop the run as usual): for steps that a
    stop must not cut in two."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def publish(tmp: Path, out: Path) -> None:
    """Mark the finished temporary folder as this tool's output and move it into place, replacing a
    previous output (checked again: a file added meanwhile stops the swap)."""
    names = sorted(entry.name for entry in tmp.iterdir())
    (tmp / MARKER).write_text(json.dumps({"tool": "dedup", "files": names}) + "\n", encoding="utf-8")
    out = check_out(out)
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    # A stop between the two renames would leave neither folder in place: signals wait until both are done.
    with stops_held():
        if out.exists():
            out.rename(old)
        tmp.rename(out)
    _unlock(out)
    shutil.rmtree(old, ignore_errors=True)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet run a cell as a formula (CSV injection)."""


def for_spreadsheet(value: str) -> str:
    """``value`` for a CSV meant to be read by people: a leading ``'`` when a spreadsheet would run it."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def write_csv(path: Path, header: list[str], rows: list) -> None:
    """A whole CSV file: the header, then every row."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)

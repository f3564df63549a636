"""Arabic text normalization: versioned profiles made of named, listable steps.

Character-level steps are merged into one ``str.translate`` table per profile,
because normalization runs on every record and is on the hot path.
"""

from __future__ import annotations

import hashlib
import html
import os
import sys
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache, reduce
from importlib.util import cache_from_source
from pathlib import Path

import numpy as np
import pyarabic.araby as araby

from dedup.errors import ConfigError
from dedup.jit import njit, small

__all__ = [
    "PROFILES",
    "STEPS",
    "Profile",
    "Step",
    "any_per_record",
    "code_units",
    "codepoints",
    "get_profile",
    "normalize",
    "text_of",
]

# Every code point that Unicode assigns a punctuation, symbol or format category lies in planes 0-1 and
# the tags block of plane 14 (checked against all 0x110000): scanning these is 8x faster at import.
_ALL = (*range(0x20000), *range(0xE0000, 0xE1000))


def _chars(*ranges: tuple[int, int]) -> list[str]:
    return [chr(cp) for lo, hi in ranges for cp in range(lo, hi + 1)]


def _category_chars(prefixes: tuple[str, ...]) -> list[str]:
    return [chr(cp) for cp in _ALL if unicodedata.category(chr(cp)).startswith(prefixes)]


# Marks a deleted character in the code point lookup array (above the Unicode range).
_DELETED = np.uint32(0xFFFFFFFF)
_SPACE_MASK = np.zeros(0x110000, dtype=bool)
_SPACE_MASK[[cp for cp in range(0x10000) if chr(cp).isspace()]] = True  # no whitespace lies above the BMP
_IDENTITY = np.arange(0x110000, dtype=np.uint32)
# In the compiled pass's table, marks an output that may make the text not NFKC-normalized.
_SUSPECT = np.uint32(1 << 30)


def _delete(chars: list[str]) -> dict[int, str]:
    return {ord(c): "" for c in chars}


# Tashkeel: harakat, tanween, shadda, sukun (pyarabic's list) plus what it
# leaves out: superscript alef U+0670, Quranic annotation marks and the
# extended Arabic marks used in Quranic and African orthographies.
_TASHKEEL = sorted(
    set(araby.TASHKEEL)
    | set(_chars((0x0610, 0x061A), (0x064B, 0x065F), (0x0670, 0x0670), (0x06D6, 0x06DC), (0x06DF, 0x06E4)))
    | set(_chars((0x06E7, 0x06E8), (0x06EA, 0x06ED), (0x08CA, 0x08E1), (0x08E3, 0x08FF)))
)

# Every hamza-bearing letter folded the way pyarabic's "tasheel" method does,
# plus alef wasla and the rarer alef variants it does not know.
_HAMZA_LETTERS = [
    araby.ALEF_MADDA,
    araby.ALEF_HAMZA_ABOVE,
    araby.ALEF_HAMZA_BELOW,
    araby.WAW_HAMZA,
    araby.YEH_HAMZA,
    araby.HAMZA_ABOVE,
    araby.HAMZA_BELOW,
]
_ALEF_HAMZA = {ord(c): araby.normalize_hamza(c, method="tasheel") for c in _HAMZA_LETTERS}
_ALEF_HAMZA.update({ord(c): araby.ALEF for c in "\u0671\u0672\u0673\u0675"})
_ALEF_HAMZA.update({ord("\u0676"): araby.WAW, ord("\u0678"): araby.YEH})

_PERSIAN = {
    ord("\u06a9"): "\u0643",  # keheh -> kaf
    ord("\u06aa"): "\u0643",  # swash kaf -> kaf
    ord("\u06cc"): "\u064a",  # farsi yeh -> yeh
    ord("\u06d2"): "\u064a",  # yeh barree -> yeh
    ord("\u06c1"): "\u0647",  # heh goal -> heh
    ord("\u06c0"): "\u0647",  # heh with yeh above -> heh
    ord("\u06be"): "\u0647",  # heh doachashmee -> heh
    ord("\u06d5"): "\u0647",  # ae -> heh
}

_DIGITS = {0x0660 + d: str(d) for d in range(10)} | {0x06F0 + d: str(d) for d in range(10)}


@dataclass(frozen=True)
class Step:
    """One named normalization step: a character table (given, or what every character of some Unicode general
    categories becomes), or a whole-string function."""

    name: str
    description: str
    mapping: dict[int, str] | None = None
    categories: tuple[tuple[str, ...], str] | None = None  # category prefixes, and what their characters become

    @property
    def single(self) -> bool:
        """Whether this table step maps each character to at most one."""
        outs = [self.categories[1]] if self.categories else list((self.mapping or {}).values())
        return self.table_step and all(len(out) <= 1 for out in outs)

    @property
    def table_step(self) -> bool:
        """Whether this step maps characters one by one (else it is a whole-string function)."""
        return self.mapping is not None or self.categories is not None

    @cached_property
    def table(self) -> dict[int, str] | None:
        """The whole character table (None for a string step); built on first use, since categories need a
        scan of every code point."""
        if self.categories is None:
            return self.mapping
        prefixes, out = self.categories
        return {ord(c): out for c in _category_chars(prefixes)}

    def char(self, cp: int) -> str:
        """What this table step makes of one character, without the whole table."""
        if self.categories is None:
            return self.mapping.get(cp, chr(cp))
        prefixes, out = self.categories
        return out if unicodedata.category(chr(cp)).startswith(prefixes) else chr(cp)

    def apply(self, text: str) -> str:
        """Apply this step alone (profiles merge table steps for speed)."""
        return text.translate(_CharTable((self,))) if self.table_step else _STRING_STEPS[self.name](text)


class _CharTable(dict):
    """The ``str.translate`` table of consecutive table steps, filled a character at a time as texts meet them:
    a page costs a few hundred lookups, not a scan of every code point."""

    def __init__(self, steps: tuple[Step, ...]) -> None:
        super().__init__()
        self.steps = steps

    def __missing__(self, cp: int) -> str:
        out = chr(cp)
        for step in self.steps:
            out = "".join(step.char(ord(c)) for c in out)
        self[cp] = out
        return out


def _unescape(text: str) -> str:
    return html.unescape(text) if "&" in text else text


def _whitespace(text: str) -> str:
    return " ".join(text.split())


_STRING_STEPS = {
    "html_entities": _unescape,
    "nfkc": lambda text: unicodedata.normalize("NFKC", text),
    "casefold": str.casefold,
    "whitespace": _whitespace,
}

_STEP_LIST = [
    Step("html_entities", "decode HTML entities (&amp; &#1575; &nbsp;)"),
    Step("nfkc", "Unicode NFKC: presentation forms FB50-FDFF, FE70-FEFF to letters; composes alef + hamza mark"),
    Step("casefold", "case-fold Latin and other cased scripts"),
    Step(
        "controls",
        "delete bidi, zero-width and other format controls (RLM, ZWNJ, BOM, soft hyphen)",
        categories=(("Cf",), ""),
    ),
    Step("tashkeel", "delete diacritics: harakat, tanween, shadda, sukun, U+0670, Quranic marks", _delete(_TASHKEEL)),
    Step("tatweel", "delete tatweel (kashida) U+0640", _delete([araby.TATWEEL])),
    Step("digits", "Arabic-Indic and Eastern Arabic-Indic digits to ASCII (digits are kept)", _DIGITS),
    Step(
        "punctuation",
        "Arabic and Latin punctuation and symbols to spaces (، ؛ ؟ « » “ ” ...)",
        categories=(("P", "S"), " "),
    ),
    Step("alef_hamza", "fold hamza forms to plain letters: أ إ آ ٱ to ا, ؤ to و, ئ to ي", _ALEF_HAMZA),
    Step("alef_maqsura", "alef maqsura ى to yeh ي", {ord(araby.ALEF_MAKSURA): araby.YEH}),
    Step("teh_marbuta", "teh marbuta ة to heh ه", {ord(araby.TEH_MARBUTA): araby.HEH}),
    Step("persian_lookalikes", "Persian and Urdu lookalikes: ک to ك, ی ے to ي, ہ ۀ ھ to ه", _PERSIAN),
    Step("whitespace", "collapse runs of whitespace to one space, trim the ends"),
]
STEPS: dict[str, Step] = {step.name: step for step in _STEP_LIST}


@dataclass(frozen=True)
class Profile:
    """A named, versioned list of steps; the version changes whenever its output may change."""

    name: str
    version: int
    description: str
    steps: tuple[str, ...]

    @property
    def tag(self) -> str:
        """Identifier stored with signatures and indexes, e.g. ``search@1``."""
        return f"{self.name}@{self.version}"

    @cached_property
    def _runs(self) -> tuple[Step | tuple[Step, ...], ...]:
        """Steps in order, adjacent table steps gathered into one tuple (they merge into one table)."""
        runs: list = []
        for name in self.steps:
            step = STEPS[name]
            if step.table_step and runs and isinstance(runs[-1], tuple):
                runs[-1] += (step,)
            else:
                runs.append((step,) if step.table_step else step)
        return tuple(runs)

    @cached_property
    def _plan(self) -> tuple:
        """The steps as functions and translate tables filled on demand (see :class:`_CharTable`)."""
        return tuple(_CharTable(run) if isinstance(run, tuple) else run.apply for run in self._runs)

    def normalize(self, text: str) -> str:
        """Normalize ``text``; idempotent, never raises on a ``str``."""
        for _ in range(4):
            out = self._apply(text)
            # Deleting a character can bring a base and a mark together that NFKC
            # composes; repeat until the output is a fixed point.
            if out == text or "nfkc" not in self.steps or unicodedata.is_normalized("NFKC", out):
                return out
            text = out
        return out

    def _apply(self, text: str) -> str:
        return self._string_steps(text, self._plan)

    @cached_property
    def _codepoint_plan(self) -> tuple[tuple, np.ndarray, np.ndarray, np.ndarray]:
        """String steps to run per text, the code point lookup array of the last table (see :meth:`char_table`),
        the mask of code points whose text must go through the string steps (see :func:`_needs_string_steps`),
        and the compiled pass's lookup array (see :meth:`_char_arrays`): stored, since they take a scan of
        every code point."""
        if self.steps[-1] != "whitespace":
            raise ValueError(f"profile {self.name!r} must end with the whitespace step")
        runs = list(self._runs[:-1])
        last = runs.pop() if runs and isinstance(runs[-1], tuple) and all(s.single for s in runs[-1]) else ()
        ops = tuple(reduce(_compose, (s.table for s in r), {}) if isinstance(r, tuple) else r.apply for r in runs)
        return ops, *_stored(self.tag, lambda: self._char_arrays(ops, last))

    def _char_arrays(self, ops: tuple, last: tuple[Step, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The lookup array of the table steps ``last`` (after the string steps ``ops``), the mask of code points
        that need ``ops``, and the compiled pass's lookup: outputs that NFKC could compose carry ``_SUSPECT``."""
        lookup = _IDENTITY.copy()
        if last:
            for cp, out in reduce(_compose, (s.table for s in last), {}).items():
                lookup[cp] = ord(out) if out else _DELETED
            _fold_single_characters(ops, lookup)
        # Whitespace of every kind ends up as one space: map it to 32 here, so the compiled loop
        # tests one value instead of looking up a second table.
        kept = lookup != _DELETED
        lookup[kept & _SPACE_MASK[np.where(kept, lookup, 0)]] = 32
        unsafe = _needs_string_steps(ops, lookup)
        marked = lookup.copy()
        if "nfkc" in self.steps:
            kept = lookup != _DELETED
            marked[kept & _composable()[np.where(kept, lookup, 0)]] |= _SUSPECT
        return lookup, unsafe, marked

    def char_table(self) -> tuple[np.ndarray, np.ndarray]:
        """What the profile does to each code point alone: its output (``0xFFFFFFFF``: deleted, 32: a
        space), and the mask of code points whose text needs the string steps (entities, NFKC)."""
        _, lookup, unsafe, _ = self._codepoint_plan
        return lookup, unsafe

    def normalize_batch(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Normalize many texts at once: UTF-32 code points of the results, and ``len+1`` offsets.

        Equal to ``[self.normalize(t) for t in texts]``, with the translate table and
        whitespace collapsing done on one numpy array instead of per string.
        """
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        if small(lengths.sum()):  # a page: text by text, with no lookup array to build and no loop to compile
            normalized = [self.normalize(t) for t in texts]
            offsets = np.zeros(len(texts) + 1, dtype=np.int64)
            np.cumsum(np.fromiter(map(len, normalized), dtype=np.int64, count=len(texts)), out=offsets[1:])
            return codepoints("".join(normalized)), offsets
        ops, _, unsafe, marked = self._codepoint_plan
        raw = code_units("".join(texts))
        redo = np.zeros(0, dtype=np.int64)
        redone: list[str] = []
        if ops:
            # Only texts holding a character that the string steps may change go through them; the
            # compiled pass reads those texts from a second, small array instead of the batch's.
            redo = np.flatnonzero(any_per_record(unsafe, raw, lengths))
            redone = [self._string_steps(texts[i], ops) for i in redo.tolist()]
        alternate = code_units("".join(redone))
        if alternate.dtype != raw.dtype:  # one of them holds a code point above U+FFFF
            raw, alternate = raw.astype(np.uint32), alternate.astype(np.uint32)
        alt_lengths = np.fromiter(map(len, redone), dtype=np.int64, count=len(redone))
        cps = np.empty(len(raw) + len(alternate), dtype=np.uint32)
        offsets = np.zeros(len(texts) + 1, dtype=np.int64)
        suspect = np.zeros(len(texts), dtype=np.bool_)
        nfkc = "nfkc" in self.steps
        _map_and_collapse(raw, lengths, alternate, redo, alt_lengths, marked, cps, offsets, suspect)
        cps = cps[: offsets[-1]]
        if nfkc:
            # Rare: a deletion brought together what NFKC composes; redo those records exactly.
            suspects = np.flatnonzero(suspect)
            redo = [i for i in suspects if not _is_nfkc(cps[offsets[i] : offsets[i + 1]])]
            cps, lengths = _replace_records(cps, np.diff(offsets), redo, [self.normalize(texts[i]) for i in redo])
            np.cumsum(lengths, out=offsets[1:])
        return cps, offsets

    @staticmethod
    def _string_steps(text: str, ops: tuple) -> str:
        """``text`` through ``ops``: translate tables and whole-string functions, in order."""
        for op in ops:
            text = text.translate(op) if isinstance(op, dict) else op(text)
        return text


def _stored(tag: str, build: Callable[[], tuple[np.ndarray, ...]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:meth:`Profile._char_arrays` from a file beside this module's bytecode, or built and written there; the
    file's name holds a digest of what the arrays depend on (this file, the Unicode and Python versions, the
    step tables). Stored as changes to the identity and two bit masks (400 KB); a read-only install builds."""
    source = [
        Path(__file__).read_bytes(),
        unicodedata.unidata_version,
        sys.version,
        repr([s.mapping for s in _STEP_LIST]),
    ]
    digest = hashlib.sha256(repr(source).encode()).hexdigest()[:16]
    path = Path(cache_from_source(__file__)).with_name(f"normalize-{tag.replace('@', '-')}-{digest}.npz")
    try:
        with np.load(path) as stored:
            lookup = _IDENTITY.copy()
            lookup[stored["changed"]] = stored["to"]
            unsafe, suspect = (np.unpackbits(stored[k], count=len(lookup)).astype(bool) for k in ("unsafe", "suspect"))
            marked = lookup.copy()
            marked[suspect] |= _SUSPECT
            return lookup, unsafe, marked
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        pass  # not written yet, or damaged: built again
    lookup, unsafe, marked = build()
    changed = np.flatnonzero(lookup != _IDENTITY)
    arrays = {"changed": changed, "to": lookup[changed], "suspect": np.packbits(marked != lookup)}
    try:
        path.parent.mkdir(exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        with tmp.open("wb") as handle:
            np.savez(handle, unsafe=np.packbits(unsafe), **arrays)
        tmp.replace(path)
        for stale in path.parent.glob(f"{path.name.rsplit('-', 1)[0]}-*.npz"):  # made by an earlier version
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError:
        pass
    return lookup, unsafe, marked


def _replace_records(
    cps: np.ndarray, lengths: np.ndarray, rows: Sequence[int], texts: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Code points and lengths with the given records replaced by the code points of ``texts``."""
    if not len(rows):
        return cps, lengths
    starts = np.concatenate(([0], np.cumsum(lengths)))
    pieces, at = [], 0
    for row, text in zip(rows, texts, strict=True):
        pieces += [cps[at : starts[row]], codepoints(text)]
        at = starts[row + 1]
    pieces.append(cps[at:])
    lengths = lengths.copy()
    lengths[list(rows)] = [len(t) for t in texts]
    return np.concatenate(pieces), lengths


@lru_cache(maxsize=1)
def _composition_seconds() -> frozenset[int]:
    """Code points that NFKC may compose with the character before them."""
    second = {0x1161 + i for i in range(21)} | {0x11A8 + i for i in range(27)}  # Hangul V and T jamo
    for cp in range(0x20000):
        parts = unicodedata.decomposition(chr(cp)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            second.add(int(parts[1], 16))
    return frozenset(second)


@lru_cache(maxsize=1)
def _composable() -> np.ndarray:
    """Mask of code points that can make a text not NFKC-normalized: combining marks and composition seconds."""
    mask = np.zeros(0x110000, dtype=bool)
    mask[list(_composition_seconds())] = True
    mask[[cp for cp in range(0x20000) if unicodedata.combining(chr(cp))]] = True
    mask[0x20000:] = True  # rare planes: check them the slow way
    return mask


def _needs_string_steps(ops: tuple, lookup: np.ndarray) -> np.ndarray:
    """Code points after which a text must really run through the string steps ``ops``.

    A character is safe when the steps cannot change how it ends up after the table:
    it is not ``&``, never the second half of a canonical composition, either a
    starter or deleted by the table, and maps to the same output with or without them.
    """
    mask = np.ones(0x110000, dtype=bool)
    second = _composition_seconds()

    def outcome(text: str) -> list[int]:
        mapped = (int(lookup[ord(ch)]) for ch in text)
        return [32 if _SPACE_MASK[cp] else cp for cp in mapped if cp != _DELETED]

    changed = _changed_by_steps(ops)
    for cp in (*range(0xD800), *range(0xE000, 0x20000)):  # all but surrogates and the rare planes
        ch = chr(cp)
        if ch == "&" or cp in second or (unicodedata.combining(ch) and lookup[cp] != _DELETED):
            continue
        out = changed.get(cp, ch)
        mask[cp] = out != ch and outcome(out) != outcome(ch)
    return mask


@lru_cache(maxsize=8)
def _changed_by_steps(ops: tuple) -> dict[int, str]:
    """Code point -> what the string steps make of it alone, for the characters they change.

    All characters go through the steps in one string, each on its own line: a newline composes
    with nothing, so each comes out as it would alone (checked: the line count must not change).
    """
    cps = [cp for cp in (*range(0xD800), *range(0xE000, 0x20000)) if cp not in (0x0A, 0x26)]
    out = Profile._string_steps("\n".join(map(chr, cps)), ops).split("\n")
    if len(out) != len(cps):
        out = [Profile._string_steps(chr(cp), ops) for cp in cps]
    return {cp: o for cp, o in zip(cps, out, strict=True) if o != chr(cp)}


def _fold_single_characters(ops: tuple, lookup: np.ndarray) -> None:
    """Map in ``lookup`` the starters that the string steps turn into one other starter (ﺍ to ا, ﻝ to ل).

    Exact: neither character composes with a neighbour, so the string steps would change
    that character alone; texts made of such characters then skip the string steps.
    """
    second = _composition_seconds()
    for cp, out in _changed_by_steps(ops).items():
        if cp in second or unicodedata.combining(chr(cp)):
            continue
        if len(out) == 1 and ord(out) not in second and not unicodedata.combining(out):
            lookup[cp] = lookup[ord(out)]


@njit(cache=True, nogil=True)
def any_per_record(mask, cps, lengths):  # pragma: no cover - compiled
    """For each record (consecutive runs of ``lengths``), whether any of its code points is in ``mask``."""
    out = np.zeros(lengths.shape[0], dtype=np.bool_)
    i = 0
    for r in range(lengths.shape[0]):
        for _ in range(lengths[r]):
            if mask[cps[i]]:
                out[r] = True
            i += 1
    return out


def code_units(text: str) -> np.ndarray:
    """The code points of ``text``: as UTF-16 units when it has none above U+FFFF (then they are the
    same numbers, and encoding is four times faster than to UTF-32), else as UTF-32."""
    units = text.encode("utf-16-le", "surrogatepass")
    if len(units) == 2 * len(text):
        return np.frombuffer(units, dtype=np.uint16)
    return codepoints(text)


def codepoints(text: str) -> np.ndarray:
    """The code points of ``text`` as a uint32 array (lone surrogates kept)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def text_of(cps: np.ndarray) -> str:
    """The text of a uint32 array of code points: the inverse of :func:`codepoints`."""
    return cps.tobytes().decode("utf-32-le", "surrogatepass")


def _is_nfkc(cps: np.ndarray) -> bool:
    return unicodedata.is_normalized("NFKC", text_of(cps))


@njit(cache=True, nogil=True)
def _map_and_collapse(cps, lengths, alternate, redo, alt_lengths, lookup, out, offsets, flagged):  # pragma: no cover
    """Map each code point through ``lookup`` (dropping deleted ones), then ``" ".join(text.split())`` per record.

    Record ``redo[k]`` is read from ``alternate`` (``alt_lengths[k]`` code points) instead of ``cps``;
    ``flagged[r]`` tells whether record ``r`` kept an output carrying the ``_SUSPECT`` bit.
    """
    w = 0
    i = 0
    j = 0
    k = 0
    for r in range(lengths.shape[0]):
        offsets[r] = w
        started = False
        pending = False
        if k < redo.shape[0] and redo[k] == r:
            source, start, count = alternate, j, alt_lengths[k]
            j += count
            k += 1
        else:
            source, start, count = cps, i, lengths[r]
        i += lengths[r]
        for p in range(start, start + count):
            c = lookup[source[p]]
            if c == _DELETED:
                continue
            if c == 32:
                pending = started
                continue
            if pending:
                out[w] = 32
                w += 1
                pending = False
            if c & _SUSPECT:
                flagged[r] = True
                c ^= _SUSPECT
            out[w] = c
            w += 1
            started = True
    offsets[lengths.shape[0]] = w


def _compose(first: dict[int, str], second: dict[int, str]) -> dict[int, str]:
    """A table equal to applying ``first`` then ``second``."""
    merged = {cp: out.translate(second) for cp, out in first.items()}
    for cp, out in second.items():
        merged.setdefault(cp, out)
    return merged


_LIGHT = ("html_entities", "nfkc", "casefold", "controls", "tashkeel", "tatweel", "digits", "punctuation")
PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile("none", 1, "whitespace only: what a naive whitespace tokenizer sees", ("whitespace",)),
        Profile("light", 1, "encoding-level noise only; letters are not folded", (*_LIGHT, "whitespace")),
        Profile(
            "search",
            1,
            "light plus orthographic folding (hamza/alef, ى/ي, ة/ه, Persian letters); the default",
            (*_LIGHT, "alef_hamza", "alef_maqsura", "teh_marbuta", "persian_lookalikes", "whitespace"),
        ),
    )
}
DEFAULT_PROFILE = "search"


def get_profile(name: str) -> Profile:
    """Look up a profile by name (``search``) or by tag (``search@1``, which must be this version's), with a
    message listing the known ones."""
    base, at, version = name.partition("@")
    if base not in PROFILES:
        raise ConfigError(f"unknown normalization profile {name!r}; choose one of {', '.join(PROFILES)}")
    profile = PROFILES[base]
    if at and version != str(profile.version):
        raise ConfigError(f"no normalization profile {name!r}: this dedup has {profile.tag}")
    return profile


def normalize(text: str, profile: str = DEFAULT_PROFILE) -> str:
    """Normalize ``text`` with the named profile (default ``search``)."""
    return get_profile(profile).normalize(text)

"""Noise that web copies of Arabic text carry, for tests and benchmarks of what normalization must undo."""

from __future__ import annotations

import random
import unicodedata

__all__ = ["edit_words", "perturb"]

# Isolated presentation form of each base letter, read off Unicode's decompositions.
_PRESENTATION = {}
for cp in range(0xFE70, 0xFEFF):
    decomposition = unicodedata.decomposition(chr(cp))
    if decomposition.startswith("<isolated>") and len(decomposition.split()) == 2:
        _PRESENTATION.setdefault(chr(int(decomposition.split()[1], 16)), chr(cp))

_FATHA, _KASRA, _SHADDA, _TATWEEL, _RLM, _ZWNJ = "\u064e", "\u0650", "\u0651", "\u0640", "\u200f", "\u200c"
_DIGITS = {str(d): chr(0x0660 + d) for d in range(10)}
_PUNCT = {"،": ",", ",": "،", "؛": ";", "?": "؟", "“": "«", "”": "»", ":": "：", ".": "۔"}


def perturb(text: str, rng: random.Random) -> str:
    """Add the noise that web copies of Arabic text carry, without changing a word.

    Diacritics, tatweel, hamza and alef forms, final ي written ى, ة written ه,
    presentation forms, Arabic-Indic digits, RLM/ZWNJ inside words, punctuation swaps.
    """
    words = []
    for word in text.split(" "):
        chars = list(word)
        if word.startswith("ا") and rng.random() < 0.5:
            chars[0] = rng.choice("أإآ")
        if word.endswith("ي") and rng.random() < 0.7:
            chars[-1] = "ى"
        if word.endswith("ة") and rng.random() < 0.5:
            chars[-1] = "ه"
        out = []
        for i, ch in enumerate(chars):
            if ch in _DIGITS:
                ch = _DIGITS[ch]
            elif ch in _PUNCT and rng.random() < 0.7:
                ch = _PUNCT[ch]
            elif ch in _PRESENTATION and rng.random() < 0.15:
                ch = _PRESENTATION[ch]
            out.append(ch)
            if "\u0621" <= ch <= "\u064a" and rng.random() < 0.3:
                out.append(rng.choice((_FATHA, _KASRA, _SHADDA + _FATHA)))
            if 0 < i < len(chars) - 1 and "\u0628" <= ch <= "\u064a" and rng.random() < 0.05:
                out.append(_TATWEEL * rng.randint(1, 3))
            if 0 < i < len(chars) - 1 and rng.random() < 0.03:
                out.append(rng.choice((_RLM, _ZWNJ)))
        words.append("".join(out))
    return " ".join(words)


def edit_words(text: str, share: float, rng: random.Random, replacement: str = "كلمة") -> str:
    """Replace ``share`` of the words of ``text`` (chosen by ``rng``) with ``replacement``."""
    words = text.split(" ")
    for i in rng.sample(range(len(words)), int(len(words) * share)):
        words[i] = replacement
    return " ".join(words)

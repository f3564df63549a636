"""Words with raw spans: the same words as the profile's normalized text, each span its raw characters."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.normalize import get_profile
from dedup.words import ngram_hashes, words_of
from tests.conftest import SEED
from tests.test_normalize import FOLDED

PROFILE = get_profile("search")
# Arabic letters and marks, tatweel, presentation forms, digits, punctuation, entities, controls, Latin.
ALPHABET = st.sampled_from(
    [
        *"ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأإؤئىةـًٌٍَُِّْٰ٠١٩۱«»،؛؟.-:/()\"' \n\t",
        *["ﻻ", "ﷺ", "ﺑ", "&amp;", "&quot;", "\u200f", "\u200c", "A", "b", "1", "𝒜", "\u0654"],
    ]
)


def _hashes(text: str) -> list[int]:
    return words_of([text], PROFILE).hashes.tolist()


@pytest.mark.parametrize(("noisy", "clean"), FOLDED)
def test_folded_spellings_give_the_same_words(noisy, clean) -> None:
    assert _hashes(noisy) == _hashes(clean)


@settings(deadline=None, max_examples=300)
@given(st.lists(ALPHABET, max_size=40).map("".join))
def test_words_are_the_normalized_words_and_spans_hold_them(text) -> None:
    words = words_of([text], PROFILE)
    normalized = PROFILE.normalize(text).split()
    assert words.hashes.tolist() == _hashes(" ".join(normalized))  # the same words, in order
    assert len(words.hashes) == len(normalized)
    for start, end in zip(words.starts.tolist(), words.ends.tolist(), strict=True):
        assert 0 <= start < end <= len(text)
        assert PROFILE.normalize(text[start:end]).strip()  # a span holds the raw text of a word


def test_the_seed_page_spans_and_lines() -> None:
    text = SEED.read_text(encoding="utf-8")
    words = words_of([text, text[:200]], PROFILE)
    assert words.offsets[1] - words.offsets[0] == len(PROFILE.normalize(text).split())
    first = words.of(0)
    raw = [text[s:e] for s, e in zip(words.starts[first][:3], words.ends[first][:3], strict=True)]
    assert all(r == r.strip() and r for r in raw)
    assert words.lines[first][0] == 1 and words.lines[first][-1] == text.rstrip("\n").count("\n") + 1
    _, valid = ngram_hashes(words, 5)
    assert valid[first].sum() == (first.stop - first.start) - 4  # one 5-gram per position but the last 4

import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pyarabic.araby as araby
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.normalize import PROFILES, STEPS, get_profile, normalize

# (noisy, clean) pairs that must normalize alike under the default profile.
FOLDED = [
    ("كَمَا تَجْدَرُ الإشَارَةُ", "كما تجدر الاشاره"),  # diacritics, hamza, teh marbuta
    ("الرئيـــــس", "الرييس"),  # tatweel, hamza on yeh
    ("مؤتمر", "موتمر"),
    ("إسلام آمن أسعد ٱلله", "اسلام امن اسعد الله"),
    ("على مستوى", "علي مستوي"),
    ("ﻻ ﺑﺄﺱ", "لا باس"),  # presentation forms FB50-FEFF
    ("عام ١٤٤٥ و ۱۴۴۵", "عام 1445 و 1445"),  # Arabic-Indic and Eastern digits
    ("سو\u200fر\u200cيا", "سوريا"),  # RLM and ZWNJ inside a word are deleted, not spaced
    ("«سانا»، قالت؛ لماذا؟", "سانا قالت لماذا"),
    ("“سانا”, قالت; لماذا?", "سانا قالت لماذا"),
    ("الرحمٰن", "الرحمن"),  # superscript alef U+0670
    ("ا\u0654حمد", "احمد"),  # alef + combining hamza composes to أ, then folds
    ("کتاب یوم ہذہ", "كتاب يوم هذه"),  # Persian and Urdu lookalikes
    ("&quot;الخبر&quot; &amp; غيره", "الخبر غيره"),
    ("Reuters  NEWS", "reuters news"),
]


@pytest.mark.parametrize(("noisy", "clean"), FOLDED)
def test_default_profile_folds_web_noise(noisy: str, clean: str) -> None:
    assert normalize(noisy) == clean


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("الفجر 04:12 الظهر 12:30", "الفجر 04:13 الظهر 12:30"),  # templated pages differ only in digits
        ("فاز الهلال 3-1", "فاز الهلال 1-3"),
        ("كتب", "كتاب"),
        ("قال", "قائل"),
    ],
)
def test_distinct_texts_stay_distinct(a: str, b: str) -> None:
    assert normalize(a) != normalize(b)


def test_light_profile_keeps_letter_forms_but_cleans_marks() -> None:
    light = get_profile("light")
    assert light.normalize("مَدْرَسَةٌ") == "مدرسة"
    assert light.normalize("ا\u0654حمد") == "أحمد"  # NFKC composed before marks are stripped
    assert light.normalize("على") != light.normalize("علي")


def test_none_profile_only_collapses_whitespace() -> None:
    assert normalize("  سانا،\tقالت  ", "none") == "سانا، قالت"


def test_hamza_step_agrees_with_pyarabic_tasheel() -> None:
    word = "جاء سؤال الأئمة عن الإسلام آجلا"
    assert STEPS["alef_hamza"].apply(word) == araby.normalize_hamza(word, method="tasheel")


def test_unknown_profile_names_the_choices() -> None:
    with pytest.raises(ValueError, match="light"):
        get_profile("nope")


def test_profiles_are_versioned() -> None:
    assert {p.tag for p in PROFILES.values()} == {"none@1", "light@1", "search@1"}


def test_a_profile_is_found_by_its_tag_of_this_version_only() -> None:
    assert get_profile("search@1") is get_profile("search")
    with pytest.raises(ValueError, match="'search@9': this dedup has search@1"):
        get_profile("search@9")


ARABIC_HEAVY = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x0600, max_codepoint=0x06FF),
        st.characters(min_codepoint=0xFB50, max_codepoint=0xFEFF),
        st.sampled_from(" \n\t.,;:!?\u200c\u200d\u200e\u200f\u202b\u202c\u0640&#;amp0123456789"),
        st.characters(),
    ),
    max_size=80,
)


@settings(max_examples=400, deadline=None)
@given(text=ARABIC_HEAVY, profile=st.sampled_from(sorted(PROFILES)))
def test_normalization_is_idempotent_and_total(text: str, profile: str) -> None:
    once = normalize(text, profile)
    assert normalize(once, profile) == once


@settings(max_examples=300, deadline=None)
@given(text=ARABIC_HEAVY)
def test_default_output_has_no_marks_controls_or_punctuation(text: str) -> None:
    out = normalize(text)
    for ch in out:
        category = unicodedata.category(ch)
        assert not (category == "Cf" or (category.startswith(("P", "Z")) and ch != " "))
        assert not ("\u064b" <= ch <= "\u065f" or ch in "\u0640\u0670\u0649\u0629\u0623\u0625\u0622")


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(ARABIC_HEAVY, max_size=6), profile=st.sampled_from(sorted(PROFILES)))
def test_batch_normalization_equals_per_text(texts: list[str], profile: str, kernels) -> None:
    cps, offsets = get_profile(profile).normalize_batch(texts)
    got = [cps[offsets[i] : offsets[i + 1]].tobytes().decode("utf-32-le", "surrogatepass") for i in range(len(texts))]
    assert got == [normalize(t, profile) for t in texts]


@pytest.mark.parametrize(
    "texts",
    [
        ["نص &#66600; عربي", "نص"],  # only the decoded entity (𐐨) is above U+FFFF: both kinds of units meet
        ["😀 نص عربي", "&amp; نص"],  # the batch itself is above U+FFFF
        ["نص \U00010400 𐐨", "ﻻ"],  # astral letters that case folding maps
    ],
)
def test_batch_normalization_equals_per_text_above_the_basic_plane(texts: list[str], kernels) -> None:
    for profile in sorted(PROFILES):
        cps, offsets = get_profile(profile).normalize_batch(texts)
        got = [cps[offsets[i] : offsets[i + 1]].tobytes().decode("utf-32-le") for i in range(len(texts))]
        assert got == [normalize(t, profile) for t in texts]


def test_batch_normalization_on_the_seed_article(seed_text: str, kernels) -> None:
    lines = seed_text.split("\n")
    cps, offsets = get_profile("search").normalize_batch(lines)
    assert cps[offsets[41] : offsets[42]].tobytes().decode("utf-32-le") == normalize(lines[41])
    assert len(offsets) == len(lines) + 1


def test_category_tables_cover_every_code_point() -> None:
    # normalize.py scans planes 0-1 and the tags block only; this Python's Unicode must agree.
    everything = {cp for cp in range(0x110000) if unicodedata.category(chr(cp)).startswith(("P", "S", "Cf"))}
    assert everything == set(STEPS["controls"].table) | set(STEPS["punctuation"].table)


def test_the_stored_lookup_arrays_are_rebuilt_when_damaged(seed_text: str) -> None:
    from importlib.util import cache_from_source

    import dedup.normalize

    check = (
        "import sys\nfrom dedup.jit import compiled_only\nfrom dedup.normalize import get_profile, normalize\n"
        "lines = sys.stdin.read().split('\\n')\nwith compiled_only():\n    cps, offsets = get_profile('search')"
        ".normalize_batch(lines)\nassert cps.tobytes().decode('utf-32-le') == ''.join(map(normalize, lines))"
    )
    folder = Path(cache_from_source(dedup.normalize.__file__)).parent
    subprocess.run([sys.executable, "-c", check], input=seed_text, text=True, check=True)  # stored, or built
    (stored,) = folder.glob("normalize-search-1-*.npz")
    stored.write_bytes(b"not an npz file")
    subprocess.run([sys.executable, "-c", check], input=seed_text, text=True, check=True)  # built again
    assert len(np.load(stored)["changed"]) > 1000

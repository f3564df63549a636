import random

import pytest

from dedup.config import DedupConfig, LSHConfig
from dedup.noise import perturb
from dedup.paragraphs import find_repeats
from dedup.pipeline import Pipeline
from dedup.segment import split_paragraphs

BODY = range(1, 20)  # lines 1-19: the article; lines 22-40 repeat them


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline()


def test_seed_article_has_exactly_its_19_repeats(seed_text, pipeline) -> None:
    report = find_repeats(seed_text, pipeline)
    assert [(r.line, r.first_line) for r in report.repeats] == [(line + 21, line) for line in BODY]
    assert all(r.similarity == 1.0 for r in report.repeats)
    flagged = {r.line for r in report.repeats} | {r.first_line for r in report.repeats}
    assert not flagged & {20, 21, 42, 43}  # lead-in, ellipsis and the crediting footer


def test_perturbed_second_copy_is_still_found(seed_text, pipeline) -> None:
    lines = seed_text.split("\n")
    rng = random.Random(7)
    noisy = lines[:21] + [perturb(line, rng) for line in lines[21:40]] + lines[40:]
    assert sum(a != b for a, b in zip(lines, noisy, strict=True)) == 19  # every line of the second copy changed
    report = find_repeats("\n".join(noisy), pipeline)
    assert [(r.line, r.first_line) for r in report.repeats] == [(line + 21, line) for line in BODY]
    assert min(r.similarity for r in report.repeats) >= 0.9


def test_without_normalization_the_noise_hides_repeats(seed_text) -> None:
    lines = seed_text.split("\n")
    rng = random.Random(7)
    noisy = lines[:21] + [perturb(line, rng) for line in lines[21:40]] + lines[40:]
    report = find_repeats("\n".join(noisy), Pipeline(DedupConfig(profile="none")))
    assert len(report.repeats) < 10


def test_distinct_paragraphs_of_the_article_are_never_paired(seed_text) -> None:
    first_copy = "\n".join(seed_text.split("\n")[:19])
    for threshold in (0.5, 0.8):
        report = find_repeats(first_copy, Pipeline(DedupConfig(lsh=LSHConfig(threshold=threshold))))
        assert report.repeats == []


def test_clean_keeps_first_occurrences_only(seed_text, pipeline) -> None:
    report = find_repeats(seed_text, pipeline)
    cleaned = report.clean(seed_text).split("\n")
    original = seed_text.split("\n")
    assert cleaned == original[:21] + original[40:]
    assert find_repeats("\n".join(cleaned), pipeline).repeats == []


def test_blank_line_mode_groups_blocks(seed_text) -> None:
    paragraphs = split_paragraphs(seed_text, "blank")
    assert [(p.line, p.end_line) for p in paragraphs] == [(1, 40), (42, 43)]
    assert seed_text[paragraphs[1].start : paragraphs[1].end] == paragraphs[1].text


def test_short_repeated_line_is_found(pipeline) -> None:
    text = "القصص الموصى بها\nوقالت الوكالة العربية السورية للأنباء إن الاجتماع تناول التعاون\nالقصص الموصي بها"
    report = find_repeats(text, pipeline)
    assert [(r.line, r.first_line) for r in report.repeats] == [(3, 1)]

"""Shared fixtures: the shipped real Arabic data."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path

import pytest

from dedup.jit import compiled_only

DATA = Path(__file__).resolve().parent.parent / "data"
SEED = DATA / "seed_article.txt"
SAMPLE = DATA / "samples" / "jawharafm_300.jsonl"
SAUDINEWSNET = DATA / "samples" / "saudinewsnet_2015-07-21.zip"
"""40 SaudiNewsNet articles of 21 July 2015 as shipped: one JSON array (2015-07-21.json) in a zip archive."""


def saudinewsnet_day() -> bytes:
    """The shipped SaudiNewsNet day file, as it is inside its zip archive."""
    with zipfile.ZipFile(SAUDINEWSNET) as archive:
        return archive.read("2015-07-21.json")


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def sample_texts() -> list[str]:
    with SAMPLE.open(encoding="utf-8") as handle:
        return [json.loads(line)["text"] for line in handle]


@pytest.fixture(params=["numpy", "compiled"], scope="module")
def kernels(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run a test on the numpy paths that small batches take, and again with every batch on the compiled kernels."""
    with compiled_only() if request.param == "compiled" else nullcontext():
        yield request.param

"""The errors dedup raises on purpose, under one base class; ``str()`` of each says why in one line."""

from __future__ import annotations

__all__ = ["ConfigError", "DedupError"]


class DedupError(Exception):
    """Base of dedup's own errors: catch this to handle anything dedup reports, and nothing else."""


class ConfigError(DedupError, ValueError):
    """A setting out of range or unknown; found when the settings are made, before any work starts."""

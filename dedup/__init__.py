"""Near-duplicate detection for Arabic text: normalized shingles, MinHash, LSH."""

from importlib import import_module

__version__ = "0.1.0"

_PUBLIC = {  # name -> its module, imported on first use: `import dedup` alone loads no numba
    "PROFILES": "dedup.normalize",
    "AuditOptions": "dedup.audit",
    "ConfigError": "dedup.errors",
    "CorpusOptions": "dedup.corpus",
    "DedupConfig": "dedup.config",
    "DedupError": "dedup.errors",
    "LSHConfig": "dedup.config",
    "MinHashConfig": "dedup.config",
    "MinHasher": "dedup.minhash",
    "ParagraphReport": "dedup.paragraphs",
    "Pipeline": "dedup.pipeline",
    "Repeat": "dedup.paragraphs",
    "ShingleConfig": "dedup.config",
    "SignatureIndex": "dedup.index",
    "SignedBatch": "dedup.pipeline",
    "find_repeats": "dedup.paragraphs",
    "get_profile": "dedup.normalize",
    "run_audit": "dedup.audit",
    "run_corpus": "dedup.corpus",
}

__all__ = list(_PUBLIC)


def __getattr__(name: str) -> object:
    """A public name, imported from its module on first use."""
    if name not in _PUBLIC:
        raise AttributeError(f"module 'dedup' has no attribute {name!r}")
    value = getattr(import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value

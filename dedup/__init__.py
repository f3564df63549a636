"""Near-duplicate detection for Arabic text: normalized shingles, MinHash, LSH."""

from dedup.audit import AuditOptions, run_audit
from dedup.config import DedupConfig, LSHConfig, MinHashConfig, ShingleConfig
from dedup.corpus import CorpusOptions, run_corpus
from dedup.index import SignatureIndex
from dedup.minhash import MinHasher
from dedup.normalize import PROFILES, get_profile
from dedup.paragraphs import ParagraphReport, Repeat, find_repeats
from dedup.pipeline import Pipeline, SignedBatch

__version__ = "0.1.0"

__all__ = [
    "PROFILES",
    "AuditOptions",
    "CorpusOptions",
    "DedupConfig",
    "LSHConfig",
    "MinHashConfig",
    "MinHasher",
    "ParagraphReport",
    "Pipeline",
    "Repeat",
    "ShingleConfig",
    "SignatureIndex",
    "SignedBatch",
    "find_repeats",
    "get_profile",
    "run_audit",
    "run_corpus",
]

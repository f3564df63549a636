"""Front end 2, ``dedup audit``: which articles carry whose text, how much of it, who was first,
and who was credited. Modules in the order data flows through them: ``load`` (articles, crawl
duplicates), ``match`` (words, boilerplate, rare shared text, spans), ``attribution`` and
``names`` (credits), ``origin`` (direction, shared source, clusters), ``report``, ``run``.
"""

from dedup.audit.load import read_outlet_names
from dedup.audit.model import Article, AuditOptions, Credit, Pair
from dedup.audit.run import run_audit

__all__ = ["Article", "AuditOptions", "Credit", "Pair", "read_outlet_names", "run_audit"]

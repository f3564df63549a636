"""Front end 3: deduplicate a whole corpus with bounded memory, keeping one document per cluster.

Data flows through the modules in this order: :mod:`~dedup.corpus.options` (the settings),
:mod:`~dedup.corpus.workers` (parse and sign batches on all cores), :mod:`~dedup.corpus.store`
(signatures on disk, document columns; candidate pairs by band, verification), the keep policy
(:mod:`dedup.policy`, shared with the Spark engine), :mod:`~dedup.corpus.paragraphs` (the
paragraph level), :mod:`~dedup.corpus.writers` (kept rows, duplicates), and
:mod:`~dedup.corpus.run`, which runs them as named, timed stages.
"""

from dedup.corpus.options import CorpusOptions
from dedup.corpus.run import run_corpus

__all__ = ["CorpusOptions", "run_corpus"]

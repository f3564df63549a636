"""A persistent signature index in one SQLite file, for "add today's articles, ask what they copy".

Signatures are stored as raw bytes and band keys as integers: nothing read from
disk is unpickled. The file records the settings it was built with and refuses
to be used with others, since signatures made with other settings match nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import numpy as np

from dedup.config import HASH_VERSION, DedupConfig, LSHConfig, MinHashConfig, ShingleConfig
from dedup.errors import DedupError
from dedup.lsh import band_keys
from dedup.normalize import get_profile
from dedup.pipeline import Pipeline, SignedBatch

__all__ = ["IndexFileError", "Match", "SignatureIndex", "config_from_description", "stored_config"]

_SCHEMA = 2


class IndexFileError(DedupError):
    """The index file cannot be used as asked; ``str()`` says why."""


@dataclass(frozen=True)
class Match:
    """An earlier indexed document similar to a queried one."""

    id: str
    similarity: float


def config_from_description(described: dict) -> DedupConfig:
    """Rebuild the settings stored by :meth:`DedupConfig.describe`, checking the profile's and the hash's
    versions (an index from before the hash version was recorded has version 1)."""
    name, _, version = described["profile"].partition("@")
    current = get_profile(name)
    if str(current.version) != version:
        raise IndexFileError(f"built with normalization {described['profile']}, this dedup has {current.tag}")
    stored = described.get("hash_version", 1)
    if stored != HASH_VERSION:
        raise IndexFileError(
            f"signatures made with hash version {stored!r}, this dedup computes hash version {HASH_VERSION}: "
            "they would match nothing; build a new index from the texts with this version (dedup index add)"
        )
    return DedupConfig(
        profile=name,
        shingle=ShingleConfig(**described["shingle"]),
        minhash=MinHashConfig(**described["minhash"]),
        lsh=LSHConfig(**described["lsh"]),
    )


def _differences(stored: dict, wanted: dict, prefix: str = "") -> list[str]:
    out = []
    for key in sorted(set(stored) | set(wanted)):
        a, b = stored.get(key), wanted.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += _differences(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append(f"{prefix}{key}: index has {a!r}, asked {b!r}")
    return out


def _tables(db: sqlite3.Connection) -> set[str]:
    return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _read_meta(db: sqlite3.Connection, path: Path) -> DedupConfig:
    try:
        stored = dict(db.execute("SELECT key, value FROM meta"))
    except sqlite3.DatabaseError as err:
        raise IndexFileError(f"{path}: not a dedup index ({err})") from None
    if stored.get("schema") != str(_SCHEMA):
        raise IndexFileError(f"{path}: not a dedup index, or made by another version (schema {stored.get('schema')})")
    try:
        return config_from_description(json.loads(stored["settings"]))
    except IndexFileError as err:
        raise IndexFileError(f"{path}: {err}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as err:  # hand-edited, or damaged
        raise IndexFileError(
            f"{path}: the settings stored in this index are damaged ({type(err).__name__}: {err})"
        ) from None


def _connect(path: Path, mode: str) -> sqlite3.Connection:
    """A connection to ``path`` opened ``ro``, ``rw`` or ``rwc`` (create); a URI, so the name is escaped."""
    uri = f"file:{quote(str(path.absolute()))}?mode={mode}"
    try:
        db = sqlite3.connect(uri, uri=True, timeout=30)  # another process adding waits, not fails
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()  # opening is lazy: fail here, not later
    except sqlite3.OperationalError as err:
        raise IndexFileError(f"{path}: cannot open the index ({_why(path, err)})") from None
    except sqlite3.DatabaseError as err:
        raise IndexFileError(f"{path}: not a dedup index ({err})") from None
    return db


def _why(path: Path, err: sqlite3.Error) -> str:
    """A reason a user can act on, where SQLite only says it cannot open the file."""
    if path.is_dir():
        return "it is a folder"
    if not path.parent.is_dir():
        return f"no folder {path.parent}"
    return str(err)


def stored_config(path: str | Path) -> DedupConfig | None:
    """The settings an existing index file was built with; ``None`` if there is no such file."""
    path = Path(path)
    if not path.exists():
        return None
    db = _connect(path, "ro")
    try:  # no tables yet: an empty file, or an index another process is creating
        return _read_meta(db, path) if _tables(db) else None
    finally:
        db.close()


class SignatureIndex:
    """Open an index file, or create it with ``cfg``; an existing file must have been built with ``cfg``.

    ``create=False`` refuses a missing file: a query against a mistyped name must not make an empty index.
    """

    def __init__(self, path: str | Path, cfg: DedupConfig | None = None, create: bool = True) -> None:
        self.path = Path(path)
        if not create and not self.path.exists():
            raise IndexFileError(f"{self.path}: no such index (dedup index add creates one)")
        self.db = _connect(self.path, "rwc" if create else "rw")
        try:
            if create and "meta" not in _tables(self.db):
                self._create(cfg or DedupConfig())
            built = _read_meta(self.db, self.path)
            if cfg is not None and cfg != built:
                diffs = _differences(built.describe(), cfg.describe())
                raise IndexFileError(f"{self.path}: built with other settings; " + "; ".join(diffs))
        except BaseException:
            self.db.close()
            raise
        self.pipeline = Pipeline(built)

    def _create(self, cfg: DedupConfig) -> None:
        """The tables and settings, in an empty file only, in one transaction that checks again that no other
        process has just made them: two runs creating one index at once both use the settings of whichever
        came first."""
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("BEGIN IMMEDIATE")
            with self.db:
                tables = _tables(self.db)
                if "meta" in tables:
                    return
                if tables:  # never add ours to someone else's database
                    raise IndexFileError(f"{self.path}: not a dedup index (an SQLite file with other tables)")
                self.db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                self.db.execute(
                    "CREATE TABLE docs (doc INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, "
                    "signature BLOB NOT NULL, shingles BLOB NOT NULL)"
                )
                self.db.execute(
                    "CREATE TABLE bands (band INTEGER NOT NULL, key INTEGER NOT NULL, doc INTEGER NOT NULL)"
                )
                self.db.execute("CREATE INDEX bands_by_key ON bands (band, key)")
                self.db.executemany(
                    "INSERT INTO meta VALUES (?, ?)",
                    [("schema", str(_SCHEMA)), ("settings", json.dumps(cfg.describe()))],
                )
        except sqlite3.OperationalError as err:  # a read-only file or folder, a full disk
            raise IndexFileError(f"{self.path}: cannot create the index ({err})") from None

    def __len__(self) -> int:
        return self.db.execute("SELECT count(*) FROM docs").fetchone()[0]

    def _keys(self, signatures: np.ndarray) -> np.ndarray:
        return band_keys(signatures, self.pipeline.bands, self.pipeline.rows).view(np.int64)

    def add(self, ids: Sequence[str], texts: Sequence[str]) -> list[str]:
        """Index the texts under their ids in one transaction; returns the ids already present (not added)."""
        present = self._present(ids)
        fresh = [k for k, doc_id in enumerate(ids) if doc_id not in present]
        batch = self.pipeline.sign([texts[k] for k in fresh])
        keys = self._keys(batch.signatures)
        try:
            present |= self._insert(ids, fresh, batch, keys)
        except sqlite3.OperationalError as err:  # a read-only file, a full disk: nothing of the batch is added
            raise IndexFileError(f"{self.path}: cannot add to the index ({err})") from None
        return [doc_id for doc_id in ids if doc_id in present]

    def _insert(self, ids: Sequence[str], fresh: list[int], batch: SignedBatch, keys: np.ndarray) -> set[str]:
        """Insert the ``fresh`` documents; returns the ids another process added since they were looked up."""
        late: set[str] = set()
        with self.db:
            for row, k in enumerate(fresh):
                cursor = self.db.execute(
                    "INSERT OR IGNORE INTO docs (id, signature, shingles) VALUES (?, ?, ?)",
                    (ids[k], batch.signatures[row].tobytes(), batch.shingle_set(row).tobytes()),
                )
                if cursor.rowcount == 0:
                    late.add(ids[k])
                elif batch.nonempty[row]:
                    doc = cursor.lastrowid
                    self.db.executemany(
                        "INSERT INTO bands VALUES (?, ?, ?)",
                        [(band, int(key), doc) for band, key in enumerate(keys[row])],
                    )
        return late

    def _present(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for lo in range(0, len(ids), 500):
            chunk = list(ids[lo : lo + 500])
            marks = ",".join("?" * len(chunk))
            found.update(r[0] for r in self.db.execute(f"SELECT id FROM docs WHERE id IN ({marks})", chunk))
        return found

    def query(self, texts: Sequence[str]) -> list[list[Match]]:
        """For each text, the indexed documents whose similarity as configured (exact Jaccard by default) reaches
        the threshold, most similar first."""
        batch = self.pipeline.sign(texts)
        keys = self._keys(batch.signatures)
        out: list[list[Match]] = [[] for _ in texts]
        dtype = self.pipeline.hasher.dtype
        clauses = " OR ".join("(band = ? AND key = ?)" for _ in range(keys.shape[1]))
        for q in np.flatnonzero(batch.nonempty):
            params = [v for band, key in enumerate(keys[q]) for v in (band, int(key))]
            rows = self.db.execute(
                "SELECT DISTINCT d.id, d.signature, d.shingles FROM bands b JOIN docs d ON d.doc = b.doc "
                f"WHERE {clauses}",
                params,
            ).fetchall()
            if not rows:
                continue
            # The query and its candidates as one small batch: row 0 is the query.
            signatures = np.vstack([batch.signatures[q], *(np.frombuffer(r[1], dtype=dtype) for r in rows)])
            sets = [batch.shingle_set(q), *(np.frombuffer(r[2], dtype=np.uint32) for r in rows)]
            offsets = np.concatenate(([0], np.cumsum([len(x) for x in sets])))
            pairs = np.stack([np.zeros(len(rows), dtype=np.int64), np.arange(1, len(rows) + 1)], axis=1)
            sims = self.pipeline.similarity(signatures, pairs, (np.concatenate(sets), offsets))
            matches = [Match(r[0], float(s)) for r, s in zip(rows, sims, strict=True)]
            out[q] = sorted(
                (m for m in matches if m.similarity >= self.pipeline.cfg.lsh.threshold),
                key=lambda m: (-m.similarity, m.id),
            )
        return out

    def close(self) -> None:
        """Close the file; everything added is already committed."""
        self.db.close()

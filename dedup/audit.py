"""Front end 2: which articles were republished where, how much of them, who was first, and with what credit.

Articles are matched at two levels: their paragraphs (so a copy that keeps half the
article, wraps it in a header and footer, or carries it twice is still found) and
their whole text. Paragraphs that recur across many pages of one outlet are that
outlet's boilerplate and never count as evidence of copying.
"""

from __future__ import annotations

import csv
import json
import shutil
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from dedup.attribution import KNOWN_OUTLETS, Credit, OutletNames, dateline_credit, find_credit, strongest
from dedup.config import DedupConfig, LSHConfig
from dedup.lsh import connected_components, overlaps
from dedup.pipeline import Pipeline
from dedup.records import FieldNames, FileError, Record, Rejected, input_files, parse_date, read_records
from dedup.report import render_report
from dedup.segment import split_paragraphs
from dedup.shingle import shingle_sets
from dedup.textio import InputError, RunError, check_out, prepare_out, publish, read_text, write_csv

__all__ = ["Article", "AuditOptions", "CopyPair", "read_outlet_names", "run_audit"]


@dataclass(frozen=True)
class AuditOptions:
    """Thresholds of the audit, and where the metadata lives in the input."""

    paragraph_threshold: float = 0.8
    article_threshold: float = 0.5
    min_containment: float = 0.5
    boilerplate_min_pages: int = 3
    outlet_field: str = "outlet"
    url_field: str = "url"
    title_field: str = "title"
    fields: FieldNames = field(default_factory=FieldNames)
    max_pairs_in_report: int = 300
    outlet_names: tuple[tuple[str, str, bool], ...] = ()  # (outlet, name, ambiguous) beyond KNOWN_OUTLETS

    def __post_init__(self) -> None:
        for name in ("paragraph_threshold", "article_threshold", "min_containment"):
            if not 0.0 < getattr(self, name) <= 1.0:
                raise ValueError(f"{name.replace('_', ' ')} must be in (0, 1], got {getattr(self, name)!r}")
        if self.boilerplate_min_pages < 2:
            raise ValueError("boilerplate needs at least 2 pages of one outlet")


@dataclass(frozen=True)
class Article:
    """One usable input article."""

    index: int
    id: str
    outlet: str
    url: str
    published: float
    title: str
    text: str
    where: str


@dataclass(frozen=True)
class CopyPair:
    """A source article, a later article that contains it (wholly or partly), and how."""

    source: Article
    copy: Article
    containment: float
    jaccard: float
    matched: list[tuple[int, int]]  # (source line, copy line) of matched paragraphs
    added: list[int]  # lines of the copy that match nothing of the source nor any boilerplate
    credit: Credit

    @property
    def lag_hours(self) -> float:
        return round((self.copy.published - self.source.published) / 3600, 2)


# --- reading ----------------------------------------------------------------------------------


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat()


def _txt_folder(folder: Path, opts: AuditOptions) -> Iterator[Record | Rejected | FileError]:
    """A folder of .txt pages plus metadata.csv (file, id, outlet, url, published, title), as records."""
    meta = folder / "metadata.csv"
    if not meta.exists():
        yield FileError(f"{folder}: a folder of .txt pages needs a metadata.csv (file,id,outlet,url,published,title)")
        return
    seen: set[str] = set()
    with meta.open(encoding="utf-8-sig", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            doc_id = (row.get("id") or row.get("file") or "").strip()
            try:
                text = read_text(str(folder / (row.get("file") or "")))
            except InputError as err:
                yield Rejected(0, line, doc_id, "unreadable_page", err.reason)
                continue
            if doc_id in seen:
                yield Rejected(0, line, doc_id, "duplicate_id", f"duplicate id {doc_id!r}")
                continue
            seen.add(doc_id)
            extra = {k: row.get(k) for k in (opts.outlet_field, opts.url_field, opts.title_field)}
            yield Record(0, line, doc_id, text, parse_date(row.get(opts.fields.date)), extra)


def read_outlet_names(path: str | Path) -> tuple[tuple[str, str, bool], ...]:
    """A CSV of ``outlet,name,ambiguous`` rows (ambiguous: yes when the name is also a word or a place)."""
    try:
        with Path(path).open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as err:
        raise RunError(f"{path}: cannot read outlet names: {err.strerror or err}") from None
    if rows and not {"outlet", "name"} <= set(rows[0]):
        raise RunError(f"{path}: outlet names need the columns outlet,name (and optionally ambiguous)")
    return tuple(
        (r["outlet"].strip(), r["name"].strip(), (r.get("ambiguous") or "").strip().lower() in ("yes", "1", "true"))
        for r in rows
        if (r.get("outlet") or "").strip() and (r.get("name") or "").strip()
    )


def load_articles(path: str | Path, opts: AuditOptions) -> tuple[list[Article], list[Rejected], list[str]]:
    """Usable articles, rejected rows (missing outlet, bad date, ...) and unreadable files."""
    path = Path(path)
    fields = FieldNames(
        opts.fields.id,
        opts.fields.text,
        opts.fields.date,
        (opts.outlet_field, opts.url_field, opts.title_field, opts.fields.date),
    )
    if path.is_dir() and (path / "metadata.csv").exists():
        items, names = _txt_folder(path, opts), ["metadata.csv"]
    else:
        try:
            files = input_files(path)
        except FileError as err:
            raise RunError(str(err)) from None
        items, names = read_records(files, fields), [f.name for f in files]
    articles: list[Article] = []
    rejected: list[Rejected] = []
    errors: list[str] = []
    for item in items:
        if isinstance(item, FileError):
            errors.append(str(item))
        elif isinstance(item, Rejected):
            rejected.append(item)
        elif not str(item.extra.get(opts.outlet_field) or "").strip():
            rejected.append(
                Rejected(item.file, item.line, item.id, "missing_outlet", f"missing outlet field {opts.outlet_field!r}")
            )
        elif item.date is None:
            raw = item.extra.get(opts.fields.date)
            rejected.append(
                Rejected(
                    item.file, item.line, item.id, "bad_date", f"no ISO 8601 date in {opts.fields.date!r} (got {raw!r})"
                )
            )
        else:
            articles.append(
                Article(
                    len(articles),
                    item.id,
                    str(item.extra[opts.outlet_field]).strip(),
                    str(item.extra.get(opts.url_field) or ""),
                    item.date,
                    str(item.extra.get(opts.title_field) or ""),
                    item.text,
                    f"{names[item.file]}:{item.line}",
                )
            )
    return articles, rejected, errors


# --- matching ---------------------------------------------------------------------------------


@dataclass
class _Paragraphs:
    """Every paragraph of every article, its cluster of near-duplicates, and whether that is boilerplate."""

    article: np.ndarray
    line: np.ndarray
    text: list[str]
    cluster: np.ndarray
    boilerplate: np.ndarray
    sets: np.ndarray
    offsets: np.ndarray


def _paragraphs(articles: list[Article], opts: AuditOptions, cfg: DedupConfig) -> _Paragraphs:
    owner, lines, texts = [], [], []
    for a in articles:
        for p in split_paragraphs(a.text):
            owner.append(a.index)
            lines.append(p.line)
            texts.append(p.text)
    pipeline = Pipeline(cfg)
    batch = pipeline.sign(texts)
    pairs, _ = pipeline.similar_in_batch(batch)
    cluster = connected_components(len(texts), pairs)
    owner_arr = np.array(owner, dtype=np.int64)
    # Boilerplate: a cluster found in at least N distinct pages of one outlet.
    outlet_ids = {o: k for k, o in enumerate(sorted({a.outlet for a in articles}))}
    outlet_of = np.array([outlet_ids[articles[o].outlet] for o in owner], dtype=np.int64)
    pages = defaultdict(set)
    for c, o, a in zip(cluster.tolist(), outlet_of.tolist(), owner, strict=True):
        pages[(c, o)].add(a)
    boiler_clusters = {c for (c, _), members in pages.items() if len(members) >= opts.boilerplate_min_pages}
    boilerplate = np.isin(cluster, list(boiler_clusters)) & batch.nonempty
    return _Paragraphs(
        owner_arr, np.array(lines, dtype=np.int64), texts, cluster, boilerplate, batch.hashes, batch.offsets
    )


def _article_sets(paras: _Paragraphs, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each article's shingle set over its paragraphs that are not boilerplate (repeats inside it count once)."""
    pieces: list[list[np.ndarray]] = [[] for _ in range(n)]
    for p in np.flatnonzero(~paras.boilerplate).tolist():
        pieces[paras.article[p]].append(paras.sets[paras.offsets[p] : paras.offsets[p + 1]])
    flat = [np.concatenate(x) if x else np.zeros(0, dtype=np.uint32) for x in pieces]
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum([len(x) for x in flat], out=offsets[1:])
    return shingle_sets(np.concatenate(flat) if flat else np.zeros(0, dtype=np.uint32), offsets)


def _candidates(paras: _Paragraphs, sets: tuple[np.ndarray, np.ndarray], n: int, cfg: DedupConfig) -> np.ndarray:
    """Article pairs sharing a paragraph cluster that is not boilerplate, or similar as wholes."""
    found = set()
    members = defaultdict(set)
    for p in np.flatnonzero(~paras.boilerplate).tolist():
        members[paras.cluster[p]].add(int(paras.article[p]))
    for group in members.values():
        ordered = sorted(group)[:200]  # an agency story in hundreds of pages: its first 200
        found.update((a, b) for i, a in enumerate(ordered) for b in ordered[i + 1 :])
    pipeline = Pipeline(cfg)
    signatures = pipeline.hasher.sign(*sets)
    whole, _ = pipeline.similar_pairs(signatures, sets[1][1:] > sets[1][:-1], sets)
    found.update(map(tuple, whole.tolist()))
    return np.array(sorted(found), dtype=np.int64).reshape(-1, 2)


def _pair(a: Article, b: Article, shared: tuple[int, int, int], paras: _Paragraphs, by_article, names) -> CopyPair:
    """Orient a matched pair: the earlier one is the source (on a tie, the one contained in the other)."""
    inter, size_a, size_b = shared  # shingles in common, and each article's count
    jaccard = inter / max(size_a + size_b - inter, 1)
    in_b, in_a = inter / max(size_a, 1), inter / max(size_b, 1)  # share of a found in b, and of b in a
    if (a.published, -in_b, a.index) > (b.published, -in_a, b.index):
        a, b, in_b = b, a, in_a
    source_clusters = {paras.cluster[p]: p for p in by_article[a.index]}
    matched, added, own_lines = [], [], []
    for p in by_article[b.index]:
        c = paras.cluster[p]
        if c in source_clusters:
            matched.append((int(paras.line[source_clusters[c]]), int(paras.line[p])))
            continue
        own_lines.append(paras.text[p])
        if not paras.boilerplate[p]:
            added.append(int(paras.line[p]))
    # A credit is the republisher's own words: look for it outside the copied paragraphs, and in the
    # dateline that opens the copy ("الرياض - واس"), where agency copy is credited.
    credit = strongest(
        find_credit("\n".join(own_lines), a.outlet, names), dateline_credit(b.text, a.outlet, b.outlet, names)
    )
    return CopyPair(a, b, round(float(in_b), 4), round(float(jaccard), 4), matched, added, credit)


def match(articles: list[Article], opts: AuditOptions, base: DedupConfig) -> tuple[list[CopyPair], _Paragraphs]:
    """Every source → copy pair whose containment reaches ``opts.min_containment``."""
    lsh = base.lsh
    para_cfg = DedupConfig(
        base.profile, base.shingle, base.minhash, LSHConfig(threshold=opts.paragraph_threshold, verify=lsh.verify)
    )
    article_cfg = DedupConfig(
        base.profile, base.shingle, base.minhash, LSHConfig(threshold=opts.article_threshold, verify=lsh.verify)
    )
    paras = _paragraphs(articles, opts, para_cfg)
    sets = _article_sets(paras, len(articles))
    candidates = _candidates(paras, sets, len(articles), article_cfg)
    inter, size_a, size_b = overlaps(sets[0], sets[1], candidates)
    by_article = defaultdict(list)
    for p in range(len(paras.text)):
        by_article[int(paras.article[p])].append(p)
    table = {**{a.outlet: ((a.outlet,), ()) for a in articles}, **KNOWN_OUTLETS}
    for outlet, name, ambiguous in opts.outlet_names:
        strong, weak = table.get(outlet, ((), ()))
        table[outlet] = (strong, (*weak, name)) if ambiguous else ((*strong, name), weak)
    names = OutletNames(table)
    pairs = []
    shared = zip(inter.tolist(), size_a.tolist(), size_b.tolist(), strict=True)
    for (i, j), counts in zip(candidates.tolist(), shared, strict=True):
        pair = _pair(articles[i], articles[j], counts, paras, by_article, names)
        if pair.containment >= opts.min_containment:
            pairs.append(pair)
    pairs.sort(key=lambda p: (p.source.published, p.source.index, p.copy.published, p.copy.index))
    return pairs, paras


# --- outputs ----------------------------------------------------------------------------------

_PAIR_COLUMNS = [
    "source_id",
    "copy_id",
    "source_outlet",
    "copy_outlet",
    "source_published",
    "copy_published",
    "lag_hours",
    "containment",
    "jaccard",
    "matched_paragraphs",
    "added_paragraphs",
    "attribution",
    "credited_outlet",
    "credit_text",
    "source_url",
    "copy_url",
]


def _pair_row(p: CopyPair) -> list:
    return [
        p.source.id,
        p.copy.id,
        p.source.outlet,
        p.copy.outlet,
        _iso(p.source.published),
        _iso(p.copy.published),
        p.lag_hours,
        p.containment,
        p.jaccard,
        len(p.matched),
        len(p.added),
        p.credit.status,
        p.credit.named,
        p.credit.text,
        p.source.url,
        p.copy.url,
    ]


def _outlet_matrix(pairs: list[CopyPair]) -> list[list]:
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for p in pairs:
        cell = counts[(p.source.outlet, p.copy.outlet)]
        cell["copies"] += 1
        cell[p.credit.status] += 1
    return [
        [s, c, v["copies"], v["credited"], v["credited_other"], v["uncredited"]] for (s, c), v in sorted(counts.items())
    ]


def _clusters(articles: list[Article], pairs: list[CopyPair]) -> list[dict]:
    if not pairs:
        return []
    edges = np.array([[p.source.index, p.copy.index] for p in pairs], dtype=np.int64)
    labels = connected_components(len(articles), edges)
    groups = defaultdict(list)
    for i in np.unique(edges).tolist():
        groups[int(labels[i])].append(articles[i])
    out = []
    for members in groups.values():
        members.sort(key=lambda a: (a.published, a.index))
        out.append(
            {
                "origin": members[0].id,
                "outlets": sorted({a.outlet for a in members}),
                "articles": [
                    {"id": a.id, "outlet": a.outlet, "published": _iso(a.published), "url": a.url, "title": a.title}
                    for a in members
                ],
            }
        )
    return sorted(out, key=lambda c: -len(c["articles"]))


def _boilerplate_rows(articles: list[Article], paras: _Paragraphs, min_pages: int) -> list[list]:
    """(outlet, pages, text) of each boilerplate paragraph on the outlets where it is boilerplate."""
    rows = {}
    for p in np.flatnonzero(paras.boilerplate).tolist():
        outlet = articles[paras.article[p]].outlet
        key = (outlet, int(paras.cluster[p]))
        pages, text = rows.get(key, (set(), paras.text[p]))
        pages.add(int(paras.article[p]))
        rows[key] = (pages, text)
    found = [[o, len(pages), text] for (o, _), (pages, text) in rows.items() if len(pages) >= min_pages]
    return sorted(found, key=lambda r: (r[0], -r[1]))


def run_audit(
    input_path: str | Path, out: str | Path, cfg: DedupConfig | None = None, opts: AuditOptions | None = None
) -> dict:
    """Audit republication among the articles at ``input_path``; write the outputs into folder ``out``."""
    cfg, opts, out = cfg or DedupConfig(), opts or AuditOptions(), Path(out)
    start = time.perf_counter()
    check_out(out, [input_path])
    articles, rejected, file_errors = load_articles(input_path, opts)
    if not articles and file_errors:
        raise RunError("no input could be read: " + "; ".join(file_errors))
    pairs, paras = match(articles, opts, cfg) if articles else ([], None)
    cross = [p for p in pairs if p.source.outlet != p.copy.outlet]
    same = [p for p in pairs if p.source.outlet == p.copy.outlet]
    tmp = prepare_out(out, [input_path])
    try:
        write_csv(tmp / "pairs.csv", _PAIR_COLUMNS, [_pair_row(p) for p in cross])
        write_csv(tmp / "same_outlet_pairs.csv", _PAIR_COLUMNS, [_pair_row(p) for p in same])
        matrix = _outlet_matrix(cross)
        write_csv(
            tmp / "outlets.csv",
            ["source_outlet", "copy_outlet", "copies", "credited", "credited_other", "uncredited"],
            matrix,
        )
        boiler = _boilerplate_rows(articles, paras, opts.boilerplate_min_pages) if paras is not None else []
        write_csv(tmp / "boilerplate.csv", ["outlet", "pages", "text"], boiler)
        write_csv(
            tmp / "rejected.csv",
            ["where", "line", "id", "kind", "reason"],
            [[r.file, r.line, r.id or "", r.kind, r.reason] for r in rejected],
        )
        clusters = _clusters(articles, cross)
        (tmp / "clusters.json").write_text(json.dumps(clusters, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        summary = {
            "tool": "dedup",
            "input": str(input_path),
            "counts": {"read": len(articles) + len(rejected), "articles": len(articles), "rejected": len(rejected)},
            "rejected_by_reason": _count(r.kind for r in rejected),
            "file_errors": file_errors,
            "pairs": len(cross),
            "same_outlet_pairs": len(same),
            "attribution": _count(p.credit.status for p in cross),
            "clusters": len(clusters),
            "boilerplate_paragraphs": len(boiler),
            "settings": {**cfg.describe(), "audit": {k: v for k, v in vars(opts).items() if k != "fields"}},
            "seconds": round(time.perf_counter() - start, 3),
        }
        (tmp / "report.html").write_text(
            render_report(summary, cross, matrix, boiler, opts.max_pairs_in_report), encoding="utf-8"
        )
        (tmp / "manifest.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        publish(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary


def _count(values: Iterator[str]) -> dict[str, int]:
    return dict(sorted(Counter(values).items()))

"""Reading the audit's input: articles with outlet, URL, date, title and byline; rows that cannot be
used are rejected with a reason; pages of one outlet whose URLs differ only in query string or
fragment are one page crawled twice.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from dedup.audit.model import Article, AuditOptions
from dedup.dates import parse_date
from dedup.records import FileError, Record, Rejected, read_records
from dedup.sources import file_labels, input_files
from dedup.textio import InputError, RunError, read_text

__all__ = ["Loaded", "crawl_duplicates", "load_articles", "read_outlet_names"]


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
            page = (folder / (row.get("file") or "")).resolve()
            if folder.resolve() not in page.parents:  # "../secret.txt" or "/etc/passwd": not a page of this folder
                yield Rejected(0, line, doc_id, "outside_folder", f"{row.get('file')!r} is not a file inside {folder}")
                continue
            try:
                text = read_text(str(page), opts.encoding, "--encoding")
            except InputError as err:
                yield Rejected(0, line, doc_id, "unreadable_page", err.reason)
                continue
            if doc_id in seen:
                yield Rejected(0, line, doc_id, "duplicate_id", f"duplicate id {doc_id!r}")
                continue
            seen.add(doc_id)
            extra = {k: row.get(k) for k in (opts.outlet_field, opts.url_field, opts.title_field, opts.byline_field)}
            date = parse_date(row.get(opts.fields.date), opts.fields.date_formats, opts.fields.timezone)
            yield Record(0, line, doc_id, text, date, extra)


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


@dataclass(frozen=True)
class Loaded:
    """What the input held: usable articles, rejected rows (missing outlet, bad date, ...), unreadable
    files, and how each file is named (``Rejected.file`` indexes ``files``)."""

    articles: list[Article]
    rejected: list[Rejected]
    file_errors: list[str]
    files: list[str]


def load_articles(path: str | Path, opts: AuditOptions) -> Loaded:
    """The articles at ``path`` (an input of :func:`dedup.sources.input_files`, or a folder of pages)."""
    path = Path(path)
    fields = replace(
        opts.fields, extra=(opts.outlet_field, opts.url_field, opts.title_field, opts.byline_field, opts.fields.date)
    )
    if path.is_dir() and (path / "metadata.csv").exists():
        items, names = _txt_folder(path, opts), ["metadata.csv"]
    else:
        try:
            files = input_files(path)
        except FileError as err:
            raise RunError(str(err)) from None
        items, names = read_records(files, fields), file_labels(files)
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
                    _plain(item.extra.get(opts.byline_field)),
                )
            )
    return Loaded(articles, rejected, errors, names)


def _plain(value: object) -> str:
    """A metadata value as one line of text (a list of authors joined by commas)."""
    if isinstance(value, list):
        return "، ".join(_plain(v) for v in value)
    return " ".join(str(value).split()) if value is not None else ""


def _page_key(url: str) -> str:
    """``url`` without its query string and fragment: ``?live`` and ``?weekly`` are one page."""
    url = url.strip()
    scheme, sep, rest = url.partition("://")
    if not sep or not scheme or not rest or rest[0] in "/?#":  # no host: not a URL to cut
        return url
    return f"{scheme}://{rest.split('#', 1)[0].split('?', 1)[0]}".rstrip("/")


def crawl_duplicates(articles: list[Article]) -> tuple[list[Article], list[tuple[Article, Article]]]:
    """The articles with every crawl duplicate left out (renumbered), and (duplicate, first crawl) pairs:
    pages of one outlet with one title whose URLs differ only in query string or fragment (a query
    that names the article, as ``details.php?id=``, comes with a title of its own)."""
    first: dict[tuple[str, str, str], Article] = {}
    kept: list[Article] = []
    dropped: list[tuple[Article, Article]] = []
    for article in articles:
        key = (article.outlet, _page_key(article.url), " ".join(article.title.split()))
        if article.url.strip() and key in first:
            dropped.append((article, first[key]))
            continue
        first.setdefault(key, article)
        kept.append(replace(article, index=len(kept)))
    return kept, dropped

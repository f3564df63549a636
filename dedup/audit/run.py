"""``dedup audit``: a short run of named, timed stages, and the files it writes."""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from tqdm import tqdm

from dedup.audit.attribution import found_in
from dedup.audit.load import Loaded, crawl_duplicates, load_articles
from dedup.audit.match import Matcher
from dedup.audit.model import Article, AuditOptions, Pair, Span
from dedup.audit.names import AGENCIES, Names
from dedup.audit.origin import clusters, iso, pairs_of
from dedup.audit.report import pages_of, render_page, render_report
from dedup.config import DedupConfig
from dedup.jit import interpreted
from dedup.manifest import Manifest
from dedup.normalize import get_profile
from dedup.parallel import in_forks
from dedup.textio import RunError, check_out, discard, for_spreadsheet, prepare_out, publish, write_csv

__all__ = ["PAIR_COLUMNS", "run_audit"]

PAIR_COLUMNS = [
    "source_id",
    "copy_id",
    "source_outlet",
    "copy_outlet",
    "source_published",
    "copy_published",
    "lag_hours",
    "direction",
    "relation",
    "common_source",
    "common_source_evidence",
    "extent",
    "containment",
    "copy_share",
    "jaccard",
    "matched_paragraphs",
    "added_paragraphs",
    "attribution",
    "credited_outlet",
    "credit_where",
    "credit_text",
    "source_spans",
    "copy_spans",
    "source_url",
    "copy_url",
]
_INTERPRETED_CHARS = 150_000  # characters of text: about a second interpreted (the README audit, 90k: 0.6 s)
_STAGES = ("read", "words and boilerplate", "candidates and spans", "credits", "origin", "write")


def _spans(spans: list[Span]) -> str:
    return ";".join(f"{a}-{b}" for a, b in spans)


def _pair_row(p: Pair) -> list:
    return [
        p.source.id,
        p.copy.id,
        p.source.outlet,
        p.copy.outlet,
        iso(p.source.published),
        iso(p.copy.published),
        p.lag_hours,
        p.direction,
        p.relation,
        p.common_source,
        p.evidence,
        p.extent,
        p.containment,
        p.copy_share,
        p.jaccard,
        p.matched_paragraphs,
        p.added_paragraphs,
        p.credit.status,
        p.credit.named,
        p.credit.where,
        for_spreadsheet(p.credit.text),
        _spans(p.source_spans),
        _spans(p.copy_spans),
        p.source.url,
        p.copy.url,
    ]


def _outlet_matrix(pairs: list[Pair]) -> list[list]:
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for p in pairs:
        cell = counts[(p.source.outlet, p.copy.outlet)]
        cell["pairs"] += 1
        cell[p.credit.status] += 1
        cell[p.relation] += 1
    return [
        [s, c, v["pairs"], v["copy"], v["shared_source"], v["credited"], v["credited_other"], v["uncredited"]]
        for (s, c), v in sorted(counts.items())
    ]


class _Stages:
    """Times each named stage and shows them as one progress bar on a terminal."""

    def __init__(self, progress: bool) -> None:
        self.seconds: dict[str, float] = {}
        self.bar = tqdm(total=len(_STAGES), desc="audit", unit=" stages", disable=not progress)

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        self.bar.set_description(f"audit: {name}")
        start = time.perf_counter()
        yield
        self.seconds[name] = round(time.perf_counter() - start, 3)
        self.bar.update()

    def close(self) -> None:
        self.bar.close()


@dataclass
class _Result:
    """What the stages found, for the writers."""

    loaded: Loaded
    crawled: list[tuple[Article, Article]]
    matcher: Matcher
    cross: list[Pair]
    same: list[Pair]
    groups: list[dict]


def run_audit(
    input_path: str | Path,
    out: str | Path,
    cfg: DedupConfig | None = None,
    opts: AuditOptions | None = None,
    progress: bool = False,
) -> dict:
    """Audit republication among the articles at ``input_path``; write the outputs into folder ``out``.

    From ``cfg`` the audit takes the normalization profile and the word n-gram size.
    """
    cfg, opts, out = cfg or DedupConfig(), opts or AuditOptions(), Path(out)
    start = time.perf_counter()
    check_out(out, [input_path])
    stage = _Stages(progress)
    try:
        with stage("read"):
            loaded = load_articles(input_path, opts)
            if not loaded.articles and loaded.file_errors:
                raise RunError("no input could be read: " + "; ".join(loaded.file_errors))
            articles, crawled = crawl_duplicates(loaded.articles)
        # A small job runs the kernels' own Python bodies: faster than loading numba and compiling them.
        with interpreted(sum(len(a.text) for a in articles) <= _INTERPRETED_CHARS):
            with stage("words and boilerplate"):
                matcher = Matcher(articles, opts, get_profile(cfg.profile), cfg.shingle.n)
            with stage("candidates and spans"):
                links = matcher.links()
            with stage("credits"):
                names = Names.build(((a.outlet, a.url) for a in articles), opts.outlet_names)
                linked = {i for link in links for i in (link.a, link.b)}
                may_name = matcher.positions_of(names.first_words())
                ids = sorted(linked)
                found = in_forks(lambda i: found_in(articles[i], names, may_name(i)), ids)
                credits = defaultdict(list, zip(ids, found, strict=True))
            with stage("origin"):
                pairs = pairs_of(links, matcher, credits, names, opts)
                cross = [p for p in pairs if p.cross_outlet]
                same = [p for p in pairs if not p.cross_outlet]
                groups = clusters(cross, len(articles), names)
        result = _Result(loaded, crawled, matcher, cross, same, groups)
        tmp = prepare_out(out, [input_path])
        try:
            with stage("write"):
                manifest = _write(tmp, input_path, cfg, opts, result)
            manifest = replace(manifest, timings_s={**stage.seconds, "total": time.perf_counter() - start})
            (tmp / "manifest.json").write_text(manifest.json(), encoding="utf-8")
            publish(tmp, out)
        except BaseException:
            discard(tmp, out)
            raise
    finally:
        stage.close()
    return manifest.to_dict()


def _write(tmp: Path, input_path: str | Path, cfg: DedupConfig, opts: AuditOptions, run: _Result) -> Manifest:
    """Every output file but the manifest into folder ``tmp``; the manifest."""
    cross, same, matcher = run.cross, run.same, run.matcher
    write_csv(tmp / "pairs.csv", PAIR_COLUMNS, [_pair_row(p) for p in cross])
    write_csv(tmp / "same_outlet_pairs.csv", PAIR_COLUMNS, [_pair_row(p) for p in same])
    matrix = _outlet_matrix(cross)
    matrix_columns = ["source_outlet", "copy_outlet", "pairs", "copy", "shared_source"]
    write_csv(tmp / "outlets.csv", [*matrix_columns, "credited", "credited_other", "uncredited"], matrix)
    write_csv(tmp / "boilerplate.csv", ["outlet", "pages", "text"], matcher.boilerplate_rows)
    write_csv(
        tmp / "crawl_duplicates.csv",
        ["id", "first_id", "outlet", "url", "first_url"],
        [[d.id, f.id, d.outlet, d.url, f.url] for d, f in run.crawled],
    )
    write_csv(
        tmp / "rejected.csv",
        ["where", "line", "id", "kind", "reason"],
        [
            [for_spreadsheet(str(x)) for x in (run.loaded.files[r.file], r.line, r.id or "", r.kind, r.reason)]
            for r in run.loaded.rejected
        ],
    )
    clusters = ",\n".join(json.dumps(g, ensure_ascii=False) for g in run.groups)  # a cluster a line
    (tmp / "clusters.json").write_text(f"[\n{clusters}\n]\n", encoding="utf-8")
    manifest = Manifest(
        inputs=[str(input_path)],
        counts={
            "read": len(run.loaded.articles) + len(run.loaded.rejected),
            "articles": len(run.loaded.articles),
            "rejected": len(run.loaded.rejected),
            "crawl_duplicates": len(run.crawled),
        },
        rejected_by_reason=_count(r.kind for r in run.loaded.rejected),
        file_errors=run.loaded.file_errors,
        settings={
            "profile": cfg.profile,
            "ngram": cfg.shingle.n,
            "audit": {k: v for k, v in vars(opts).items() if k != "fields"},
        },
        findings={
            "pairs": len(cross),
            "same_outlet_pairs": len(same),
            "attribution": _count(p.credit.status for p in cross),
            "relation": _count(p.relation for p in cross),
            "direction": _count(p.direction for p in cross),
            "extent": _count(p.extent for p in cross),
            "clusters": len(run.groups),
            "boilerplate_paragraphs": len(matcher.boilerplate_rows),
            "agencies": sorted(AGENCIES),
            "rules": "an agency's own item is the origin of its wire text, even when crawled later; "
            "dates are crawl or publication times as given, equal dates leave the direction undetermined",
        },
    )
    shown = _by_cluster(cross, run.groups)
    (tmp / "report.html").write_text(
        render_report(manifest.to_dict(), shown, matrix, matcher.boilerplate_rows, run.groups), encoding="utf-8"
    )
    (tmp / "pairs").mkdir()

    def write_page(page: int) -> None:
        name, html = render_page(shown, page)
        (tmp / name).write_text(html, encoding="utf-8")

    in_forks(write_page, range(pages_of(shown)), least=20)
    return manifest


def _by_cluster(pairs: list[Pair], groups: list[dict]) -> list[Pair]:
    """The pairs in the report's order: cluster by cluster (largest first), pairs from the origin first."""
    rank = {a["id"]: (k, a["id"] != g["origin"]) for k, g in enumerate(groups) for a in g["articles"]}
    return sorted(
        pairs, key=lambda p: (*rank.get(p.source.id, (len(groups), True)), p.source.published, p.copy.published)
    )


def _count(values: Iterable[str]) -> dict[str, int]:
    return dict(sorted(Counter(values).items()))

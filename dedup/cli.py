"""The ``dedup`` command line: one subcommand per front end, each importing only what it runs."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeVar

from dedup.errors import ConfigError, DedupError
from dedup.jit import skip_blas_probe

if TYPE_CHECKING:
    from dedup.config import DedupConfig
    from dedup.corpus import CorpusOptions
    from dedup.records import FieldNames, FileError, Record, Rejected

__all__ = ["main"]


# Matching flags: destination -> (settings section, field). Unset flags keep the base settings.
_FLAGS = {
    "profile": ("", "profile"),
    "shingle": ("shingle", "kind"),
    "ngram": ("shingle", "n"),
    "hash": ("shingle", "hash"),
    "num_perm": ("minhash", "num_perm"),
    "seed": ("minhash", "seed"),
    "scheme": ("minhash", "scheme"),
    "threshold": ("lsh", "threshold"),
    "verify": ("lsh", "verify"),
    "bands": ("lsh", "bands"),
    "rows": ("lsh", "rows"),
}


_T = TypeVar("_T")


def _checked(args: argparse.Namespace, make: Callable[[], _T]) -> _T:
    """The settings ``make`` builds; a bad one is a usage error of the command, before anything runs."""
    try:
        return make()
    except ConfigError as err:
        args.command_parser.error(str(err))


def _profile(text: str) -> str:
    """The name of the profile ``text`` names (``search`` or ``search@1``); an unknown one is a usage error."""
    from dedup.normalize import get_profile  # the tables load only when a profile is named

    try:
        return get_profile(text).name
    except ConfigError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _add_profile_arg(group: argparse._ActionsContainer) -> None:
    group.add_argument(
        "--profile",
        type=_profile,
        metavar="NAME",
        help="normalization profile, by name or by its tag as `dedup normalize --list-profiles` prints them "
        "(default search)",
    )


def _add_pipeline_args(parser: argparse.ArgumentParser, heading: str = "matching") -> None:
    group = parser.add_argument_group(heading)
    group.add_argument("--threshold", type=float, help="similarity threshold (default 0.8)")
    group.add_argument(
        "--verify",
        choices=("exact", "estimate", "containment"),
        help="exact Jaccard of shingle sets (default), the MinHash estimate, or containment "
        "(partial and wrapped copies; try --ngram 3 --threshold 0.4)",
    )
    _add_profile_arg(group)
    group.add_argument("--shingle", choices=("word", "char"), help="word (default) or character n-grams")
    group.add_argument("--ngram", type=int, help="shingle size n (default 5)")
    group.add_argument("--hash", choices=("fast", "sha1"), help="shingle hash (default fast; sha1: datasketch's)")
    group.add_argument("--num-perm", type=int, help="MinHash permutations (default 128)")
    group.add_argument("--scheme", choices=("affine32", "legacy"), help="datasketch scheme (default affine32)")
    group.add_argument("--seed", type=int, help="MinHash seed (default 1, as datasketch)")
    group.add_argument("--bands", type=int, help="LSH bands (with --rows; default: optimal for the threshold)")
    group.add_argument("--rows", type=int, help="LSH rows per band")


def _config(args: argparse.Namespace, base: DedupConfig | None = None) -> DedupConfig:
    """``base`` (default settings if None) with the matching flags given on the command line."""
    from dedup.config import DedupConfig

    base = base or DedupConfig()
    changes: dict[str, dict] = {"": {}, "shingle": {}, "minhash": {}, "lsh": {}}
    for dest, (section, name) in _FLAGS.items():
        if getattr(args, dest, None) is not None:  # a command may offer only some of them (audit)
            changes[section][name] = getattr(args, dest)
    if {"bands", "rows", "threshold", "verify"} & set(changes["lsh"]):
        changes["lsh"].setdefault("bands", None)
        changes["lsh"].setdefault("rows", None)
    return replace(
        base,
        **changes[""],
        **{section: replace(getattr(base, section), **fields) for section, fields in changes.items() if section},
    )


def _clean_target(out: str, name: str, several: bool) -> Path:
    target = Path(out)
    if several or target.is_dir() or out.endswith("/"):
        return target / (Path(name).name if name != "-" else "stdin.txt")
    return target


def _clean_clash(target: Path, name: str, inputs: Sequence[str], written: dict[Path, str]) -> str | None:
    """Why the clean copy of input ``name`` must not go to ``target``: it is an input, or this run wrote the
    clean copy of another input there (two inputs of one name)."""
    where = target.resolve()
    if any(given != "-" and Path(given).resolve() == where for given in inputs):
        return f"refusing to write its clean copy over an input ({target})"
    if where in written:
        return f"its clean copy would replace that of {written[where]} ({target}); give the inputs distinct names"
    written[where] = name
    return None


def _texts(names: Sequence[str], encoding: str, failed: list[str]) -> Iterator[tuple[str, str]]:
    """Each readable input with its text; each unreadable one gets its one-line reason and joins ``failed``."""
    from dedup.textio import InputError, read_text

    for name in names:
        try:
            yield name, read_text(name, encoding, "--encoding")
        except InputError as err:
            print(f"dedup: {err}", file=sys.stderr)
            failed.append(name)


def _cmd_paragraphs(args: argparse.Namespace) -> int:
    from dedup.paragraphs import find_repeats
    from dedup.pipeline import Pipeline
    from dedup.textio import atomic_write_text

    pipeline = _checked(args, lambda: Pipeline(_config(args)))
    failed: list[str] = []
    written: dict[Path, str] = {}
    texts = _texts(args.files, args.encoding, failed)
    if len(args.files) > 1 and sys.stderr.isatty():  # a progress bar on standard error; reports go to stdout
        from tqdm import tqdm

        texts = tqdm(texts, total=len(args.files), unit=" files")
    for name, text in texts:
        target = _clean_target(args.write_clean, name, len(args.files) > 1) if args.write_clean else None
        clash = _clean_clash(target, name, args.files, written) if target else None
        if clash:
            print(f"dedup: {name}: {clash}", file=sys.stderr)
            failed.append(name)
            continue
        report = find_repeats(text, pipeline, args.split)
        if args.json:
            print(json.dumps(report.to_dict(name), ensure_ascii=False))
        else:
            print(f"{name}: {len(report.paragraphs):,} paragraphs, {len(report.repeats):,} repeated")
            for r in report.repeats:
                print(f"  line {r.line} repeats line {r.first_line} (similarity {r.similarity:.2f})")
        if target:
            atomic_write_text(target, report.clean(text))
    return 1 if failed else 0


def _cmd_normalize(args: argparse.Namespace) -> int:
    from dedup.normalize import DEFAULT_PROFILE, PROFILES, STEPS, get_profile

    if args.list_profiles:
        for profile in PROFILES.values():
            default = " (default)" if profile.name == DEFAULT_PROFILE else ""
            print(f"{profile.tag}{default}: {profile.description}")
            for step in profile.steps:
                print(f"  {step:<20} {STEPS[step].description}")
        return 0
    if not args.files:
        print("dedup normalize: give FILE (or - for standard input), or --list-profiles", file=sys.stderr)
        return 2
    profile = get_profile(args.profile or DEFAULT_PROFILE)
    failed: list[str] = []
    for _, text in _texts(args.files, args.encoding, failed):
        sys.stdout.write("\n".join(profile.normalize(line) for line in text.split("\n")))  # line for line
    return 1 if failed else 0


def _cmd_corpus(args: argparse.Namespace) -> int:
    from dedup.corpus import CorpusOptions, run_corpus
    from dedup.paragraph_rule import ParagraphRule

    opts = _checked(
        args,
        lambda: CorpusOptions(
            keep=args.keep,
            level=args.level,
            workers=args.workers if args.workers is not None else os.cpu_count() or 1,
            batch_size=args.batch_size,
            max_chars=args.max_chars,
            fields=_fields(args),
            outlet_field=args.outlet_field,
            paragraphs=ParagraphRule(args.boilerplate_pages, args.max_contained, args.min_words, args.min_share),
            progress=sys.stderr.isatty(),
        ),
    )
    cfg = _checked(args, lambda: _config(args))

    def headline(manifest: dict) -> str:
        counts = dict(manifest["counts"])
        if args.level == "paragraph" and "paragraphs_removed" in manifest:
            counts["paragraphs removed"] = manifest["paragraphs_removed"]
        if args.keep == "earliest" and "undated" in manifest:  # kept after the dated copies of their clusters
            counts["undated"] = manifest["undated"]
        listed = ", ".join(f"{name} {count:,}" for name, count in counts.items())
        return f"{args.input}: {listed} in {manifest['timings_s']['total']:.1f} s -> {args.out}"

    if args.engine == "spark":
        return _summarize(lambda: _spark_corpus(args, cfg, opts), headline)
    return _summarize(lambda: run_corpus(args.input, args.out, cfg, opts), headline)


def _spark_corpus(args: argparse.Namespace, cfg: DedupConfig, opts: CorpusOptions) -> dict:
    from dedup.textio import RunError

    if args.input == "-" or args.input.rstrip("/").lower().endswith(".zip"):
        raise RunError(f"{args.input}: the Spark engine reads JSON Lines or Parquet; use --engine local for this")
    try:
        from dedup.spark import run_corpus_spark
    except ImportError:
        raise RunError("the Spark engine needs PySpark: pip install 'arabic-dedup[spark]'") from None
    conf = dict(item.split("=", 1) for item in args.spark_conf)
    jvm_log = None if args.verbose else Path(tempfile.gettempdir()) / "dedup-spark.log"
    return run_corpus_spark(args.input, args.out, cfg, opts, args.spark_master, conf, jvm_log)


def _spark_setting(text: str) -> str:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    return text


def _warn_unread(names: list[str]) -> None:
    """One line naming what an input folder holds but is not read, instead of skipping it without a word."""
    if names:
        listed = ", ".join(names[:5]) + (f" and {len(names) - 5:,} more" if len(names) > 5 else "")
        print(f"dedup: not read (not .jsonl, .jsonl.gz or .parquet, or not a file): {listed}", file=sys.stderr)


def _summarize(run: Callable[[], dict], headline: Callable[[dict], str]) -> int:
    """Run a front end; print its headline, its rejections by kind and its unreadable files; the exit status."""
    from dedup.textio import RunError

    try:
        manifest = run()
    except RunError as err:
        print(f"dedup: {err}", file=sys.stderr)
        return 1
    print(headline(manifest))
    for kind, count in manifest["rejected_by_reason"].items():
        print(f"  rejected {count:,}: {kind} (reasons in rejected.csv)")
    for error in manifest["file_errors"]:
        print(f"dedup: {error}", file=sys.stderr)
    _warn_unread(manifest.get("unread_files", []))
    counts = manifest["counts"]
    if counts["read"] and counts["rejected"] == counts["read"]:
        print("dedup: every row was rejected: check --id-field and --text-field against rejected.csv", file=sys.stderr)
        return 1
    return 1 if manifest["file_errors"] else 0


def _cmd_audit(args: argparse.Namespace) -> int:
    from dedup.audit import AuditOptions, read_outlet_names, run_audit

    cfg = _checked(args, lambda: _config(args))
    checked = _checked(
        args,
        lambda: AuditOptions(
            min_containment=args.min_containment,
            min_passage_words=args.min_passage_words,
            boilerplate_min_pages=args.boilerplate_pages,
            template_days=args.template_days,
            max_df=args.max_df,
            min_lag_hours=args.min_lag_hours,
            outlet_field=args.outlet_field,
            url_field=args.url_field,
            title_field=args.title_field,
            byline_field=args.byline_field,
            encoding=args.encoding,
            fields=_fields(args),
        ),
    )

    def run() -> dict:
        names = read_outlet_names(args.outlet_names) if args.outlet_names else ()
        opts = replace(checked, outlet_names=names)
        return run_audit(args.input, args.out, cfg, opts, progress=sys.stderr.isatty())

    def headline(summary: dict) -> str:
        counts, credit, relation = summary["counts"], summary["attribution"], summary["relation"]
        return (
            f"{args.input}: {counts['articles']:,} articles ({counts['rejected']:,} rejected of {counts['read']:,}); "
            f"{summary['pairs']:,} pairs across outlets: {relation.get('copy', 0):,} copies, "
            f"{relation.get('shared_source', 0):,} shared source; {credit.get('credited', 0):,} credited, "
            f"{credit.get('credited_other', 0):,} credit another outlet, {credit.get('uncredited', 0):,} uncredited; "
            f"{summary['same_outlet_pairs']:,} same-outlet reposts; {summary['boilerplate_paragraphs']:,} boilerplate "
            f"paragraphs -> {args.out}/report.html"
        )

    return _summarize(run, headline)


def _report(item: Rejected | FileError) -> None:
    from dedup.records import Rejected

    reason = f"rejected line {item.line}: {item.reason}" if isinstance(item, Rejected) else str(item)
    print(f"dedup: {reason}", file=sys.stderr)


def _fields(args: argparse.Namespace) -> FieldNames:
    """The input fields the command line names, and how its dates are written (``index`` reads none)."""
    from dedup.records import FieldNames

    return FieldNames(
        id=args.id_field,
        text=args.text_field,
        date=getattr(args, "date_field", FieldNames.date),
        date_formats=tuple(getattr(args, "date_format", None) or ()),
        timezone=getattr(args, "timezone", timezone.utc),
    )


def _corpus_records(args: argparse.Namespace) -> Iterator[list[Record]]:
    """Batches of usable records of ``args.input``; rejected rows and unreadable files are reported on stderr."""
    from dedup.records import batched, read_records
    from dedup.sources import input_files, unread_files

    fields = _fields(args)
    files = input_files(args.input)
    _warn_unread(unread_files(args.input))
    return batched(read_records(files, fields, args.max_chars), args.batch_size, _report)


def _cmd_index(args: argparse.Namespace) -> int:
    from dedup.index import IndexFileError, SignatureIndex, stored_config
    from dedup.records import FileError

    try:
        cfg = _checked(args, lambda: _config(args, stored_config(args.db)))
        index = SignatureIndex(args.db, cfg, create=args.action == "add")
        added = matched = 0
        for batch in _corpus_records(args):
            ids, texts = [r.id for r in batch], [r.text for r in batch]
            if args.action == "add":
                present = index.add(ids, texts)
                added += len(ids) - len(present)
                for doc_id in present:
                    print(f"dedup: {doc_id}: already in the index, not added", file=sys.stderr)
                continue
            for doc_id, matches in zip(ids, index.query(texts), strict=True):
                if matches or args.all:
                    matched += bool(matches)
                    found = [{"id": m.id, "similarity": round(m.similarity, 4)} for m in matches]
                    print(json.dumps({"id": doc_id, "matches": found}, ensure_ascii=False))
    except (IndexFileError, FileError) as err:
        print(f"dedup: {err}", file=sys.stderr)
        return 1
    summary = f"added {added:,}" if args.action == "add" else f"{matched:,} documents match earlier ones"
    print(f"{args.db}: {summary}; {len(index):,} documents indexed", file=sys.stderr)
    index.close()
    return 0


_INPUT_HELP = (
    "a .jsonl, .jsonl.gz, .json (an array of objects, or JSON Lines), .parquet or .zip file (of JSON files), "
    "a folder of them, or - (standard input)"
)


def _add_boilerplate_args(parser: argparse.ArgumentParser) -> None:
    """Boilerplate as the audit and the corpus's paragraph level count it: lines on pages of one outlet."""
    parser.add_argument(
        "--boilerplate-pages",
        type=int,
        default=3,
        help="a paragraph on this many pages of one outlet is its boilerplate (default 3)",
    )
    parser.add_argument("--outlet-field", default="outlet", help="the outlet (site) of each article")


def _add_input_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--batch-size", type=int, default=2000, help="documents per signing batch")
    parser.add_argument("--max-chars", type=int, default=10_000_000, help="reject longer documents")
    parser.add_argument("--id-field", default="id")
    parser.add_argument("--text-field", default="text")


def _timezone(text: str) -> tzinfo:
    from dedup.dates import parse_timezone

    try:
        return parse_timezone(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _date_format(pattern: str) -> str:
    """``pattern`` once it reads back a date it wrote: a bad directive (``%Q``) is a usage error, not every
    date of the run silently unparsable."""
    try:
        datetime.strptime(datetime(2015, 7, 21, 10, 30).strftime(pattern), pattern)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{pattern!r} is not a strptime pattern: {err}") from None
    return pattern


def _add_date_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--date-format",
        action="append",
        type=_date_format,
        metavar="PATTERN",
        help="a strptime pattern for dates that are not ISO 8601, e.g. '%%d/%%m/%%Y %%H:%%M' (repeatable)",
    )
    parser.add_argument(
        "--timezone",
        type=_timezone,
        default=timezone.utc,
        help="the zone of dates that name none: +03:00 or Asia/Riyadh (default UTC)",
    )


def _add_run_args(parser: argparse.ArgumentParser, input_help: str) -> None:
    parser.add_argument("input", help=input_help)
    parser.add_argument("--out", required=True, help="output folder (replaced atomically at the end)")


class _Version(argparse.Action):
    """``--version``: the installed package's version, or the source tree's when it is not installed; read only
    when asked for (``importlib.metadata`` is slow to import)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> NoReturn:
        from importlib import metadata

        try:
            version = metadata.version("arabic-dedup")
        except metadata.PackageNotFoundError:
            from dedup import __version__ as version
        print(f"{parser.prog} {version}")
        parser.exit()


class _Subcommand(argparse.ArgumentParser):
    """A subcommand's parser: an unknown argument is reported with this subcommand's usage, not the top one's."""

    def parse_known_args(
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, []


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="dedup", description="Near-duplicate detection for Arabic text.")
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Subcommand)

    para = sub.add_parser("paragraphs", help="find repeated paragraphs inside each document")
    para.add_argument("files", nargs="+", metavar="FILE", help="text files; - reads standard input")
    para.add_argument("--json", action="store_true", help="one JSON object per file")
    para.add_argument(
        "--split",
        choices=("line", "blank"),
        default="line",
        help="a paragraph is a line (default) or a block between blank lines",
    )
    para.add_argument(
        "--write-clean", metavar="OUT", help="write each document without its repeats (a folder when several files)"
    )
    para.add_argument("--encoding", default="utf-8", help="input encoding (default utf-8; e.g. cp1256)")
    _add_pipeline_args(para)
    para.set_defaults(func=_cmd_paragraphs, command_parser=para)

    corpus = sub.add_parser("corpus", help="deduplicate a JSONL/Parquet corpus, keeping one document per cluster")
    _add_run_args(corpus, _INPUT_HELP)
    corpus.add_argument(
        "--keep",
        choices=("first", "earliest", "longest"),
        default="first",
        help="which document of a cluster to keep (default: first seen)",
    )
    corpus.add_argument(
        "--level",
        choices=("document", "paragraph"),
        default="document",
        help="paragraph: also remove boilerplate lines and drop documents contained in kept ones",
    )
    _add_boilerplate_args(corpus)
    corpus.add_argument(
        "--max-contained",
        type=float,
        default=0.8,
        help="with --level paragraph: drop a document this much contained in one kept earlier (default 0.8)",
    )
    corpus.add_argument(
        "--min-words",
        type=int,
        default=30,
        help="with --level paragraph: a document boilerplate removal leaves shorter is not kept (default 30)",
    )
    corpus.add_argument(
        "--min-share",
        type=float,
        default=0.5,
        help="with --level paragraph: ... nor one left with less of its words (default 0.5)",
    )
    corpus.add_argument("--workers", type=int, help="processes for signing (default: all cores)")
    corpus.add_argument(
        "--engine",
        choices=("local", "spark"),
        default="local",
        help="local (default) or spark (pip install '.[spark]'; Java 17)",
    )
    corpus.add_argument("--spark-master", default="local[2]", help="Spark master URL (default local[2])")
    corpus.add_argument(
        "--spark-conf",
        type=_spark_setting,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a Spark setting, e.g. spark.executor.memory=8g (repeatable)",
    )
    corpus.add_argument(
        "--verbose",
        action="store_true",
        help="show Spark's own messages (its JVM's start-up notices and log4j lines) on standard error; "
        "without it they go to dedup-spark.log in the temporary folder",
    )
    _add_input_args(corpus)
    corpus.add_argument("--date-field", default="published", help="date used by --keep earliest (see --date-format)")
    _add_date_args(corpus)
    _add_pipeline_args(corpus)
    corpus.set_defaults(func=_cmd_corpus, command_parser=corpus)

    audit = sub.add_parser("audit", help="find republished copies across outlets: who copied whom, how much, credit")
    _add_run_args(audit, "articles (see corpus INPUT), or a folder of .txt pages with metadata.csv")
    audit.add_argument(
        "--min-containment",
        type=float,
        default=0.5,
        help="share of the source found in the copy, or of the copy taken from the source (default 0.5)",
    )
    audit.add_argument(
        "--min-passage-words",
        type=int,
        default=30,
        help="a shared passage this long links two articles whatever their shares (default 30)",
    )
    _add_boilerplate_args(audit)
    audit.add_argument(
        "--template-days",
        type=int,
        default=6,
        help="an n-gram seen on this many days is a template or formula, not evidence (default 6)",
    )
    audit.add_argument("--max-df", type=int, default=100, help="an n-gram in more articles is common (default 100)")
    audit.add_argument(
        "--min-lag-hours",
        type=float,
        default=0.0,
        help="dates closer than this leave the direction undetermined (default 0: equal dates only)",
    )
    audit.add_argument(
        "--outlet-names",
        metavar="CSV",
        help="outlet,name,ambiguous rows: how outlets are named in credits, beyond the built-in table",
    )
    audit.add_argument("--url-field", default="url")
    audit.add_argument("--title-field", default="title")
    audit.add_argument("--byline-field", default="author", help="the byline, where credits are looked for too")
    audit.add_argument(
        "--encoding", default="utf-8", help="encoding of a folder's .txt pages (default utf-8; e.g. cp1256)"
    )
    audit.add_argument("--id-field", default="id")
    audit.add_argument("--text-field", default="text")
    audit.add_argument("--date-field", default="published", help="publication date (required; see --date-format)")
    _add_date_args(audit)
    text_model = audit.add_argument_group("text model")
    _add_profile_arg(text_model)
    text_model.add_argument("--ngram", type=int, help="word n-gram size (default 5)")
    audit.set_defaults(func=_cmd_audit, command_parser=audit)

    index = sub.add_parser("index", help="a persistent SQLite index: add documents, query new ones against it")
    actions = index.add_subparsers(dest="action", required=True)
    for action, text in (
        ("add", "add the documents of INPUT to DB (created if missing)"),
        ("query", "print, as JSON lines, the indexed documents each document of INPUT matches"),
    ):
        cmd = actions.add_parser(action, help=text)
        cmd.add_argument("db", help="index file (SQLite)")
        cmd.add_argument("input", help=_INPUT_HELP)
        if action == "query":
            cmd.add_argument("--all", action="store_true", help="also print documents without matches")
        _add_input_args(cmd)
        _add_pipeline_args(cmd, "matching (a new index's settings; must agree with an existing index's)")
        cmd.set_defaults(func=_cmd_index, command_parser=cmd)

    norm = sub.add_parser("normalize", help="print normalized text, line by line, or list the profiles")
    norm.add_argument("files", nargs="*", metavar="FILE", help="text files; - reads standard input")
    _add_profile_arg(norm)
    norm.add_argument("--list-profiles", action="store_true", help="list profiles and their steps")
    norm.add_argument("--encoding", default="utf-8", help="input encoding (default utf-8)")
    norm.set_defaults(func=_cmd_normalize, command_parser=norm)
    return parser


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised as Ctrl-C is, so that a run stops its workers and removes its partial output."""


def _terminate(signum: int, frame: object) -> None:
    raise _Terminated


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (1 when any input failed, 2 for usage errors, 128 + the
    signal when stopped by SIGINT or SIGTERM)."""
    args = build_parser().parse_args(argv)
    skip_blas_probe()
    before = signal.signal(signal.SIGTERM, _terminate)
    try:
        status = args.func(args)
        sys.stdout.flush()  # a full device fails here, where it is reported, not while exiting
        return status
    except DedupError as err:  # found during the run: not a usage error, whatever its kind
        print(f"dedup: {err}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 1
    except OSError as err:  # a full disk, a read-only folder, standard output on a full device
        where = err.filename or getattr(args, "out", None) or "cannot write"
        print(f"dedup: {where}: {err.strerror or err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as stop:
        signum = signal.SIGTERM if isinstance(stop, _Terminated) else signal.SIGINT
        print(f"dedup: stopped by {signum.name}; unfinished output removed", file=sys.stderr)
        return 128 + signum
    finally:
        signal.signal(signal.SIGTERM, before)


if __name__ == "__main__":
    sys.exit(main())

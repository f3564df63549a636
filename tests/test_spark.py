"""The Spark engine against the local engine, in local[2] mode (needs Java 17 and '.[spark]')."""

import csv
import gzip
import json
import os
import random
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("pyspark", reason="the Spark engine is the optional extra '.[spark]' (CI installs it)")

from dedup.corpus import CorpusOptions, run_corpus
from dedup.noise import edit_words, perturb
from dedup.records import FieldNames
from dedup.spark import dedup_dataframe, run_corpus_spark, spark_session
from dedup.textio import RunError
from tests.conftest import SAMPLE

pytestmark = pytest.mark.spark  # run with -m spark


@pytest.fixture(autouse=True, scope="module")
def _java() -> None:
    """Skip without Java where Spark looks for it (JAVA_HOME, else PATH); fail instead under ``.ci/run``."""
    java_home = os.environ.get("JAVA_HOME")
    if Path(java_home, "bin", "java").is_file() if java_home else shutil.which("java"):
        return
    reason = f"the Spark engine needs Java 17: no java {'in JAVA_HOME' if java_home else 'on PATH'}"
    if os.environ.get("DEDUP_REQUIRE_SPARK"):  # .ci/run sets it: a Spark engine left untested fails the run
        pytest.fail(f"{reason} (DEDUP_REQUIRE_SPARK is set)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def spark():
    session = spark_session("local[2]", {"spark.sql.shuffle.partitions": "4", "spark.driver.memory": "1g"})
    yield session
    session.stop()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """About 2,000 documents of real text: the shipped articles, 60-word pieces of them, and planted copies."""
    rng = random.Random(5)
    rows = []
    for article in map(json.loads, SAMPLE.read_text(encoding="utf-8").splitlines()):
        rows.append({"id": article["id"], "text": article["text"], "published": article["published"]})
        words = article["text"].split()
        for k in range(0, len(words) - 30, 60):
            rows.append({"id": f"{article['id']}-p{k}", "text": " ".join(words[k : k + 60]), "published": None})
    for k, row in enumerate(rng.sample(rows, 400)):
        text = perturb(row["text"], rng) if k % 2 else edit_words(row["text"], 0.01, rng)
        rows.append({"id": f"copy-{k}", "text": text, "published": "2018-01-01T00:00:00"})
    path = tmp_path_factory.mktemp("spark") / "corpus.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _clusters(rows: list[dict]) -> dict[str, frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for row in rows:
        groups.setdefault(row["kept_id"], {row["kept_id"]}).add(row["id"])
    return {kept: frozenset(members) for kept, members in groups.items()}


def _csv_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_spark_keeps_what_the_local_engine_keeps(spark, corpus, tmp_path) -> None:
    local = run_corpus(corpus, tmp_path / "local", opts=CorpusOptions(workers=1))
    with (tmp_path / "local" / "duplicates.csv").open(encoding="utf-8") as handle:
        local_rows = list(csv.DictReader(handle))
    manifest = run_corpus_spark(str(corpus), str(tmp_path / "spark"), master="local[2]")
    spark_rows = _csv_rows(tmp_path / "spark" / "duplicates.csv")
    assert len(local_rows) > 300
    assert _clusters(spark_rows) == _clusters(local_rows)
    assert manifest["counts"] == local["counts"]
    kept = {
        json.loads(line)["id"]
        for part in (tmp_path / "spark" / "kept").glob("part-*")
        for line in part.read_text(encoding="utf-8").splitlines()
    }
    local_kept = {json.loads(line)["id"] for line in (tmp_path / "local" / "kept" / "corpus.jsonl").open()}
    assert kept == local_kept


def test_dataframe_entry_point(spark) -> None:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()[:20]
    rows = [json.loads(x) for x in lines]
    rows.append({**rows[3], "id": "again"})
    rows.append({**rows[4], "id": "blank", "text": "   "})
    rows.append({**rows[5], "text": "نص آخر تماما بالمعرف نفسه"})  # a second row with an id already seen
    df = spark.createDataFrame([(r["id"], r["text"]) for r in rows], ["id", "text"])
    result = dedup_dataframe(spark, df)
    assert [(r["id"], r["kept_id"]) for r in result.duplicates.collect()] == [("again", rows[3]["id"])]
    assert {r["kind"] for r in result.rejected.collect()} == {"empty_text", "duplicate_id"}
    assert result.kept.count() == 20
    with pytest.raises(ValueError, match="level"):
        dedup_dataframe(spark, df, level="paragraphs")


def test_a_bad_file_among_good_ones_is_reported_and_skipped_as_locally(spark, tmp_path) -> None:
    """Issue 12: a truncated gzip among good files is a file error on both engines; the rows before the
    damage are used and the run goes on (it used to abort the Spark run)."""
    folder = tmp_path / "in"
    folder.mkdir()
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    (folder / "a.jsonl").write_text("\n".join(lines[:50]) + "\n", encoding="utf-8")
    blob = gzip.compress("\n".join(lines[50:100]).encode("utf-8"))
    (folder / "b.jsonl.gz").write_bytes(blob[: len(blob) // 2])
    local = run_corpus(folder, tmp_path / "local", opts=CorpusOptions(workers=1))
    remote = run_corpus_spark(str(folder), str(tmp_path / "spark"), master="local[2]")
    (error,) = remote["file_errors"]
    assert "b.jsonl.gz: cannot read (corrupt or truncated file?)" in error
    assert remote["file_errors"] == local["file_errors"]
    assert remote["counts"] == local["counts"]
    assert 50 < local["counts"]["read"] < 100


@pytest.fixture(scope="module")
def paragraph_corpus(tmp_path_factory) -> Path:
    """Documents that share paragraphs: real article lines recombined, footers repeated across documents,
    lines repeated inside a document, documents made only of lines seen before (half of one document and half
    of another: kept), whole bodies of earlier documents with a short line added (contained), a line and a
    footer (fragments), one-word lines in several documents, dates in random order and some missing."""
    rng = random.Random(7)
    articles = [json.loads(line)["text"] for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    lines = [line for text in articles for line in text.split("\n") if len(line.split()) >= 8]
    footers, lines = lines[:5], lines[5:]
    rows = []
    for k in range(300):
        body = rng.sample(lines, 3)
        if k % 7 == 0:
            body.append(body[0])  # a paragraph twice in one document
        if k % 3 == 0:
            body.append(rng.choice(footers))  # boilerplate across documents
        rows.append({"id": f"doc-{k}", "text": "\n".join(body)})
    for k in range(30):
        first, second = rng.sample(rows[:300], 2)
        rows.append({"id": f"echo-{k}", "text": first["text"].split("\n")[1] + "\n" + second["text"].split("\n")[2]})
    for k in range(30):
        body = "\n".join(rng.choice(rows[:300])["text"].split("\n")[:3])
        rows.append({"id": f"copy-{k}", "text": "خاتمة:\n" + body if k % 2 else body + "\nالمصدر: واس"})
    for k in range(20):
        rows.append({"id": f"bit-{k}", "text": rng.choice(lines) + "\n" + rng.choice(footers)})
    for row in rows:
        if rng.random() < 0.9:
            row["published"] = f"2015-08-{rng.randrange(1, 12):02d}T{rng.randrange(24):02d}:00:00"
    path = tmp_path_factory.mktemp("paragraphs") / "corpus.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_spark_paragraph_level_matches_the_local_engine(spark, paragraph_corpus, tmp_path) -> None:
    corpus = paragraph_corpus
    opts = CorpusOptions(workers=1, level="paragraph", keep="earliest")
    local = run_corpus(corpus, tmp_path / "local", opts=opts)
    manifest = run_corpus_spark(str(corpus), str(tmp_path / "spark"), opts=opts, master="local[2]")
    assert local["boilerplate_lines_removed"] > 90 and local["repeats_removed"] >= 10
    assert local["dropped_contained"] >= 25 and local["dropped_fragment"] + local["rejected_fragment"] >= 15
    keys = ("paragraphs_removed", "boilerplate_lines_removed", "repeats_removed", "dropped_contained")
    for key in ("counts", *keys, "dropped_fragment", "rejected_fragment"):
        assert manifest[key] == local[key]
    with (tmp_path / "local" / "duplicates.csv").open(encoding="utf-8") as handle:
        local_dupes = {(r["id"], r["kept_id"], r["level"]) for r in csv.DictReader(handle)}
    spark_dupes = _csv_rows(tmp_path / "spark" / "duplicates.csv")
    assert {(r["id"], r["kept_id"], r["level"]) for r in spark_dupes} == local_dupes
    with (tmp_path / "local" / "paragraphs_removed.csv").open(encoding="utf-8") as handle:
        local_removed = {
            (r["id"], r["line"], r["first_id"], r["first_line"], r["kind"]) for r in csv.DictReader(handle)
        }
    assert len(local_removed) == local["paragraphs_removed"]
    spark_removed = _csv_rows(tmp_path / "spark" / "paragraphs_removed.csv")
    assert {(r["id"], r["line"], r["first_id"], r["first_line"], r["kind"]) for r in spark_removed} == local_removed
    kept = {
        row["id"]: row["text"]
        for part in (tmp_path / "spark" / "kept").glob("part-*")
        for row in map(json.loads, part.read_text(encoding="utf-8").splitlines())
    }
    local_lines = (tmp_path / "local" / "kept" / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
    local_kept = {row["id"]: row["text"] for row in map(json.loads, local_lines)}
    assert kept == local_kept


def test_spark_refuses_a_foreign_folder_and_replaces_its_own(tmp_path) -> None:
    """Issue 14, item 1 on the Spark engine: a manifest.json is no licence to delete a folder."""
    out = tmp_path / "p"
    out.mkdir()
    (out / "manifest.json").write_text("{}")
    (out / "notes.txt").write_text("x")
    with pytest.raises(RunError, match="not written by dedup"):
        run_corpus_spark(str(SAMPLE), str(out), master="local[2]")
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "notes.txt"]
    ours = tmp_path / "ours"
    first = run_corpus_spark(str(SAMPLE), str(ours), master="local[2]")
    assert run_corpus_spark(str(SAMPLE), str(ours), master="local[2]")["counts"] == first["counts"]


def test_spark_rejects_awkward_ids_as_the_local_engine_does(spark, tmp_path) -> None:
    """Issue 14, items 3, 5, 24 and 26 on Spark: blank, null, missing and over-long ids, a row nested too
    deeply; rejected.csv cells never run as formulas. (Spark infers one type per column, so it cannot see
    an object or a lone surrogate among string ids; see the README.)"""
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()[:10]
    first = json.loads(lines[0])
    awkward = [
        {"id": "", "text": first["text"]},
        {"id": "  ", "text": first["text"]},
        {"id": None, "text": "نص"},
        {"text": "نص"},
        {"id": "x" * 5000, "text": first["text"]},
        {"id": "=SUM(A1)", "text": "  "},
        {"id": "=copy", "text": first["text"]},
        {"id": first["id"], "text": "نص آخر"},
    ]
    nested = '{"id": "n", "text": "نص", "n": ' + "[" * 5000 + "]" * 5000 + "}"
    path = tmp_path / "c.jsonl"
    rows = [*lines, *(json.dumps(r, ensure_ascii=False) for r in awkward), nested]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    local = run_corpus(path, tmp_path / "local", opts=CorpusOptions(workers=1))
    remote = run_corpus_spark(str(path), str(tmp_path / "spark"), opts=CorpusOptions())
    assert (
        remote["rejected_by_reason"]
        == local["rejected_by_reason"]
        == {
            "bad_id": 1,
            "duplicate_id": 1,
            "empty_id": 2,
            "empty_text": 1,
            "invalid_json": 1,
            "missing_id": 2,
        }
    )
    assert remote["counts"] == local["counts"] == {"read": 19, "kept": 10, "duplicates": 1, "rejected": 8}
    assert "'=SUM(A1)" in [row["id"] for row in _csv_rows(tmp_path / "spark" / "rejected.csv")]


def test_spark_refuses_an_output_another_run_is_writing(spark, tmp_path) -> None:
    """Issue 14, item 15 on the Spark engine: the local engine's lock beside a local output folder."""
    out = tmp_path / "out"
    hold = "import sys, time\nfrom pathlib import Path\nfrom dedup.textio import writing\n"
    hold += "with writing(Path(sys.argv[1])):\n    print('held', flush=True)\n    time.sleep(60)\n"
    holder = subprocess.Popen([sys.executable, "-c", hold, str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(RunError, match=rf"another dedup run \(process {holder.pid}\) is writing this folder"):
            run_corpus_spark(str(SAMPLE), str(out))
    finally:
        holder.kill()
        holder.wait()
    assert not out.exists()
    assert run_corpus_spark(str(SAMPLE), str(out))["counts"]["read"] == 300
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_spark_run_from_the_command_line_is_quiet_unless_verbose(tmp_path) -> None:
    """Issue 15: the JVM's start-up notices and log4j lines go to a log file, not to the user's terminal."""
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)[:5]), encoding="utf-8")
    run = [sys.executable, "-m", "dedup", "corpus", str(rows), "--engine", "spark", "--out", str(tmp_path / "out")]
    done = subprocess.run(run, capture_output=True, text=True, timeout=600, env={**os.environ, "TMPDIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and "read 5, kept 5" in done.stdout
    assert "log4j" in (tmp_path / "dedup-spark.log").read_text(encoding="utf-8")


def _ids(path: Path) -> set[str]:
    return {json.loads(line)["id"] for part in path.glob("part-*.txt") for line in part.open(encoding="utf-8")}


def test_both_engines_apply_one_set_of_rules_to_awkward_rows(spark, tmp_path) -> None:
    """Issue 12: real articles, planted copies dated in a --date-format, and the awkward rows that once split the
    engines (blank, numeric, list and null texts; a missing, a numeric and a repeated id; a 1.5M-character
    text; broken JSON; an array line): the same counts, reasons, kept and dropped ids, files and columns."""
    rng = random.Random(12)
    articles = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()[:40]]
    rows = [{**a, "published": f"{k % 28 + 1:02d}/02/2017"} for k, a in enumerate(articles)]
    rows += [
        {"id": f"copy-{k}", "text": perturb(a["text"], rng), "published": "01/01/2017"}
        for k, a in enumerate(articles[:6])
    ]
    rows += [
        {"id": "blank", "text": " \t\u00a0\n "},
        {"id": "number", "text": 5},
        {"id": "list", "text": [articles[7]["text"]]},
        {"id": "null", "text": None},
        {"text": articles[8]["text"]},
        {"id": 7, "text": articles[9]["text"][: len(articles[9]["text"]) // 2]},
        {"id": articles[10]["id"], "text": "نص آخر بالمعرف نفسه"},
        {"id": "long", "text": (articles[11]["text"] + "\n") * (1_500_000 // len(articles[11]["text"]) + 1)},
    ]
    lines = [json.dumps(r, ensure_ascii=False) for r in rows] + ['{"id": "broken", "text": "نص', '["an", "array"]']
    path = tmp_path / "awkward.jsonl"
    path.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    opts = CorpusOptions(keep="earliest", fields=FieldNames(date_formats=("%d/%m/%Y",)))
    local = run_corpus(path, tmp_path / "local", opts=replace(opts, workers=1))
    remote = run_corpus_spark(str(path), str(tmp_path / "spark"), opts=opts)
    reasons = {
        "bad_text": 2,
        "duplicate_id": 1,
        "empty_text": 1,
        "invalid_json": 1,
        "missing_id": 1,
        "missing_text": 1,
        "not_an_object": 1,
    }
    assert remote["rejected_by_reason"] == local["rejected_by_reason"] == reasons
    assert remote["counts"] == local["counts"] == {"read": 56, "kept": 41, "duplicates": 7, "rejected": 8}
    assert set(remote) == set(local)
    for key in ("undated", "clusters_with_duplicates", "file_errors", "unread_files", "outputs"):
        assert remote[key] == local[key]
    assert _ids(tmp_path / "spark" / "kept") == {
        json.loads(x)["id"] for x in (tmp_path / "local" / "kept" / "awkward.jsonl").open()
    }
    for name in ("duplicates.csv", "rejected.csv"):
        with (tmp_path / "local" / name).open(encoding="utf-8") as handle:
            local_rows = list(csv.DictReader(handle))
        with (tmp_path / "spark" / name).open(encoding="utf-8") as handle:
            spark_rows = list(csv.DictReader(handle))
        assert spark_rows and list(spark_rows[0]) == list(local_rows[0])
        assert sorted(map(tuple, (r.values() for r in spark_rows))) == sorted(
            map(tuple, (r.values() for r in local_rows))
        )
    dropped = {r["id"]: r["kept_id"] for r in _csv_rows(tmp_path / "spark" / "duplicates.csv")}
    # The copies are dated earlier; the long text repeats an article and has no date, so comes after it.
    assert dropped == {**{articles[k]["id"]: f"copy-{k}" for k in range(6)}, "long": articles[11]["id"]}
    assert sorted(p.name for p in (tmp_path / "spark").iterdir()) == sorted(
        p.name for p in (tmp_path / "local").iterdir()
    )


def test_a_folder_of_parquet_and_json_lines_gives_what_the_local_engine_gives(spark, tmp_path) -> None:
    """Parquet rows are numbered and checked as locally, beside JSON Lines in the same folder."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    articles = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()[:60]]
    folder = tmp_path / "in"
    folder.mkdir()
    rows = [{"id": a["id"], "text": a["text"]} for a in articles[:30]]
    rows += [{"id": None, "text": "نص"}, {"id": "blank", "text": "   "}, {"id": "copy", "text": articles[40]["text"]}]
    pq.write_table(pa.Table.from_pylist(rows), folder / "a.parquet", row_group_size=10)
    lines = [json.dumps({"id": a["id"], "text": a["text"]}, ensure_ascii=False) for a in articles[30:]]
    (folder / "b.jsonl").write_text("\n".join([*lines, lines[0], "{"]) + "\n", encoding="utf-8")
    local = run_corpus(folder, tmp_path / "local", opts=CorpusOptions(workers=1))
    remote = run_corpus_spark(str(folder), str(tmp_path / "spark"))
    assert remote["counts"] == local["counts"] == {"read": 65, "kept": 60, "duplicates": 1, "rejected": 4}
    assert remote["rejected_by_reason"] == local["rejected_by_reason"]

    def rows(engine: str, name: str) -> list[tuple]:
        return sorted(tuple(row.items()) for row in _csv_rows(tmp_path / engine / name))

    for name in ("duplicates.csv", "rejected.csv"):  # rows in the same columns; rejections in another order
        assert rows("spark", name) == rows("local", name)
    kept = {}
    for engine in ("local", "spark"):
        folder = tmp_path / engine / "kept"
        (table,) = folder.glob("*.parquet")
        (json_lines,) = folder.glob("*.txt" if engine == "spark" else "*.jsonl")
        parquet_ids = pq.read_table(table).column("id").to_pylist()
        kept[engine] = (parquet_ids, [json.loads(line)["id"] for line in json_lines.open(encoding="utf-8")])
    assert kept["spark"] == kept["local"]


def test_spark_keeps_the_longest_as_the_local_engine_does(spark, corpus, tmp_path) -> None:
    """The keep policy is the local engine's function on both engines: the same kept member per cluster."""
    opts = CorpusOptions(keep="longest")
    local = run_corpus(corpus, tmp_path / "local", opts=replace(opts, workers=1))
    remote = run_corpus_spark(str(corpus), str(tmp_path / "spark"), opts=opts)
    assert remote["counts"] == local["counts"]
    rows = {
        engine: sorted(tuple(r.values()) for r in _csv_rows(tmp_path / engine / "duplicates.csv"))
        for engine in ("local", "spark")
    }
    assert len(rows["local"]) > 300 and rows["spark"] == rows["local"]

"""Where Java is missing, the Spark engine's tests skip with the reason, or fail the run under ``.ci/run``."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pyspark", reason="the Spark engine is the optional extra '.[spark]'")

ROOT = Path(__file__).resolve().parent.parent


def _spark_tests_without_java(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    # This run's own DEDUP_REQUIRE_SPARK (.ci/run sets it) is left out, as JAVA_HOME is.
    kept = {k: v for k, v in os.environ.items() if k not in ("JAVA_HOME", "DEDUP_REQUIRE_SPARK")}
    environ = kept | {"PATH": str(tmp_path), **env}
    command = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-m", "spark"]
    command.append("tests/test_spark.py")
    return subprocess.run(command, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120)


def test_spark_tests_skip_without_java_and_say_why(tmp_path) -> None:
    run = _spark_tests_without_java(tmp_path)
    assert run.returncode == 0
    assert "the Spark engine needs Java 17: no java on PATH" in run.stdout
    assert " skipped in " in run.stdout


def test_ci_fails_when_the_spark_tests_cannot_run(tmp_path) -> None:
    run = _spark_tests_without_java(tmp_path, DEDUP_REQUIRE_SPARK="1")
    assert run.returncode == 1
    assert "no java on PATH (DEDUP_REQUIRE_SPARK is set)" in run.stdout
    assert (ROOT / ".ci" / "run").read_text().count("DEDUP_REQUIRE_SPARK=1") == 1

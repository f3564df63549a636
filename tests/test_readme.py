"""The README's Python example runs as written (from the project folder, as a reader would run it)."""

import re

from tests.conftest import DATA


def test_the_python_api_example_runs(monkeypatch, capsys) -> None:
    readme = (DATA.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(DATA.parent)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert len(namespace["report"].repeats) == 19  # the seed page's second copy of the article
    assert namespace["batch"].signatures.shape == (2, 128)
    assert type(namespace["lean"]).__name__ == "LeanMinHash"
    assert capsys.readouterr().out.count("\n") == 19

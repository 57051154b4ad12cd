"""The README's Python snippets run as written and its result tables load in pandas, so neither rots."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ROOT, SCENARIOS

README = (ROOT / "README.md").read_text(encoding="utf-8")
_PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def python_snippets() -> list[tuple[int, str]]:
    """(line in the README, code) of every ```python block."""
    return [(README.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in _PYTHON_BLOCK.finditer(README)]


def result_tables() -> list[str]:
    """The tables the README says a run writes (the table after "and writes:"), in file-name order."""
    section = README[README.index("and writes:") : README.index("From Python")]
    return sorted(set(re.findall(r"`([a-z_]+\.(?:csv|parquet))`", section)))


def test_the_readme_shows_python_and_result_tables() -> None:
    assert python_snippets(), "the README shows how to use lalert_sim from Python"
    assert "trace.csv" in result_tables() and "nodes.csv" in result_tables()


@pytest.mark.parametrize(("line", "code"), python_snippets(), ids=[f"README.md:{n}" for n, _ in python_snippets()])
def test_readme_python_snippet_runs(line: int, code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "scenarios").symlink_to(SCENARIOS)  # the snippets' paths are relative to the repository
    monkeypatch.chdir(tmp_path)
    exec(compile("\n" * (line - 1) + code, "README.md", "exec"), {"__name__": "__readme__"})


def test_every_result_table_the_readme_names_loads_in_pandas(tmp_path: Path) -> None:
    out = tmp_path / "drill"
    flagship = SCENARIOS / "jalert_missile_drill_aomori.yaml"
    subprocess.run([sys.executable, "-m", "lalert_sim", "run", flagship, "--out", out, "--quiet"], check=True)
    loaded = {
        name: (pd.read_parquet if name.endswith(".parquet") else pd.read_csv)(out / name)
        for name in result_tables()
        if (out / name).exists()
    }
    trace = loaded.get("trace.csv", loaded.get("trace.parquet"))
    assert trace is not None, "the run wrote its trace as one of the tables the README names"
    documented = re.search(r"one row per alert per hop event: `([a-z_, ]+)`", README)
    assert documented is not None
    assert list(trace.columns) == documented.group(1).split(", ")
    assert {"nodes.csv", "warned.csv", "reach_municipalities.csv"} <= set(loaded)
    assert all(len(table) > 0 for table in loaded.values())

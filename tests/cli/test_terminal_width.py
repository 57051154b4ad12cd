"""What the commands print, read in an 80-column terminal, in English and in Japanese: distinct KPI labels,
no line wider than the terminal, no English heading in a Japanese summary, and the app-level options."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from rich.cells import cell_len
from typer.testing import CliRunner

from lalert_sim.cli import app
from lalert_sim.i18n import Messages
from lalert_sim.report.kpi_labels import kpi_label, row_labels
from tests.conftest import CLI_ENV, SCENARIOS, has_module

FLAGSHIP = SCENARIOS / "jalert_missile_drill_aomori.yaml"
KESENNUMA = SCENARIOS / "lalert_evacuation_order_kesennuma.yaml"
OUTAGE = SCENARIOS / "lalert_carrier_outage_evacuation.yaml"
ROAMING = SCENARIOS / "lalert_carrier_outage_evacuation_roaming.yaml"
WIDTH = 80


def cli80(*args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``lalert-sim ARGS`` in a fresh process in an 80-column terminal (conftest's ``cli`` uses 120)."""
    return subprocess.run(
        [sys.executable, "-m", "lalert_sim", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**CLI_ENV, "COLUMNS": str(WIDTH)},
    )


def kpi_rows(stdout: str) -> list[list[str]]:
    """The KPI tables' rows (cells, a wrapped cell's lines joined), table by table, from what was printed.

    A table's cells are separated by ``│``; its body starts after the header rule (``┿``) and ends at ``╵``.
    A row starts on a line whose figure cells are not empty; a line with only the label cell continues it.
    """
    tables: list[list[list[str]]] = []
    inside = False
    for line in stdout.splitlines():
        if "┿" in line:
            inside = True
            tables.append([])
            continue
        if "╵" in line:
            inside = False
        if not inside or "│" not in line:
            continue
        cells = [c.strip() for c in line.split("│")]
        rows = tables[-1]
        if any(cells[1:]) and (not rows or cells[1]):
            rows.append(cells)
        else:
            rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells, strict=True)]
    return tables


def widest(text: str) -> int:
    """Cells the widest line takes (a Japanese character counts two), up to the list of files written: a path
    is one word, never broken, and the test's own temporary paths are longer than a line."""
    lines = text.splitlines()
    last = next((i for i, line in enumerate(lines) if line.startswith(("wrote ", "出力 "))), len(lines))
    return max(cell_len(line.rstrip()) for line in lines[:last])


def test_sweep_at_80_columns_shows_a_distinct_label_for_every_kpi_row(tmp_path: Path) -> None:
    done = cli80("sweep", KESENNUMA, "-n", "4", "-w", "2", "--no-plots", "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    [rows] = kpi_rows(done.stdout)
    labels = [row[0] for row in rows]
    assert len(labels) == 14  # SHOWN_KPIS of the 100 in the summary
    assert len(set(labels)) == len(labels), labels
    assert not any("…" in label for label in labels)
    # the alert every row belongs to is said once, in the title; units are in the labels
    assert "Replications · evacuation-order" in done.stdout
    assert not any("evacuation-order" in label for label in labels)
    assert "emitters 50 % reached (s)" in labels and "unwarned at the deadline (%)" in labels
    # a share is shown in %: the row's mean is 100 x the summary's
    summary = json.loads((tmp_path / "sweep_summary.json").read_text(encoding="utf-8"))
    mean = summary["kpis"]["evacuation-order.unwarned_at_deadline"]["mean"]
    row = rows[labels.index("unwarned at the deadline (%)")]
    assert float(row[1].replace(",", "")) == pytest.approx(100 * mean, rel=1e-3)
    assert widest(done.stdout) <= WIDTH


def test_compare_at_80_columns_shows_a_distinct_label_for_every_kpi_row_in_both_languages(tmp_path: Path) -> None:
    for lang in ("en", "ja"):
        done = cli80(
            "compare", OUTAGE, ROAMING, "-n", "4", "-w", "2", "--no-plots", "--lang", lang, "--out", tmp_path / lang
        )
        assert done.returncode == 0, done.stderr
        [rows] = kpi_rows(done.stdout)
        labels = [row[0] for row in rows]
        assert len(labels) == 14 and len(set(labels)) == len(labels), labels
        assert not any("…" in cell for row in rows for cell in row)
        assert widest(done.stdout) <= WIDTH
    assert "期限時点の未伝達 (ポイント)" in labels  # a difference of shares, in percentage points


def test_labels_of_several_alerts_name_the_alert_in_each_row() -> None:
    m = Messages("en")
    names = ["a-1.emitters_50pct_s", "a-2.emitters_50pct_s", "stations.tv.down_peak", "a-1.first_via.tv"]
    shared, labels = row_labels(names, m)
    assert shared is None
    assert labels == [
        "a-1: emitters 50 % reached (s)",
        "a-2: emitters 50 % reached (s)",
        "TV stations down, most",
        "a-1: first via TV (%)",
    ]
    # a figure the catalogue does not know is kept as it is written; the unit still follows the name
    assert kpi_label("a-1.something_new_s", m).text == "something_new_s"
    assert row_labels(["a-1.something_new_s"], m) == ("a-1", ["something_new_s (s)"])


def test_labels_that_would_read_the_same_fall_back_to_the_full_names() -> None:
    _shared, labels = row_labels(["a-1.requests", "responses.requests"], Messages("en"))
    assert labels == ["a-1: requests", "requests for units"]
    _shared, labels = row_labels(["responses.requests", "responses.requests"], Messages("en"))
    assert labels == ["responses.requests", "responses.requests"]


ENGLISH_HEADINGS = (
    "seed",
    "emitters reached",
    "channel",
    "median",
    "slowest",
    "residents in",
    "unwarned after",
    "by age",
    "most unwarned",
    "first learned via",
    "first arrivals by medium",
    "duplicates",
    "silent municipalities",
    "never reached",
    "incidents",
    "Objectives",
    "objective",
    "achieved",
    "NOT met",
    "simulated in",
    "wrote",
)
"""Headings and labels of the English summary (each checked to be there), none of which a Japanese one shows."""


@pytest.fixture(scope="module")
def summaries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("summaries")
    printed = {}
    for lang in ("en", "ja"):
        done = cli80("run", FLAGSHIP, "--no-report", "--lang", lang, "--out", out / lang)
        assert done.returncode == 0, done.stderr
        printed[lang] = done.stdout
    return printed


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_no_line_of_the_run_summary_is_wider_than_80_columns(summaries: dict[str, str], lang: str) -> None:
    assert widest(summaries[lang]) <= WIDTH
    assert "…" not in summaries[lang].replace("… and", "").replace("… ほか", "")


def test_a_japanese_summary_has_no_english_headings(summaries: dict[str, str]) -> None:
    assert [h for h in ENGLISH_HEADINGS if h not in summaries["en"]] == []
    ja = summaries["ja"].split("\n出力 ")[0]  # the file names written (channels.csv...) are no headings
    assert [h for h in ENGLISH_HEADINGS if h in ja] == []
    assert "目標" in ja and "未達成" in ja and "2026年11月22日 07:00 JST" in ja
    assert "三戸町 自動起動機" in ja  # m-02441/startup, by its town and what it is


def test_lines_break_between_phrases_not_within_them(summaries: dict[str, str]) -> None:
    # each quantile phrase ("95% in 5.8 min") stays whole on one line, wherever the line breaks
    lines = summaries["en"].splitlines()
    for phrase in ("50% in 5.0 min", "95% in 5.8 min", "unwarned after 10.0 min: 17.8 %"):
        assert any(phrase in line for line in lines), phrase


def test_version_prints_the_installed_version() -> None:
    expected = f"lalert-sim {importlib.metadata.version('lalert-sim')}"
    for option in ("--version", "-V"):
        done = cli80(option)
        assert done.returncode == 0 and done.stdout.strip() == expected, done


def _commands() -> list[str]:
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    return sorted(group.commands)


@pytest.mark.parametrize("command", [None, *_commands()])
def test_dash_h_is_help_on_the_app_and_on_every_command(command: str | None) -> None:
    args = ["-h"] if command is None else [command, "-h"]
    done = CliRunner().invoke(app, args, terminal_width=WIDTH)
    assert done.exit_code == 0, done.output
    assert "Usage:" in done.output and "--help" in done.output
    assert done.output == CliRunner().invoke(app, [*args[:-1], "--help"], terminal_width=WIDTH).output


def test_quiet_run_prints_only_the_last_lines(tmp_path: Path) -> None:
    done = cli80("run", FLAGSHIP, "--no-report", "-q", "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("simulated in ") and lines[1].startswith(f"wrote {tmp_path}/summary.json")
    assert all(line.startswith(f"  {tmp_path}") for line in lines[2:]), lines


def test_quiet_sweep_and_validate_print_only_what_was_written(tmp_path: Path) -> None:
    done = cli80("sweep", KESENNUMA, "-n", "2", "-w", "1", "--no-plots", "-q", "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote {tmp_path}/replications.") and "sweep_summary.json" in done.stdout
    assert "Replications" not in done.stdout and "━" not in done.stdout + done.stderr
    done = cli80("validate", FLAGSHIP, "-q")
    assert done.returncode == 0 and done.stdout == "" and done.stderr == ""


@pytest.mark.skipif(not (has_module("aiomqtt") and has_module("amqtt")), reason="needs the hil extra")
def test_demo_hil_at_80_columns_in_japanese_and_quiet(tmp_path: Path) -> None:
    args = ("demo-hil", KESENNUMA, "--nodes", "3", "--speed", "100", "--until", "1")
    done = cli80(*args, "--lang", "ja", "--out", tmp_path / "loud")
    assert done.returncode == 0, done.stderr
    assert "現地端末" in done.stdout and "Field nodes" not in done.stdout
    assert widest(done.stdout.replace(str(KESENNUMA), KESENNUMA.name)) <= WIDTH
    done = cli80(*args, "-q", "--out", tmp_path / "quiet")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote {tmp_path / 'quiet'}/hil_report.json") and "Field nodes" not in done.stdout
    assert done.stderr == ""


def test_history_at_80_columns_in_japanese_and_quiet() -> None:
    done = cli80("history", "-n", "2", "-w", "2", "--lang", "ja", timeout=600)
    assert done.returncode == 0, done.stderr
    assert "過去の事例との照合" in done.stdout and widest(done.stdout) <= WIDTH
    last = done.stdout.strip().splitlines()[-1]
    assert "行が許容範囲内" in last
    quiet = cli80("history", "-n", "2", "-w", "2", "--lang", "ja", "-q", timeout=600)
    assert quiet.returncode == 0 and quiet.stdout.strip() == last and quiet.stderr == ""


def test_only_known_shares_are_shown_in_percent() -> None:
    m = Messages("en")
    assert kpi_label("a-1.unwarned_70_plus", m).scale == 100
    assert kpi_label("a-1.silent_municipalities", m).scale == 100
    assert kpi_label("a-1.emitters_50pct_s", m).scale == 1
    # a figure of unknown meaning is shown as it is: no factor, no unit
    assert kpi_label("a-1.something_counted", m).scale == 1
    assert row_labels(["a-1.something_counted"], m) == ("a-1", ["something_counted"])

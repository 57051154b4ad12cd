"""Measurements feed the model: the delays a bridge run measured on field nodes, fitted per bound simulated
node (or node class) into empirical distributions and written as a scenario overlay
(``topology.measured_delays``) that ``run``, ``sweep`` and ``compare`` take with ``--overlay``.

What is fitted is each delivery's publish → actuation latency: the field link (the bridge's publish to
the node's receipt) plus the node's own processing (receipt to actuation), paired per delivery. In the
simulation it replaces the bound node's ``delay_s`` (receipt to emitting), so the simulated node then
takes as long as the hardware standing in for it did.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from lalert_sim.atomic import write_text
from lalert_sim.errors import InvalidInput
from lalert_sim.hil.protocol import Outcome
from lalert_sim.i18n import Language, messages
from lalert_sim.model.distributions import EMPIRICAL_MAX_VALUES, Empirical
from lalert_sim.model.files import MIB, read_bounded
from lalert_sim.model.measured_delays import node_class
from lalert_sim.model.network import Node

REPORT_FILE = "hil_report.json"
"""The file of a bridge or demo-hil results folder that holds every delivery's measured stamps."""
REPORT_MAX_BYTES = 512 * MIB
"""Largest latency report calibrate reads (a delivery takes under 1 KiB of it)."""
OVERLAY_VALUE_BUDGET = 8_000
"""Measured values one overlay holds in all, at most (more with over 1,600 fits, 5 each): merged onto the
scenario, it must stay within the scenario's own size limit (1,000 bound nodes: about 110 KiB)."""
MAX_VALUES_PER_FIT = 500
"""Most values one fitted distribution keeps: more measurements are summarised by as many quantiles."""
MIN_VALUES_PER_FIT = 5
"""Fewest values one fitted distribution keeps, however many fits share the budget."""
RESOLUTION_DIGITS = 4
"""Fitted values are kept to a tenth of a millisecond (below the clock offsets' uncertainty): a compact file."""


class CalibrateBy(StrEnum):
    """What one fitted distribution stands for."""

    NODE = "node"  # each bound simulated node: its own field nodes' deliveries
    KIND = "kind"  # each node class of the bound nodes (``emitter/outdoor_loudspeaker``): every node of it


@dataclass(frozen=True, slots=True)
class Measurement:
    """One actuated delivery's measured delays (seconds) beside the simulated one."""

    sim_node: str
    """The simulated node the field node was bound to."""
    field_node: str
    """The field node that actuated."""
    receipt_s: float | None
    """Bridge publish → the node's receipt (the field link), on the bridge's clock; None without an offset."""
    actuation_s: float
    """Bridge publish → the node's actuation: what the fit is made of."""
    simulated_s: float | None
    """The simulated node's own delay for that alert in that run (emitted − arrival); None if it never emitted."""


@dataclass(frozen=True, slots=True)
class Fit:
    """One fitted delay: what it replaces, how many deliveries it rests on, their figures and the values kept."""

    target: str
    """A simulated node id (by node) or a node class (by kind)."""
    field_nodes: tuple[str, ...]
    """The field nodes whose deliveries were pooled."""
    deliveries: int
    """Actuated deliveries measured."""
    receipt_p50_ms: float | None
    """Median publish → receipt (the field link)."""
    processing_p50_ms: float | None
    """Median receipt → actuation (the node's own processing)."""
    delay_p50_ms: float
    """Median publish → actuation (what the simulated node now takes)."""
    delay_p95_ms: float
    """95th percentile of publish → actuation."""
    simulated_p50_ms: float | None
    """Median of the delay the simulation drew for that node in the same run (what is replaced)."""
    values_s: tuple[float, ...]
    """The empirical distribution's values (seconds): every measurement, or as many quantiles as kept."""

    def distribution(self) -> Empirical:
        """The fitted delay as a scenario distribution."""
        return Empirical(values=list(self.values_s))


@dataclass(frozen=True, slots=True)
class Calibration:
    """A whole calibration: the folder it read, how it grouped, each fit, and what it left out."""

    source: str
    """The results folder read."""
    scenario: str
    """The scenario the bridge ran (as the report names it)."""
    by: CalibrateBy
    """Per node or per node class."""
    fits: tuple[Fit, ...]
    """One per bound simulated node (or class) with at least one actuated delivery."""
    left_out: int
    """Deliveries not actuated (missed, rejected, refused, not sent): they measured no delay."""
    clamped: int
    """Latencies below 0 (clock-offset error on a fast link) counted as 0."""

    def overlay(self) -> dict[str, Any]:
        """The scenario overlay: ``topology.measured_delays`` by node id or by class."""
        section = "nodes" if self.by is CalibrateBy.NODE else "kinds"
        entries = {fit.target: fit.distribution().model_dump(mode="json", exclude={"weights"}) for fit in self.fits}
        return {"topology": {"measured_delays": {section: entries}}}


def read_measurements(results: Path) -> tuple[str, list[Measurement], int]:
    """The scenario name and every actuated delivery of a bridge results folder, and how many were not;
    InvalidInput naming the file and field when the folder is not one."""
    path = results / REPORT_FILE
    if not results.is_dir():
        raise InvalidInput(f"{results}: not a folder (give the --out folder of a bridge or demo-hil run)")
    if not path.exists():
        raise InvalidInput(f"{path}: not found (give the --out folder of a bridge or demo-hil run)")
    data = read_bounded(path, REPORT_MAX_BYTES, "latency report")  # too large, not a file: it says so
    try:
        report = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(f"{path}: cannot read it as JSON: {exc}") from None
    deliveries = report.get("deliveries") if isinstance(report, dict) else None
    if not isinstance(deliveries, list):
        raise InvalidInput(f"{path}: deliveries: missing or not a list (not a bridge latency report)")
    measured, left_out = [], 0
    for index, row in enumerate(deliveries):
        where = f"{path}: deliveries[{index}]"
        if not isinstance(row, dict):
            raise InvalidInput(f"{where}: not a mapping")
        actuation = _number(row, "actuation_latency_ms", where)
        if row.get("outcome") != Outcome.ACTUATED or actuation is None:
            left_out += 1
            continue
        receipt, simulated = _number(row, "receipt_latency_ms", where), _number(row, "sim_node_delay_ms", where)
        measured.append(
            Measurement(
                _text(row, "sim_node", where),
                _text(row, "field_node", where),
                None if receipt is None else receipt / 1000,
                actuation / 1000,
                None if simulated is None else simulated / 1000,
            )
        )
    scenario = report.get("scenario")
    return (scenario if isinstance(scenario, str) else ""), measured, left_out


def _number(row: Mapping[str, Any], key: str, where: str) -> float | None:
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{where}.{key}: not a number ({value!r:.40})")
    return float(value)


def _text(row: Mapping[str, Any], key: str, where: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{where}.{key}: missing or not a name")
    return value


def fitted_values(samples: Sequence[float], limit: int) -> tuple[float, ...]:
    """The sorted samples (seconds, to a tenth of a millisecond), or ``limit`` evenly spaced quantiles of them:
    the empirical distribution then differs from the samples' own by at most 1 / (2 × limit) anywhere."""
    ordered = np.sort(np.asarray(samples, dtype=float))
    if len(ordered) > limit:
        ordered = np.quantile(ordered, (np.arange(limit) + 0.5) / limit)
    return tuple(round(float(v), RESOLUTION_DIGITS) for v in ordered)


def calibrate(results: Path, by: CalibrateBy, nodes: Mapping[str, Node] | None = None) -> Calibration:
    """Fit the measured delays of a bridge results folder per bound node, or per class of ``nodes`` (the
    scenario's network, needed ``by`` kind); InvalidInput when nothing was measured or a node is unknown."""
    scenario, measured, left_out = read_measurements(results)
    if not measured:
        raise InvalidInput(
            f"{results / REPORT_FILE}: no actuated delivery with a measured latency ({left_out} not actuated)"
        )
    groups: dict[str, list[Measurement]] = defaultdict(list)
    for one in measured:
        groups[_target(one.sim_node, by, nodes, results)].append(one)
    limit = max(MIN_VALUES_PER_FIT, min(MAX_VALUES_PER_FIT, OVERLAY_VALUE_BUDGET // len(groups)))
    limit = min(limit, EMPIRICAL_MAX_VALUES)
    clamped = sum(1 for one in measured if one.actuation_s < 0)
    fits = tuple(_fit(target, group, limit) for target, group in groups.items())
    return Calibration(str(results), scenario, by, fits, left_out, clamped)


def _target(sim_node: str, by: CalibrateBy, nodes: Mapping[str, Node] | None, results: Path) -> str:
    if nodes is not None and sim_node not in nodes:
        raise InvalidInput(f"{results / REPORT_FILE}: simulated node {sim_node!r} is not in the scenario")
    if by is CalibrateBy.NODE:
        return sim_node
    assert nodes is not None, "by kind needs the scenario's nodes"
    return node_class(nodes[sim_node])


def _fit(target: str, group: list[Measurement], limit: int) -> Fit:
    delays = [max(0.0, one.actuation_s) for one in group]
    receipts = [one.receipt_s for one in group if one.receipt_s is not None]
    processing = [one.actuation_s - one.receipt_s for one in group if one.receipt_s is not None]
    simulated = [one.simulated_s for one in group if one.simulated_s is not None]
    return Fit(
        target=target,
        field_nodes=tuple(dict.fromkeys(one.field_node for one in group)),
        deliveries=len(group),
        receipt_p50_ms=_median_ms(receipts),
        processing_p50_ms=_median_ms(processing),
        delay_p50_ms=round(statistics.median(delays) * 1000, 3),
        delay_p95_ms=round(float(np.quantile(delays, 0.95)) * 1000, 3),
        simulated_p50_ms=_median_ms(simulated),
        values_s=fitted_values(delays, limit),
    )


def _median_ms(values: list[float]) -> float | None:
    return round(statistics.median(values) * 1000, 3) if values else None


def overlay_text(calibration: Calibration) -> str:
    """The overlay as YAML, headed by comments saying where it comes from and how to use it."""
    grouped = "node" if calibration.by is CalibrateBy.NODE else "node class (every node of it)"
    header = [
        f"# Delays measured by the bridge run in {calibration.source} ({calibration.scenario}),",
        f"# fitted per {grouped} by lalert-sim calibrate: each replaces the delay_s of what it names",
        "# with the field nodes' publish -> actuation latency (field link + the node's own processing).",
        "#   lalert-sim sweep SCENARIO --overlay THIS_FILE",
    ]
    for fit in calibration.fits:
        header.append(
            f"#   {fit.target}: n={fit.deliveries}, median {fit.delay_p50_ms:g} ms, "
            f"p95 {fit.delay_p95_ms:g} ms (simulated median {_shown_ms(fit.simulated_p50_ms)})"
        )
    body = yaml.safe_dump(
        calibration.overlay(), sort_keys=False, allow_unicode=True, default_flow_style=None, width=100
    )
    return "\n".join(header) + "\n" + body


def _shown_ms(value: float | None) -> str:
    return "–" if value is None else f"{value:g} ms"


def write_overlay(calibration: Calibration, out: Path) -> Path:
    """Write the overlay file (atomically) and return its path."""
    write_text(out, overlay_text(calibration))
    return out


_FIGURE_COLUMNS = (
    "calibrate.column_deliveries",
    "calibrate.column_receipt",
    "calibrate.column_processing",
    "calibrate.column_delay",
    "calibrate.column_delay_p95",
    "calibrate.column_simulated",
)


def print_calibration(calibration: Calibration, console: Console, lang: Language | str | None = None) -> None:
    """A row per fitted delay: the deliveries, the field link, the node's processing, the fitted figures and
    the simulated delay it replaces."""
    m = messages(lang)
    by_node = calibration.by is CalibrateBy.NODE
    table = Table(
        title=m("calibrate.title", source=escape(calibration.source)),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column(m("calibrate.column_node" if by_node else "calibrate.column_class"), overflow="fold", ratio=2)
    table.add_column(m("calibrate.column_field_nodes"), overflow="fold", ratio=2)
    for key in _FIGURE_COLUMNS:
        table.add_column(m(key), justify="right", no_wrap=True)
    for fit in calibration.fits:
        shown = fit.field_nodes if len(fit.field_nodes) <= 3 else (*fit.field_nodes[:3], "…")
        table.add_row(
            escape(fit.target),
            escape(" ".join(shown)),
            str(fit.deliveries),
            *(_cell(v) for v in (fit.receipt_p50_ms, fit.processing_p50_ms, fit.delay_p50_ms, fit.delay_p95_ms)),
            _cell(fit.simulated_p50_ms),
        )
    console.print(table)
    console.print(m("calibrate.legend"))
    if calibration.left_out:
        console.print(m("calibrate.left_out", count=calibration.left_out))
    if calibration.clamped:
        console.print(m("calibrate.clamped", count=calibration.clamped))


def _cell(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"

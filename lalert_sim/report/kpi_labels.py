"""Short labels a person reads for KPI names (``missile-drill-1.emitters_95pct_s``), with their units.

The full names stay in the files (sweep_summary.json, kpis.csv); a label is built from the
name's parts (alert id, figure, channel) through the ``kpi`` catalogue, and a part it does not
know is kept verbatim, so two different names never read the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from lalert_sim.i18n import Messages

_QUANTILE = re.compile(r"^(emitters|warned)_(\d+)pct_s$")
_UNWARNED = re.compile(r"^unwarned_(under_60|60s|70_plus|no_smartphone)$")
_RESPONSES = {
    "requests": "kpi.requests",
    "requests_waited": "kpi.requests_waited",
    "longest_wait_s": "kpi.longest_wait_s",
    "worst_cut_off_s": "kpi.worst_cut_off_s",
    "mean_cut_off_s": "kpi.mean_cut_off_s",
}


class Unit(StrEnum):
    """What a KPI's value measures: seconds, a share (0-1, shown in %), or a plain count."""

    SECONDS = "seconds"
    SHARE = "share"
    COUNT = "count"


@dataclass(frozen=True)
class KpiLabel:
    """A KPI as the terminal shows it: the alert it belongs to (None: stations, responses), the words, the unit."""

    alert: str | None
    text: str
    unit: Unit

    @property
    def scale(self) -> float:
        """What to multiply a value by to show it in the label's unit (a share in %)."""
        return 100.0 if self.unit is Unit.SHARE else 1.0


def kpi_label(name: str, m: Messages) -> KpiLabel:
    """The label of one KPI name; a figure it does not know is kept as it is written."""
    first, _, rest = name.partition(".")
    if first == "stations":
        channel, _, figure = rest.rpartition(".")
        if figure in ("down_peak", "down_peak_s") and channel:
            seconds = figure == "down_peak_s"
            key = "kpi.stations_down_peak_s" if seconds else "kpi.stations_down_peak"
            return KpiLabel(None, m(key, channel=m.term("channel", channel)), Unit.SECONDS if seconds else Unit.COUNT)
        return KpiLabel(None, name, _unit_of(name))
    if first == "responses":
        known = _RESPONSES.get(rest)
        text = m(known) if known else name
        return KpiLabel(None, text, _unit_of(rest))
    if not rest:
        return KpiLabel(None, name, _unit_of(name))
    return KpiLabel(first, _alert_figure(rest, m), _unit_of(rest))


def _alert_figure(figure: str, m: Messages) -> str:
    """The words for the part of a KPI name after its alert id."""
    if quantile := _QUANTILE.match(figure):
        key = "kpi.emitters_pct" if quantile[1] == "emitters" else "kpi.warned_pct"
        return m(key, pct=quantile[2])
    if unwarned := _UNWARNED.match(figure):
        return m("kpi.unwarned_group", group=m.term("cohort", unwarned[1]))
    head, _, channel = figure.partition(".")
    if head == "first_via" and channel:
        return m("kpi.first_via", channel=m.term("channel", channel))
    if head == "reached_by" and channel:
        return m("kpi.reached_by", channel=m.term("channel", channel))
    known = {
        "emitters_never_reached": "kpi.emitters_never_reached",
        "unwarned_at_deadline": "kpi.unwarned_at_deadline",
        "silent_municipalities": "kpi.silent_municipalities",
        "silent_downstream": "kpi.silent_downstream",
    }
    return m(known[figure]) if figure in known else figure


SHARES = re.compile(r"^(emitters_never_reached|unwarned_[a-z0-9_]+|(first_via|reached_by)\.[a-z_]+|silent_[a-z]+)$")
"""Figures of an alert that are shares (0-1); any other is seconds (ending ``_s``) or a count."""


def _unit_of(figure: str) -> Unit:
    """Seconds for a name ending ``_s``, a share for the known shares, else a count (shown as it is)."""
    if figure.endswith("_s"):
        return Unit.SECONDS
    return Unit.SHARE if SHARES.match(figure) else Unit.COUNT


def unit_text(unit: Unit, m: Messages, difference: bool = False) -> str:
    """The unit as the label ends: ``(s)``, ``(%)`` (``(% points)`` for a difference of shares), none for a count."""
    match unit:
        case Unit.SECONDS:
            return m("kpi.unit_seconds")
        case Unit.SHARE:
            return m("kpi.unit_points") if difference else m("kpi.unit_percent")
        case Unit.COUNT:
            return ""


def row_labels(names: Iterable[str], m: Messages, difference: bool = False) -> tuple[str | None, list[str]]:
    """Labels for table rows: the alert id said once (returned first) when every row shares it, else in each row."""
    names_list = list(names)
    labels = [kpi_label(name, m) for name in names_list]
    alerts = {label.alert for label in labels}
    shared = next(iter(alerts)) if len(alerts) == 1 else None
    texts = []
    for label in labels:
        text = " ".join(filter(None, (label.text, unit_text(label.unit, m, difference))))
        if label.alert is not None and shared is None:
            text = m("kpi.in_alert", alert=label.alert, label=text)
        texts.append(text)
    repeated = {text for text in texts if texts.count(text) > 1}
    return shared, [name if text in repeated else text for name, text in zip(names_list, texts, strict=True)]

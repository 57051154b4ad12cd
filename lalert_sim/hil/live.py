"""The live table of field nodes that ``bridge`` and ``demo-hil`` show on stderr while the drill runs: per
node its presence, what was published to it, received, actuated or rejected, and its latest latency.

It is fed by the bridge's ``on_change`` hook (called on the bridge's event loop with the node that changed,
or None when every node may have) and rendered by rich's ``Live`` from its own thread: the rows are kept
under a lock, and only the nodes that changed are recomputed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from lalert_sim.hil.latency import ms
from lalert_sim.hil.protocol import Outcome
from lalert_sim.i18n import Language, messages

if TYPE_CHECKING:
    from collections.abc import Callable

    from lalert_sim.hil.records import BridgeRun, Delivery, NodeState

REFRESH_PER_S = 2
"""How often the table is redrawn (drawing takes the GIL from the bridge's event loop: not too often)."""
MAX_ROWS = 30
"""Most node rows drawn, however tall the terminal: the totals line counts every node."""
_CHROME_LINES = 7  # title, header, rule, totals and margins around the rows


class Observed(Protocol):
    """What the live table watches: a bridge's record and its change hook (``Bridge``)."""

    record: BridgeRun
    on_change: Callable[[str | None], None] | None


@dataclass(frozen=True, slots=True)
class LiveRow:
    """One field node as the live table shows it."""

    field_node: str
    """The field node's id."""
    presence: str
    """online, offline, unknown (the broker connection broke since) or never seen."""
    published: int
    """Its deliveries the broker took."""
    received: int
    """Its deliveries the node answered (its ack carries its receipt)."""
    actuated: int
    """Its deliveries the node actuated."""
    rejected: int
    """Its deliveries rejected or refused by the node, or refused by the bridge (too large)."""
    latency_ms: float | None
    """Publish → actuation of its latest actuated delivery, on the bridge's clock (None: none yet)."""

    @property
    def troubled(self) -> bool:
        """Offline, unknown, never seen, or something rejected: shown first."""
        return self.presence != "online" or self.rejected > 0


def live_row(state: NodeState, deliveries: list[Delivery]) -> LiveRow:
    """The row of one field node from its state and its deliveries so far."""
    published = received = actuated = rejected = 0
    latency = None
    for delivery in deliveries:
        published += delivery.puback_at is not None
        ack = delivery.ack
        if delivery.refused is not None:
            rejected += 1
        if ack is None:
            continue
        received += 1
        if ack.outcome is Outcome.ACTUATED:
            actuated += 1
            offset = state.offset
            actuated_at = None if offset is None else offset.to_bridge(ack.actuated_at)
            if actuated_at is not None and delivery.published_at:
                latency = ms(actuated_at - delivery.published_at)
        else:
            rejected += 1
    return LiveRow(state.node_id, state.presence, published, received, actuated, rejected, latency)


class LiveNodes:
    """The rows of the live table, kept up to date by a bridge's ``on_change`` hook (see ``watch``)."""

    def __init__(self, lang: Language | str | None = None) -> None:
        self._m = messages(lang)
        self._lock = threading.Lock()
        self._record: BridgeRun | None = None
        self._rows: dict[str, LiveRow] = {}
        self._deliveries: dict[str, list[Delivery]] = {}
        self._seen = 0  # deliveries of the record taken in so far
        self._changes: dict[str, int] = {}  # node → when it last changed (a counter): the latest shown first
        self._clock = 0

    def watch(self, bridge: Observed) -> None:
        """Show ``bridge``'s field nodes and follow its changes from now on."""
        with self._lock:
            self._record = bridge.record
            self._rows, self._deliveries, self._seen = {}, {n: [] for n in bridge.record.nodes}, 0
        bridge.on_change = self.changed
        self.changed(None)

    def changed(self, node_id: str | None) -> None:
        """The bridge's hook: ``node_id`` changed (None: any may have, e.g. the broker connection broke)."""
        record = self._record
        if record is None:
            return
        with self._lock:
            touched = set(record.nodes) if node_id is None else {node_id}
            new = record.deliveries[self._seen :]
            self._seen += len(new)
            for delivery in new:
                self._deliveries.setdefault(delivery.field_node, []).append(delivery)
                touched.add(delivery.field_node)
            self._clock += 1
            for touched_id in touched & record.nodes.keys():
                self._rows[touched_id] = live_row(record.nodes[touched_id], self._deliveries[touched_id])
                self._changes[touched_id] = self._clock

    def rows(self) -> list[LiveRow]:
        """Every node's row, in the record's (binding) order."""
        with self._lock:
            record = self._record
            return [] if record is None else [self._rows[n] for n in record.nodes if n in self._rows]

    def table(self, max_rows: int | None = None) -> Table:
        """The table: nodes in trouble first, then the latest to change; at most ``max_rows`` of them."""
        m = self._m
        rows = self.rows()
        with self._lock:
            recency = dict(self._changes)
            scenario = self._record.scenario if self._record is not None else ""
        shown = sorted(rows, key=lambda r: (not r.troubled, -recency.get(r.field_node, 0)))
        if max_rows is not None and len(shown) > max_rows:
            shown = shown[: max(1, max_rows)]
        table = Table(
            title=m("calibrate.live_title", scenario=escape(scenario)),
            title_justify="left",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
            collapse_padding=True,
            caption=self._caption(rows, len(rows) - len(shown)),
            caption_justify="left",
        )
        table.add_column(m("calibrate.live_node"), overflow="fold", ratio=3)
        table.add_column(m("calibrate.live_presence"), overflow="fold", ratio=2)
        for key in _FIGURE_COLUMNS:
            table.add_column(m(key), justify="right", no_wrap=True)
        for row in shown:
            presence = escape(row.presence)
            table.add_row(
                escape(row.field_node),
                presence if row.presence == "online" else f"[yellow]{presence}[/yellow]",
                str(row.published),
                str(row.received),
                str(row.actuated),
                "–" if row.latency_ms is None else f"{row.latency_ms:.1f}",
                f"[red]{row.rejected}[/red]" if row.rejected else "0",
            )
        return table

    def _caption(self, rows: list[LiveRow], hidden: int) -> str:
        m = self._m
        totals = m(
            "calibrate.live_totals",
            online=sum(r.presence == "online" for r in rows),
            nodes=len(rows),
            published=sum(r.published for r in rows),
            received=sum(r.received for r in rows),
            actuated=sum(r.actuated for r in rows),
            rejected=sum(r.rejected for r in rows),
        )
        return totals if not hidden else f"{totals}; {m('calibrate.live_more', count=hidden)}"

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        """As many rows as the terminal has lines for, up to MAX_ROWS."""
        height = options.height or options.max_height or console.height
        yield self.table(max(1, min(MAX_ROWS, height - _CHROME_LINES)))


_FIGURE_COLUMNS = (
    "calibrate.live_published",
    "calibrate.live_received",
    "calibrate.live_actuated",
    "calibrate.live_latency",
    "calibrate.live_rejected",
)


def show_live(console: Console, forced: bool | None, quiet: bool) -> bool:
    """Whether to show the live table: never with ``quiet``; else as ``forced`` says, or when ``console``
    writes to a terminal."""
    if quiet:
        return False
    return console.is_terminal if forced is None else forced


@contextmanager
def live_table(nodes: LiveNodes | None, console: Console) -> Iterator[None]:
    """The table redrawn on ``console`` while the block runs (nothing when ``nodes`` is None); it goes when
    the block ends, leaving the lines printed meanwhile and the report that follows."""
    if nodes is None:
        with nullcontext():
            yield
        return
    with Live(nodes, console=console, refresh_per_second=REFRESH_PER_S, transient=True, redirect_stderr=False):
        yield

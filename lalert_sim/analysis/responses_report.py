"""What incidents and responses did: outages, requests and their logistics, pools, cut-offs."""

from __future__ import annotations

from collections import Counter

from lalert_sim.analysis.figures import rounded
from lalert_sim.analysis.receipts import receipt_at
from lalert_sim.analysis.results import AffectedAlert, Outage, PoolUse, RequestTimes, ResponsesSummary, Roaming
from lalert_sim.analysis.topology_index import topology_index
from lalert_sim.engine.responses import Request, ResponseRecords
from lalert_sim.engine.simulation import RunResult

WORST_SHOWN = 10


def request_row(request: Request, until_s: float) -> RequestTimes:
    """One request's times: waits, transport, set-up, and how long the municipality was cut off."""
    wait = None if request.granted_s is None or request.requested_s is None else request.granted_s - request.requested_s
    end = request.restored_s if request.restored_s is not None else until_s
    return RequestTimes(
        equipment=request.equipment,
        municipality=request.code,
        node=request.node,
        cut_off_s=round(request.cut_off_s, 1),
        requested_s=rounded(request.requested_s, 1),
        wait_s=rounded(wait, 1),
        depot=request.depot,
        transport_s=rounded(request.transport_s, 1),
        setup_s=rounded(request.setup_s, 1),
        active_s=rounded(request.active_s, 1),
        cut_off_for_s=round(end - request.cut_off_s, 1),
        restored=request.restored_s is not None,
    )


def responses_summary(result: RunResult) -> ResponsesSummary | None:
    """What incidents and responses did; None when the scenario had no incidents or responses."""
    records = result.responses
    log = result.availability.rows
    if not log and (records is None or not (records.requests or records.roaming)):
        return None
    went_down = Counter((kind, cause) for _, kind, _, down, cause in log if down and cause != "dormant")
    requests = tuple(request_row(r, result.until_s) for r in records.requests) if records else ()
    waits = [r.wait_s for r in requests if r.wait_s is not None]
    return ResponsesSummary(
        outages=tuple(Outage(component=kind, cause=cause, count=n) for (kind, cause), n in sorted(went_down.items())),
        requests=requests,
        requests_waited=sum(1 for r in requests if r.wait_s is None or r.wait_s > 0),
        requests_never_served=sum(1 for r in requests if r.wait_s is None),
        longest_wait_s=max(waits, default=None),
        pools=_pools(records) if records else {},
        worst_cut_off=tuple(sorted(requests, key=lambda r: -r.cut_off_for_s)[:WORST_SHOWN]),
        roaming=tuple(Roaming(carrier=c, partner=p, active_s=rounded(t, 1)) for c, p, t in records.roaming)
        if records
        else (),
        affected_alerts=_affected_alerts(result),
    )


def _pools(records: ResponseRecords) -> dict[str, PoolUse]:
    series: dict[str, list[tuple[float, int, int]]] = {}
    for time, equipment, in_use, waiting in records.pool_log:
        series.setdefault(equipment, []).append((round(time, 1), in_use, waiting))
    return {
        equipment: PoolUse(
            max_in_use=max(in_use for _, in_use, _ in rows),
            max_waiting=max(waiting for _, _, waiting in rows),
            series=tuple(rows),
        )
        for equipment, rows in series.items()
    }


def _affected_alerts(result: RunResult) -> tuple[AffectedAlert, ...]:
    """Per alert and cut-off municipality: reached late through a loaned unit, or never."""
    if result.responses is None:
        return ()
    index = topology_index(result.topology)
    node_index, link_index = index.position, index.link_position
    links = result.topology.links
    rows = []
    for alert in result.alerts:
        issue = alert.spec.issue_s
        for request in result.responses.requests:
            if request.substitute is None:
                continue  # a power vehicle restores the node itself
            receipt = receipt_at(alert, node_index[request.node]) if request.node in node_index else None
            substitute = link_index.get(request.substitute)
            target = links[substitute].targets[0] if substitute is not None else None
            via = receipt_at(alert, node_index[target]) if target else None
            if receipt is not None and (via is None or receipt[0] <= via[0]):
                continue  # its own path delivered
            rows.append(
                AffectedAlert(
                    alert=alert.spec.id,
                    municipality=request.code,
                    through=links[via[2]].id if via is not None and via[2] >= 0 else None,
                    after_issue_s=None if via is None else round(via[0] - issue, 1),
                )
            )
    return tuple(rows)

"""What incidents and responses did: outages, requests and their logistics, pools, cut-offs."""

from __future__ import annotations

from collections import Counter

from lalert_sim.engine.responses import Request
from lalert_sim.engine.simulation import RunResult


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def request_row(request: Request, until_s: float) -> dict:
    """One request's times: waits, transport, set-up, and how long the municipality was cut off."""
    wait = None if request.granted_s is None or request.requested_s is None else request.granted_s - request.requested_s
    end = request.restored_s if request.restored_s is not None else until_s
    return {
        "equipment": request.equipment,
        "municipality": request.code,
        "node": request.node,
        "cut_off_s": _r(request.cut_off_s),
        "requested_s": _r(request.requested_s),
        "wait_s": _r(wait),
        "depot": request.depot,
        "transport_s": _r(request.transport_s),
        "setup_s": _r(request.setup_s),
        "active_s": _r(request.active_s),
        "cut_off_for_s": _r(end - request.cut_off_s),
        "restored": request.restored_s is not None,
    }


def responses_summary(result: RunResult) -> dict | None:
    """The response part of summary.json; None when the scenario had no incidents or responses."""
    records = result.responses
    log = result.availability.rows
    if not log and (records is None or not (records.requests or records.roaming)):
        return None
    went_down = Counter((kind, cause) for _, kind, _, down, cause in log if down and cause != "dormant")
    requests = [request_row(r, result.until_s) for r in records.requests] if records else []
    by_pool: dict[str, dict] = {}
    for time, equipment, in_use, waiting in records.pool_log if records else []:
        entry = by_pool.setdefault(equipment, {"max_in_use": 0, "max_waiting": 0, "series": []})
        entry["max_in_use"] = max(entry["max_in_use"], in_use)
        entry["max_waiting"] = max(entry["max_waiting"], waiting)
        entry["series"].append([round(time, 1), in_use, waiting])
    waits = [r["wait_s"] for r in requests if r["wait_s"] is not None]
    cut = sorted(requests, key=lambda r: -(r["cut_off_for_s"] or 0))
    return {
        "outages": [{"component": kind, "cause": cause, "count": n} for (kind, cause), n in sorted(went_down.items())],
        "requests": requests,
        "requests_waited": sum(1 for r in requests if r["wait_s"] is None or r["wait_s"] > 0),
        "requests_never_served": sum(1 for r in requests if r["wait_s"] is None),
        "longest_wait_s": max(waits, default=None),
        "pools": by_pool,
        "worst_cut_off": cut[:10],
        "roaming": [{"carrier": c, "partner": p, "active_s": _r(t)} for c, p, t in records.roaming] if records else [],
        "affected_alerts": _affected_alerts(result),
    }


def _affected_alerts(result: RunResult) -> list[dict]:
    """Per alert and cut-off municipality: reached late through a loaned unit, or never."""
    if result.responses is None:
        return []
    node_index = {node_id: i for i, node_id in enumerate(result.topology.nodes)}
    links = result.topology.links
    link_index = {link.id: i for i, link in enumerate(links)}
    rows = []
    for alert in result.alerts:
        issue = alert.spec.issue_s
        for request in result.responses.requests:
            if request.equipment == "power_vehicle":
                continue
            receipt = alert.first.get(node_index[request.node]) if request.node in node_index else None
            substitute = link_index.get(f"loan/{request.equipment}/{request.code}")
            target = links[substitute].targets[0] if substitute is not None else None
            via = alert.first.get(node_index[target]) if target else None
            if receipt is not None and (via is None or receipt[0] <= via[0]):
                continue  # its own path delivered
            rows.append(
                {
                    "alert": alert.spec.id,
                    "municipality": request.code,
                    "through": links[via[2]].id if via is not None and via[2] >= 0 else None,
                    "after_issue_s": None if via is None else round(via[0] - issue, 1),
                }
            )
    return rows

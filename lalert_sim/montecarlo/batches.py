"""Batch files of a sweep: rows that say which scenario, master seed and replications they were made for.

A batch is reused by ``--resume`` only when all of that matches the sweep and
its rows are whole (their checksum holds, each replication exactly once).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from lalert_sim.atomic import write_text
from lalert_sim.errors import LalertError
from lalert_sim.model.loader import parse_yaml
from lalert_sim.montecarlo.replicate import Row

Pairs = list[tuple[int, int]]  # (replication index, seed)


class StaleBatch(Exception):
    """A batch file that cannot be reused; the message says why."""


@dataclass(frozen=True)
class BatchIdentity:
    """What a batch's rows depend on besides its replications."""

    scenario_sha256: str
    master_seed: int


def scenario_digest(path: Path, text: str) -> str:
    """sha256 of the scenario and of the files it names (municipality table, CAP alerts)."""
    digest = hashlib.sha256(text.encode("utf-8"))
    for referenced in _referenced_files(path, text):
        digest.update(str(referenced).encode("utf-8") + b"\0")
        digest.update(referenced.read_bytes() if referenced.is_file() else b"(missing)")
    return digest.hexdigest()


def _referenced_files(path: Path, text: str) -> list[Path]:
    try:
        data, _lines = parse_yaml(text, str(path))
    except LalertError:
        return []
    if not isinstance(data, dict):
        return []
    names = []
    topology = data.get("topology")
    if isinstance(topology, dict) and isinstance(topology.get("municipality_table"), str):
        names.append(topology["municipality_table"])
    alerts = data.get("alerts")
    for alert in alerts if isinstance(alerts, list) else []:
        if isinstance(alert, dict) and isinstance(alert.get("cap"), str):
            names.append(alert["cap"])
    return [path.parent / name for name in names]


def batch_name(batch: Pairs) -> str:
    """The file name of a batch: its first and last replication."""
    return f"batch-{batch[0][0]:07d}-{batch[-1][0]:07d}.json"


def _rows_sha256(rows: object) -> str:
    return hashlib.sha256(json.dumps(rows, sort_keys=True, allow_nan=True).encode("utf-8")).hexdigest()


def write_batch(path: Path, identity: BatchIdentity, batch: Pairs, rows: list[Row]) -> None:
    """A finished batch, atomically, with what it was made for and its rows' checksum."""
    record = {
        "scenario_sha256": identity.scenario_sha256,
        "master_seed": identity.master_seed,
        "replications": [list(pair) for pair in batch],
        "rows_sha256": _rows_sha256(rows),
        "rows": rows,
    }
    write_text(path, json.dumps(record, allow_nan=True) + "\n")


def read_batch(path: Path, identity: BatchIdentity, batch: Pairs) -> list[Row]:
    """The rows of a batch file made for this sweep's ``batch``; StaleBatch says why not."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StaleBatch(f"unreadable (truncated or corrupt: {exc})") from None
    if not isinstance(record, dict) or not isinstance(record.get("rows"), list):
        raise StaleBatch("not a batch file of this version of lalert-sim")
    if record.get("master_seed") != identity.master_seed:
        raise StaleBatch(f"written for seed {record.get('master_seed')}, this sweep's seed is {identity.master_seed}")
    if record.get("scenario_sha256") != identity.scenario_sha256:
        raise StaleBatch("written for another version of the scenario (or of a file it names)")
    rows = record["rows"]
    if record.get("rows_sha256") != _rows_sha256(rows):
        raise StaleBatch("its rows do not match their checksum")
    wanted = [list(pair) for pair in batch]
    found = [[row.get("replication"), row.get("seed")] if isinstance(row, dict) else None for row in rows]
    if record.get("replications") != wanted or found != wanted:
        raise StaleBatch("rows missing, duplicated or of other replications")
    return rows  # type: ignore[no-any-return]  # checked above: a dict per replication of the batch

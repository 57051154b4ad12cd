"""From a control request of the page to the fields of a scenario action (model/actions.py), at the
simulation time the engine applies it: what ``actions:`` of a recorded ``drill.yaml`` will hold."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lalert_sim.console.protocol import CLOCK_ACTIONS, Action, action_of

MAX_UPLOAD_BYTES = 1024 * 1024
"""Largest alert file the page may upload (a CAP or JMA message is a few kilobytes)."""
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+|\.{2,}")
_FIELDS: dict[Action, frozenset[str]] = {
    Action.ISSUE: frozenset({"alert"}),
    Action.CAP: frozenset({"name", "content"}),
    Action.INCIDENT: frozenset({"incident"}),
    Action.UPDATE: frozenset({"alert", "id", "headline"}),
    Action.CANCEL: frozenset({"alert", "id", "headline"}),
}
"""The fields each scenario action's request may carry (besides ``action``)."""


def upload_name(name: object, number: int) -> str:
    """A safe file name for the ``number``-th uploaded alert file (its own name's letters, kept apart)."""
    stem = _SAFE_NAME.sub("_", name if isinstance(name, str) else "")[-80:].strip("._") or "alert.xml"
    return f"{number:03d}-{stem}"


def action_fields(body: Mapping[str, Any], at_s: float, uploads: Path) -> dict[str, Any]:
    """The scenario action a control request asks for, as model/actions.py reads it: ``do`` from
    ``action``, ``at_s``, the request's own fields; an uploaded file (``cap``: ``name`` and ``content``)
    written under ``uploads`` and named by its absolute path. ValueError for a request that is not one."""
    action = action_of(body)
    if action in CLOCK_ACTIONS:
        raise ValueError(f"{action.value} steers the clock; it is not a scenario action")
    allowed = _FIELDS[action]
    unknown = sorted(set(body) - allowed - {"action"})
    if unknown:
        raise ValueError(
            f"{action.value}: unknown field(s) {', '.join(unknown)}; it takes {', '.join(sorted(allowed))}"
        )
    fields: dict[str, Any] = {"at_s": at_s, "do": action.value}
    if action is Action.CAP:
        content = body.get("content")
        if not isinstance(content, str) or not content.strip():
            raise ValueError("cap: content must be the alert file's text")
        data = content.encode("utf-8")
        if len(data) > MAX_UPLOAD_BYTES:
            raise ValueError(f"cap: the file may hold at most {MAX_UPLOAD_BYTES:,} bytes; it has {len(data):,}")
        uploads.mkdir(parents=True, exist_ok=True)
        path = uploads / upload_name(body.get("name"), len(list(uploads.iterdir())) + 1)
        path.write_bytes(data)
        fields["file"] = str(path.resolve())
        return fields
    return fields | {name: body[name] for name in allowed if name in body}

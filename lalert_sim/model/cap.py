"""OASIS CAP 1.2 in and out: read an alert from CAP XML, write any alert as CAP XML.

Untrusted XML is parsed with entity expansion, DTDs and external references
forbidden (defusedxml), then validated against the packaged OASIS CAP 1.2
schema (lxml, no network). Fields CAP cannot say (which national system, where
it enters, when in the scenario) travel as ``lalert-sim:*`` parameters, so an
exported alert imports back unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from lxml import etree
from pydantic import TypeAdapter, ValidationError

from lalert_sim.errors import Problem, ScenarioError, shown
from lalert_sim.model.alerts import Alert, AlertCategory, AlertMode, AlertSystem, MessageKind
from lalert_sim.model.areas import canonical_area, check_digit
from lalert_sim.model.base import Epoch, Frozen
from lalert_sim.model.files import CAP_MAX_BYTES, read_bounded
from lalert_sim.model.xml_safety import check_schema, packaged_schema, parse_safely

NS = "urn:oasis:names:tc:emergency:cap:1.2"
_Q = f"{{{NS}}}"
JIS_CODE_NAMES = {"jis x 0402", "jisx0402", "jis x 0401", "jisx0401", "lgcode", "local government code"}
PARAMETER = "lalert-sim:"
MAX_ALERTS = 200
"""Most alerts one scenario may inject (CAP entries included)."""
J_ALERT_CATEGORIES = {
    AlertCategory.BALLISTIC_MISSILE,
    AlertCategory.EARTHQUAKE_EARLY_WARNING,
    AlertCategory.MAJOR_TSUNAMI_WARNING,
    AlertCategory.TSUNAMI_WARNING,
    AlertCategory.TSUNAMI_ADVISORY,
}
_MODE_OF_STATUS = {
    "Actual": AlertMode.ACTUAL,
    "Exercise": AlertMode.EXERCISE,
    "Test": AlertMode.TEST,
    "System": AlertMode.TEST,
    "Draft": AlertMode.TEST,
}
_STATUS_OF_MODE = {AlertMode.ACTUAL: "Actual", AlertMode.EXERCISE: "Exercise", AlertMode.TEST: "Test"}
# CAP msgType and the chain kind it means (Ack and Error are not messages to the public: no chain).
_KIND_OF_MSG_TYPE = {"Alert": MessageKind.ISSUE, "Update": MessageKind.UPDATE, "Cancel": MessageKind.CANCEL}
_MSG_TYPE_OF_KIND = {
    MessageKind.ISSUE: "Alert",
    MessageKind.UPDATE: "Update",
    MessageKind.CORRECTION: "Update",
    MessageKind.CANCEL: "Cancel",
    MessageKind.LIFT: "Cancel",
}
_CHAIN_PARAMETERS = ("chain_event", "chain_serial", "chain_kind", "chain_references")
# Words in a CAP <event> (English or Japanese) that say which of our categories it is, most specific first.
_EVENT_WORDS = [
    (AlertCategory.MAJOR_TSUNAMI_WARNING, ("major tsunami", "大津波")),
    (AlertCategory.TSUNAMI_ADVISORY, ("tsunami advisory", "津波注意報")),
    (AlertCategory.TSUNAMI_WARNING, ("tsunami", "津波")),
    (AlertCategory.EARTHQUAKE_EARLY_WARNING, ("earthquake early warning", "緊急地震速報")),
    (AlertCategory.BALLISTIC_MISSILE, ("missile", "ミサイル")),
    (AlertCategory.EMERGENCY_SAFETY_ASSURANCE, ("emergency safety", "緊急安全確保")),
    (AlertCategory.EVACUATION_ORDER, ("evacuat", "避難指示")),
    (AlertCategory.SHELTER_OPENING, ("shelter", "避難所")),
]
_CAP_CATEGORY = {
    AlertCategory.BALLISTIC_MISSILE: "Security",
    AlertCategory.EARTHQUAKE_EARLY_WARNING: "Geo",
    AlertCategory.MAJOR_TSUNAMI_WARNING: "Geo",
    AlertCategory.TSUNAMI_WARNING: "Geo",
    AlertCategory.TSUNAMI_ADVISORY: "Geo",
    AlertCategory.EVACUATION_ORDER: "Safety",
    AlertCategory.EMERGENCY_SAFETY_ASSURANCE: "Safety",
    AlertCategory.SHELTER_OPENING: "Safety",
    AlertCategory.TEST: "Other",
    AlertCategory.OTHER: "Other",
}


class CapInfo(Frozen):
    """What a CAP message said beyond our alert model, kept for the way back out."""

    sender: str
    """CAP ``sender``: who issued the message (e.g. an agency's address)."""
    sent: Epoch
    """CAP ``sent``: when the message was issued, with its time zone (years 1900 to 2200)."""
    status: str
    """CAP ``status`` as written: Actual, Exercise, System, Test or Draft."""
    msg_type: str
    """CAP ``msgType``: Alert, Update, Cancel, Ack or Error."""
    scope: str
    """CAP ``scope``: Public, Restricted or Private."""
    references: str = ""
    """CAP ``references``: the earlier messages this one updates or cancels; default none."""
    event: str = ""
    """CAP ``info/event``: the sender's words for what happened; default none."""
    categories: list[str] = []
    """CAP ``info/category`` values (Geo, Met, Safety, Security, ...); default none."""
    urgency: str = "Unknown"
    """CAP ``info/urgency``: Immediate, Expected, Future, Past or Unknown (the default)."""
    severity: str = "Unknown"
    """CAP ``info/severity``: Extreme, Severe, Moderate, Minor or Unknown (the default)."""
    certainty: str = "Unknown"
    """CAP ``info/certainty``: Observed, Likely, Possible, Unlikely or Unknown (the default)."""
    description: str = ""
    """CAP ``info/description``: the message's longer text; default none."""
    area_desc: str = ""
    """CAP ``area/areaDesc`` texts, joined by "; "; default none."""


def validate_cap(data: bytes, name: str) -> etree._Element:
    """Parse untrusted CAP bytes safely and check them against the CAP 1.2 schema; ScenarioError if not.

    Messages name the file, the line and what was expected, never the file's text.
    """
    root = parse_safely(data, name, "CAP", CAP_MAX_BYTES)
    if root.tag != f"{_Q}alert":
        raise ScenarioError(
            [
                Problem(
                    f"not a CAP 1.2 alert: root element is {shown(root.tag, 80)}, expected 'alert' in namespace {NS}",
                    file=name,
                    line=root.sourceline,
                )
            ]
        )
    check_schema(root, packaged_schema("lalert_sim.data", "CAP-v1.2.xsd"), "CAP 1.2", name)
    return root


def _text(element: etree._Element | None, tag: str, default: str = "") -> str:
    found = None if element is None else element.find(f"{_Q}{tag}")
    return (found.text or "").strip() if found is not None else default


def _category_of(event: str, urgency: str) -> AlertCategory:
    lowered = event.lower()
    for category, words in _EVENT_WORDS:
        if any(word in lowered for word in words):
            return category
    if ("earthquake" in lowered or "地震" in lowered) and urgency == "Immediate":
        return AlertCategory.EARTHQUAKE_EARLY_WARNING  # shaking still to come; a report of a past quake is not
    return AlertCategory.OTHER


def read_cap(path: Path, name: str | None = None) -> Alert:
    """The alert in a CAP 1.2 file (validated, safely parsed); ScenarioError naming file and problem."""
    return parse_cap(read_bounded(path, CAP_MAX_BYTES, "CAP file"), name or str(path))


_EPOCH: TypeAdapter[datetime] = TypeAdapter(Epoch)
# Our fields that a lalert-sim:* parameter may set, and the CAP elements the others come from.
_OUR_PARAMETERS = ("system", "category", "issue_s", "size_bytes", "origin")
_CAP_ELEMENT = {
    "id": "identifier",
    "mode": "status",
    "areas": "area/geocode",
    "headline": "info/headline",
    "chain": "msgType/references",
}


def parse_cap(data: bytes, name: str) -> Alert:
    """The alert in CAP 1.2 bytes (validated, safely parsed)."""
    root = validate_cap(data, name)
    info = root.find(f"{_Q}info")  # CAP allows none: a parser must not assume it
    parameters = (
        {} if info is None else {_text(p, "valueName"): _text(p, "value") for p in info.findall(f"{_Q}parameter")}
    )
    ours = {k[len(PARAMETER) :]: v for k, v in parameters.items() if k.startswith(PARAMETER)}
    event = _text(info, "event")
    category: AlertCategory | None = _category_of(event, _text(info, "urgency"))
    if "category" in ours:
        category = AlertCategory(ours["category"]) if ours["category"] in set(AlertCategory) else None
    areas, area_desc = _areas(info, name)
    identifier = _text(root, "identifier")
    fields: dict[str, Any] = {
        "id": _as_id(identifier),
        "system": AlertSystem.J_ALERT if category in J_ALERT_CATEGORIES else AlertSystem.L_ALERT,
        "category": category,
        "mode": _MODE_OF_STATUS.get(_text(root, "status")),
        "areas": areas,
        "issue_s": 0.0,
        "size_bytes": len(data),
        "headline": _text(info, "headline"),
        **{key: ours[key] for key in _OUR_PARAMETERS if key in ours},  # checked like the rest, below
        "cap_info": CapInfo(
            sender=_text(root, "sender"),
            sent=_sent(root, name),
            status=_text(root, "status"),
            msg_type=_text(root, "msgType"),
            scope=_text(root, "scope"),
            references=_text(root, "references"),
            event=event,
            categories=[] if info is None else [(c.text or "") for c in info.findall(f"{_Q}category")],
            urgency=_text(info, "urgency", "Unknown"),
            severity=_text(info, "severity", "Unknown"),
            certainty=_text(info, "certainty", "Unknown"),
            description=_text(info, "description"),
            area_desc=area_desc,
        ),
        "chain": _chain(root, ours),
    }
    try:
        return Alert.model_validate(fields)
    except ValidationError as exc:
        raise ScenarioError([_field_problem(error["loc"], error["msg"], name) for error in exc.errors()]) from None


def _as_id(identifier: str) -> str:
    """A CAP identifier as an alert id (characters outside the Id pattern become ``_``)."""
    return re.sub(r"[^A-Za-z0-9_.:/-]", "_", identifier)


def referenced_ids(references: str) -> list[str]:
    """The alert ids a CAP ``references`` text names: its "sender,identifier,sent" triples, in order."""
    triples = [triple.split(",") for triple in references.split()]
    return [_as_id(parts[1]) for parts in triples if len(parts) == 3 and parts[1]]


def _chain(root: etree._Element, ours: dict[str, str]) -> dict[str, Any] | None:
    """The message's chain from msgType and references (event: the first referenced message, else this one;
    serial: one more than the messages referenced), or exactly as our ``lalert-sim:chain_*`` parameters say.

    None for Ack and Error, and for an Alert that references nothing: a plain message, which heads the
    chain named by its own id should a later Update or Cancel reference it.
    """
    kind = _KIND_OF_MSG_TYPE.get(_text(root, "msgType"))
    references = referenced_ids(_text(root, "references"))
    if kind is None or (kind is MessageKind.ISSUE and not references and "chain_event" not in ours):
        return None
    chain: dict[str, Any] = {
        "event": references[0] if references else _as_id(_text(root, "identifier")),
        "serial": len(references) + 1,
        "kind": kind,
        "references": references,
    }
    for key in _CHAIN_PARAMETERS:
        if key in ours:
            chain[key.removeprefix("chain_")] = ours[key].split() if key == "chain_references" else ours[key]
    return chain


def _field_problem(loc: tuple[str | int, ...], message: str, name: str) -> Problem:
    field = str(loc[0]) if loc else ""
    where = f"parameter {PARAMETER}{field}" if field in _OUR_PARAMETERS else f"<{_CAP_ELEMENT.get(field, field)}>"
    return Problem(f"{where}: {message.removeprefix('Value error, ')}", file=name)


def _sent(root: etree._Element, name: str) -> datetime:
    """CAP ``sent`` as a datetime; a clear error for what Python's dates cannot hold (24:00:00, year 0)."""
    text = _text(root, "sent")
    try:
        return _EPOCH.validate_python(datetime.fromisoformat(text))
    except (ValueError, ValidationError):
        element = root.find(f"{_Q}sent")
        problem = (
            "<sent>: not a date and time this program can use: write hours 00 to 23 "
            "(not 24:00:00) and a year from 1900 to 2200"
        )
        raise ScenarioError(
            [Problem(problem, file=name, line=None if element is None else element.sourceline)]
        ) from None


def _areas(info: etree._Element | None, name: str) -> tuple[list[str], str]:
    codes, descriptions = [], []
    for area in [] if info is None else info.findall(f"{_Q}area"):
        descriptions.append(_text(area, "areaDesc"))
        for geocode in area.findall(f"{_Q}geocode"):
            if _text(geocode, "valueName").lower() in JIS_CODE_NAMES:
                try:
                    codes.append(canonical_area(_text(geocode, "value")))
                except ValueError as exc:
                    raise ScenarioError([Problem(f"geocode: {exc}", file=name, line=geocode.sourceline)]) from None
    return codes, "; ".join(d for d in descriptions if d)


def _sent_of(alert: Alert, epoch: datetime) -> datetime:
    """When the alert was sent: its CAP ``sent``, else the epoch plus its issue time (JST when naive)."""
    sent = alert.cap_info.sent if alert.cap_info is not None else (epoch + timedelta(seconds=alert.issue_s))
    return sent if sent.tzinfo is not None else sent.replace(tzinfo=timezone(timedelta(hours=9)))


def _references(alert: Alert, epoch: datetime, others: Sequence[Alert]) -> str:
    """CAP ``references``: as the source said, else a "sender,identifier,sent" triple per referenced alert
    found among ``others``."""
    if alert.cap_info is not None and alert.cap_info.references:
        return alert.cap_info.references
    if alert.chain is None:
        return ""
    by_id = {other.id: other for other in others}
    triples = []
    for other in (by_id[ref] for ref in alert.chain.references if ref in by_id):
        sender = other.cap_info.sender if other.cap_info else "lalert-sim"
        triples.append(f"{sender},{other.id},{_sent_of(other, epoch).replace(microsecond=0).isoformat()}")
    return " ".join(triples)


def write_cap(alert: Alert, epoch: datetime, others: Sequence[Alert] = ()) -> bytes:
    """The alert as a CAP 1.2 message (UTF-8 bytes), valid against the OASIS schema.

    A chained alert says its msgType (Update for updates and corrections, Cancel for cancels and lifts) and
    its chain as ``lalert-sim:chain_*`` parameters; ``others`` (the scenario's alerts) give the sender and
    sent time of the messages it references.
    """
    cap = alert.cap_info
    sent = _sent_of(alert, epoch)
    root = etree.Element(f"{_Q}alert", nsmap={None: NS})

    def add(parent: etree._Element, tag: str, text: str) -> etree._Element:
        element = etree.SubElement(parent, f"{_Q}{tag}")
        element.text = text
        return element

    add(root, "identifier", alert.id)
    add(root, "sender", cap.sender if cap else "lalert-sim")
    add(root, "sent", sent.replace(microsecond=0).isoformat())
    add(root, "status", _STATUS_OF_MODE[alert.mode])
    chained = _MSG_TYPE_OF_KIND[alert.chain.kind] if alert.chain else "Alert"
    add(root, "msgType", cap.msg_type if cap else chained)
    add(root, "scope", cap.scope if cap else "Public")
    references = _references(alert, epoch, others)
    if references:
        add(root, "references", references)
    info = etree.SubElement(root, f"{_Q}info")
    for category in cap.categories if cap and cap.categories else [_CAP_CATEGORY[alert.category]]:
        add(info, "category", category)
    add(info, "event", cap.event if cap and cap.event else alert.category.value.replace("_", " "))
    immediate = alert.system is AlertSystem.J_ALERT
    add(info, "urgency", cap.urgency if cap else ("Immediate" if immediate else "Expected"))
    add(info, "severity", cap.severity if cap else ("Extreme" if immediate else "Severe"))
    add(info, "certainty", cap.certainty if cap else ("Observed" if immediate else "Likely"))
    if alert.headline:
        add(info, "headline", alert.headline)
    if cap and cap.description:
        add(info, "description", cap.description)
    ours = {
        "system": alert.system.value,
        "category": alert.category.value,
        "issue_s": repr(alert.issue_s),
        "size_bytes": str(alert.size_bytes),
        **({"origin": alert.origin} if alert.origin else {}),
        **(
            {
                "chain_event": alert.chain.event,
                "chain_serial": str(alert.chain.serial),
                "chain_kind": alert.chain.kind.value,
                **({"chain_references": " ".join(alert.chain.references)} if alert.chain.references else {}),
            }
            if alert.chain
            else {}
        ),
    }
    for key, value in ours.items():
        parameter = etree.SubElement(info, f"{_Q}parameter")
        add(parameter, "valueName", PARAMETER + key)
        add(parameter, "value", value)
    area = etree.SubElement(info, f"{_Q}area")
    add(
        area,
        "areaDesc",
        (cap.area_desc if cap and cap.area_desc else None)
        or (", ".join(alert.areas) if alert.areas else "Japan (nationwide)"),
    )
    for code in alert.areas:
        geocode = etree.SubElement(area, f"{_Q}geocode")
        add(geocode, "valueName", "JIS X 0401" if len(code) == 2 else "JIS X 0402")
        add(geocode, "value", code if len(code) == 2 else code + check_digit(code))
    document: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)  # lxml: untyped
    return document

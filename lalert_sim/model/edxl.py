"""OASIS EDXL-DE 1.0 out and in: L-Alert's envelope around the CAP 1.2 message of an alert.

L-Alert carries its messages in an EDXL Distribution Element (DOMAIN.md). ``write_edxl``
wraps ``write_cap``'s CAP as the envelope's embedded XML content; ``parse_edxl`` reads
every CAP alert inside through ``parse_cap``. Untrusted XML is parsed with DTDs,
entities and external references refused (defusedxml), then validated offline against
the packaged OASIS EDXL-DE 1.0 schema and the specification's rules the schema cannot
say (a time zone on ``dateTimeSent``; an envelope and its content agreeing on whether
the message is real).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path

from lxml import etree

from lalert_sim.errors import Problem, ScenarioError, shown
from lalert_sim.model.alerts import Alert, AlertMode, MessageKind
from lalert_sim.model.cap import MAX_ALERTS, parse_cap, write_cap
from lalert_sim.model.cap import NS as CAP_NS
from lalert_sim.model.files import MIB, read_bounded
from lalert_sim.model.xml_safety import check_schema, packaged_schema, parse_safely

NS = "urn:oasis:names:tc:emergency:EDXL:DE:1.0"
"""The EDXL-DE 1.0 namespace."""
_Q = f"{{{NS}}}"
_CAP_Q = f"{{{CAP_NS}}}"
EDXL_MAX_BYTES = 4 * MIB
"""Largest EDXL-DE file read: room for many CAP alerts of a few KiB each."""
SENDER_ID = "l-alert@lalert-sim"
"""The envelope's ``senderID``: the L-Alert platform that distributes the message (actor@domain)."""
CONFIDENTIALITY = "UNCLASSIFIED AND NOT SENSITIVE"
"""``combinedConfidentiality`` of a public warning."""
COUNTRY = "JP"
"""``targetArea/country`` (ISO 3166-1 alpha-2) of every message."""
DISTRIBUTION_STATUS = {AlertMode.ACTUAL: "Actual", AlertMode.EXERCISE: "Exercise", AlertMode.TEST: "Test"}
"""``distributionStatus`` of each alert mode: a drill never says Actual."""
DISTRIBUTION_TYPE = {
    MessageKind.ISSUE: "Report",
    MessageKind.UPDATE: "Update",
    MessageKind.CORRECTION: "Update",
    MessageKind.CANCEL: "Cancel",
    MessageKind.LIFT: "Cancel",
}
"""``distributionType`` of each message kind (EDXL-DE has no lift or correction of its own)."""
_TYPE_OF_MSG_TYPE = {"Update": "Update", "Cancel": "Cancel", "Ack": "Ack", "Error": "Error"}  # CAP msgType, no chain
_ACTUAL = {"Actual"}  # the one status, in the envelope or the CAP inside, that means a real warning


def _schema() -> etree.XMLSchema:
    return packaged_schema("lalert_sim.data", "EDXL-DE-v1.0.xsd")


def write_edxl(alert: Alert, epoch: datetime, earlier: Mapping[str, Alert] | None = None) -> bytes:
    """The alert as an EDXL-DE 1.0 envelope (UTF-8 bytes) around its CAP 1.2 message, valid against the schema.

    ``distributionStatus`` follows the alert's mode and ``distributionType`` its chain (Report,
    Update, Cancel); the earlier alerts it names in its chain, when given in ``earlier``, are
    written as ``distributionReference``.
    """
    cap = _cap_root(alert, epoch, tuple(earlier.values()) if earlier else ())
    sent = cap.findtext(f"{_CAP_Q}sent") or ""
    root = etree.Element(f"{_Q}EDXLDistribution", nsmap={None: NS})

    def add(parent: etree._Element, tag: str, text: str) -> etree._Element:
        element = etree.SubElement(parent, f"{_Q}{tag}")
        element.text = text
        return element

    add(root, "distributionID", alert.id)
    add(root, "senderID", SENDER_ID)
    add(root, "dateTimeSent", sent)
    add(root, "distributionStatus", DISTRIBUTION_STATUS[alert.mode])
    add(root, "distributionType", _distribution_type(alert))
    add(root, "combinedConfidentiality", CONFIDENTIALITY)
    for reference in _references(alert, epoch, earlier or {}):
        add(root, "distributionReference", reference)
    area = etree.SubElement(root, f"{_Q}targetArea")
    add(area, "country", COUNTRY)
    for prefecture in sorted({code[:2] for code in alert.areas}):
        add(area, "subdivision", f"{COUNTRY}-{prefecture}")  # ISO 3166-2:JP; municipalities are in the CAP
    content = etree.SubElement(root, f"{_Q}contentObject")
    add(content, "contentDescription", alert.headline or alert.category.value.replace("_", " "))
    if alert.chain is not None:
        add(content, "incidentID", alert.chain.event)
    embedded = etree.SubElement(etree.SubElement(content, f"{_Q}xmlContent"), f"{_Q}embeddedXMLContent")
    embedded.append(cap)
    document: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)  # lxml: untyped
    return document


def _cap_root(alert: Alert, epoch: datetime, others: tuple[Alert, ...]) -> etree._Element:
    """The alert's CAP message as an element (its blank text dropped, so the envelope indents it); a chained
    alert's CAP references the ``others`` it names, as the CAP file does."""
    document = write_cap(alert, epoch, others)
    return etree.fromstring(document, etree.XMLParser(remove_blank_text=True, no_network=True))


def _distribution_type(alert: Alert) -> str:
    if alert.chain is not None:
        return DISTRIBUTION_TYPE[alert.chain.kind]
    return _TYPE_OF_MSG_TYPE.get(alert.cap_info.msg_type if alert.cap_info else "", "Report")


def _references(alert: Alert, epoch: datetime, earlier: Mapping[str, Alert]) -> Iterable[str]:
    """``distributionID,senderID,dateTimeSent`` of each earlier message of the chain that is known."""
    for ref in alert.chain.references if alert.chain else []:
        if ref in earlier:
            sent = _cap_root(earlier[ref], epoch, ()).findtext(f"{_CAP_Q}sent")
            yield f"{ref},{SENDER_ID},{sent}"


def is_edxl(data: bytes) -> bool:
    """Whether these bytes look like an EDXL-DE document (its root element), before any parsing.

    A cheap look at the start of the file to choose a reader; the reader still checks everything.
    """
    head = re.sub(rb"<!--.*?-->|<\?.*?\?>", b"", data[:8192], flags=re.DOTALL)
    doctype = rb"<!DOCTYPE[^\[>]*(?:\[.*?\]\s*)?>\s*"  # with its internal subset: refused later, but as EDXL-DE
    return (
        re.match(rb"\s*(?:" + doctype + rb")?<(?:[A-Za-z_][\w.-]*:)?EDXLDistribution[\s/>]", head, re.DOTALL)
        is not None
    )


def read_edxl(path: Path, name: str | None = None) -> list[Alert]:
    """The alerts in an EDXL-DE 1.0 file (validated, safely parsed); ScenarioError naming file and problem."""
    return parse_edxl(read_bounded(path, EDXL_MAX_BYTES, "EDXL-DE file"), name or str(path))


def validate_edxl(data: bytes, name: str) -> etree._Element:
    """Parse untrusted EDXL-DE bytes safely and check them against the EDXL-DE 1.0 schema and rules.

    ScenarioError if not; messages name the file, the line and what was expected, never the file's text.
    """
    root = _parse_safely(data, name)
    if root.tag != f"{_Q}EDXLDistribution":
        problem = (
            f"not an EDXL-DE 1.0 distribution: root element is {shown(root.tag, 80)}, "
            f"expected 'EDXLDistribution' in namespace {NS}"
        )
        raise ScenarioError([Problem(problem, file=name, line=root.sourceline)])
    check_schema(root, _schema(), "EDXL-DE 1.0", name)
    sent = root.find(f"{_Q}dateTimeSent")
    assert sent is not None  # the schema requires it
    if not re.search(r"(Z|[+-]\d\d:\d\d)$", (sent.text or "").strip()):
        problem = "<dateTimeSent>: must include its offset from UTC (e.g. 2024-01-01T16:10:00+09:00)"
        raise ScenarioError([Problem(problem, file=name, line=sent.sourceline)])
    return root


def _parse_safely(data: bytes, name: str) -> etree._Element:
    """The root of untrusted XML on the shared hardened path (``xml_safety``), with EDXL-DE's size limit."""
    return parse_safely(data, name, "EDXL-DE", EDXL_MAX_BYTES)


def parse_edxl(data: bytes, name: str) -> list[Alert]:
    """The alerts in EDXL-DE 1.0 bytes: each CAP 1.2 alert embedded in a content object, in order.

    Content that is not CAP 1.2 is refused by name, and so is an envelope whose status and a CAP
    inside disagree on whether the message is real (Actual against Exercise, Test or System).
    """
    root = validate_edxl(data, name)
    status = root.findtext(f"{_Q}distributionStatus") or ""
    alerts: list[Alert] = []
    problems: list[Problem] = []
    contents = root.findall(f"{_Q}contentObject")
    for number, content in enumerate(contents, start=1):
        where = f"contentObject {number}"
        if content.find(f"{_Q}xmlContent") is None:
            problem = f"{where}: holds no XML content; only CAP 1.2 is read"
            problems.append(Problem(problem, file=name, line=content.sourceline))
            continue
        embedded = content.findall(f"{_Q}xmlContent/{_Q}embeddedXMLContent/*")
        for element in embedded:
            if element.tag != f"{_CAP_Q}alert":
                found = f"{where}: holds {shown(element.tag, 80)}; only CAP 1.2 alerts (namespace {CAP_NS}) are read"
                problems.append(Problem(found, file=name, line=element.sourceline))
            elif len(alerts) >= MAX_ALERTS:
                problems.append(Problem(f"more than {MAX_ALERTS} CAP alerts", file=name, line=element.sourceline))
                break
            else:
                alert = _embedded_cap(element, name)
                cap_status = element.findtext(f"{_CAP_Q}status") or ""
                if (status in _ACTUAL) != (cap_status in _ACTUAL):
                    disagree = (
                        f"{where}: the envelope's distributionStatus is {shown(status, 20)} but the CAP alert "
                        f"inside says status {shown(cap_status, 20)}: a message is either real or not"
                    )
                    problems.append(Problem(disagree, file=name, line=element.sourceline))
                alerts.append(alert)
        if not embedded:
            problems.append(Problem(f"{where}: no embedded XML content", file=name, line=content.sourceline))
    if not contents:
        problems.append(Problem("no contentObject: the envelope carries no message", file=name))
    if problems:
        raise ScenarioError(problems)
    return alerts


def _embedded_cap(element: etree._Element, name: str) -> Alert:
    """One embedded CAP alert through ``parse_cap``, its problems placed on the envelope's lines."""
    text = etree.tostring(element, encoding="unicode", with_tail=False).encode("utf-8")  # starts at the element's line
    try:
        return parse_cap(text, name)
    except ScenarioError as exc:
        start = element.sourceline or 1
        raise ScenarioError(
            [Problem(p.message, p.loc, name, start + (p.line or 1) - 1) for p in exc.problems]
        ) from None

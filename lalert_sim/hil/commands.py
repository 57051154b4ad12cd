"""The hardware-in-the-loop commands: bridge, node, provision, demo-hil.

Their libraries (aiomqtt, cryptography, gpiozero, amqtt) are the ``hil`` extra, imported only
when one of these commands runs; without them the command says what to install.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import signal
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from lalert_sim.errors import BridgeError, InvalidInput, LalertError
from lalert_sim.i18n import Language, messages
from lalert_sim.i18n.lines import pack_phrases
from lalert_sim.model.base import MAX_SECONDS
from lalert_sim.model.field_nodes import MAX_SPEED

if TYPE_CHECKING:
    from lalert_sim.engine.simulation import RunResult
    from lalert_sim.hil.bridge import Bridge, BridgeRun
    from lalert_sim.hil.broker import BrokerAddress
    from lalert_sim.hil.protocol import Signer
    from lalert_sim.model.field_nodes import FieldNodes
    from lalert_sim.prepare import Prepared

Quiet = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="No progress and no tables: only errors and the files written."),
]
Lang = Annotated[
    Language | None,
    typer.Option("--lang", help="Language of the latency report: en or ja (default: metadata.language)."),
]
Live = Annotated[
    bool | None,
    typer.Option(
        "--live/--no-live",
        help="A live table of the field nodes on stderr while the drill runs (default: when stderr is a "
        "terminal; never with -q).",
        show_default=False,
    ),
]
ScenarioArg = Annotated[
    Path, typer.Argument(help="Scenario file (YAML) with a field_nodes section.", show_default=False)
]
FLAGSHIP_HIL = "scenarios/field_nodes_missile_drill.yaml"
MAX_VIRTUAL_NODES = 10_000
"""Most virtual field nodes ``demo-hil`` starts on one machine."""


def check_run_options(
    speed: float | None = None,
    until: float | None = None,
    ack_deadline: float | None = None,
    nodes: int | None = None,
) -> None:
    """Refuse out-of-range run options naming the option (InvalidInput, exit 2), before anything starts;
    the bounds are the scenario's own for ``field_nodes`` (MAX_SPEED, MAX_SECONDS)."""
    if speed is not None and not 0 < speed <= MAX_SPEED:
        raise InvalidInput(
            f"--speed must be above 0 and at most {MAX_SPEED:,.0f} simulated seconds per second; got {speed:g}"
        )
    if until is not None and not 0 < until <= MAX_SECONDS:
        raise InvalidInput(f"--until must be a simulated second above 0, at most {MAX_SECONDS:,}; got {until:g}")
    if ack_deadline is not None and not 0 < ack_deadline <= MAX_SECONDS:
        raise InvalidInput(
            f"--ack-deadline must be a number of seconds above 0, at most {MAX_SECONDS:,}; got {ack_deadline:g}"
        )
    if nodes is not None and not 1 <= nodes <= MAX_VIRTUAL_NODES:
        raise InvalidInput(f"--nodes must be from 1 to {MAX_VIRTUAL_NODES:,}; got {nodes}")


RELAY_BASE_PORT = 18830
"""First relay port of ``bridge`` and ``provision``: the impaired field node at index k (binding order)
gets this + k, so both agree without being told."""
RelayPort = Annotated[
    int,
    typer.Option(
        help="First relay port: the impaired field node at index k (binding order) connects to this + k.",
        min=1,
        max=65535,
    ),
]
AllowOutsidePaths = Annotated[
    bool,
    typer.Option(
        "--allow-outside-paths", help="Let the scenario name files (tables, CAP alerts) outside its own folder."
    ),
]


def _hil_modules() -> None:
    try:
        import lalert_sim.hil.protocol  # noqa: F401  (cryptography)
        import lalert_sim.hil.transport  # noqa: F401  (aiomqtt)
    except ImportError as exc:
        raise BridgeError(
            f"this command needs the hil extra: pip install 'lalert-sim[hil]' ({exc.name} missing)"
        ) from None


def broker_address(url: str) -> BrokerAddress:
    """The ``--broker`` URL, its password from LALERT_BROKER_PASSWORD when the URL has none."""
    _hil_modules()
    from lalert_sim.hil.broker import BrokerAddress

    address = BrokerAddress.parse(url)
    if address.password is None and os.environ.get("LALERT_BROKER_PASSWORD"):
        address = address.with_credentials(address.username or "bridge", os.environ["LALERT_BROKER_PASSWORD"])
    return address


def signing_key(key: Path) -> Signer:
    """The ``--key`` signing key (InvalidInput when there is none, BridgeError when it cannot be read)."""
    _hil_modules()
    from lalert_sim.hil.protocol import Signer

    if not key.is_file():
        raise InvalidInput(f"--key {key}: no such signing key (lalert-sim provision writes one)")
    try:
        return Signer.from_file(key)
    except (OSError, ValueError) as exc:
        raise BridgeError(f"{key}: cannot read the signing key: {exc}") from None


def _bound_scenario(path: Path, missing: str, allow_outside_paths: bool = False) -> tuple[Prepared, FieldNodes]:
    """The prepared scenario and its field_nodes section, which it must have (``missing``: what is then impossible)."""
    from lalert_sim.prepare import load

    prepared = load(path, allow_outside_paths=allow_outside_paths)
    if prepared.scenario.field_nodes is None:
        raise BridgeError(f"{path}: field_nodes: missing ({missing})")
    return prepared, prepared.scenario.field_nodes


def _on_interrupt(loop: asyncio.AbstractEventLoop, action: Callable[[], object]) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, action)


def bridge(
    scenario: ScenarioArg,
    broker: Annotated[
        str, typer.Option(help="mqtt://USER:PASSWORD@HOST:PORT (password also from LALERT_BROKER_PASSWORD).")
    ] = "mqtt://bridge@127.0.0.1:1883",
    key: Annotated[Path, typer.Option(help="Ed25519 signing key (PEM); its file name is the key id.")] = Path(
        "keys/drill.key"
    ),
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the latency report.")] = Path("results/hil"),
    speed: Annotated[float | None, typer.Option(help="Simulated seconds per real second.")] = None,
    until: Annotated[float | None, typer.Option(help="Stop at this simulated second.")] = None,
    ack_deadline: Annotated[float | None, typer.Option(help="Seconds after publishing; later = missed.")] = None,
    presence_wait: Annotated[float, typer.Option(help="Seconds to wait for nodes to be online.")] = 10.0,
    relay_host: Annotated[
        str, typer.Option(help="Where the relays of impaired nodes listen (0.0.0.0: for Pis on the network).")
    ] = "127.0.0.1",
    relay_port: RelayPort = RELAY_BASE_PORT,
    ca: Annotated[Path | None, typer.Option(help="mqtts: the authority of the broker's certificate.")] = None,
    cert: Annotated[Path | None, typer.Option(help="mqtts: the bridge's client certificate (mutual TLS).")] = None,
    cert_key: Annotated[Path | None, typer.Option(help="mqtts: the client certificate's key.")] = None,
    allow_outside_paths: AllowOutsidePaths = False,
    quiet: Quiet = False,
    lang: Lang = None,
    live: Live = None,
) -> None:
    """Run a scenario in real time and drive its bound field nodes through an MQTT broker (impaired
    ones through a relay each, on --relay-port + the node's index)."""
    check_run_options(speed, until, ack_deadline)
    _hil_modules()
    from lalert_sim.hil.bridge import Bridge, BridgeOptions
    from lalert_sim.hil.impair import Relays, relay_ports, resolve_impairments

    prepared, settings = _bound_scenario(scenario, "bind simulated nodes to field nodes first", allow_outside_paths)
    address = with_client_tls(broker_address(broker), ca, cert, cert_key)
    signer = signing_key(key)
    options = BridgeOptions.of(
        settings, speed=speed, until_s=until, ack_deadline_s=ack_deadline, presence_wait_s=presence_wait
    )
    lang = lang or prepared.scenario.metadata.language
    progress = _Progress(quiet, live, lang)
    runner = Bridge(prepared, signer, address, options, progress.log)
    progress.watch(runner)
    impairments = resolve_impairments(prepared, options.speed)
    ports = relay_ports(settings, impairments, relay_port)
    relays = Relays(impairments, address, prepared.scenario.seed, relay_host, ports)

    def start(loop: asyncio.AbstractEventLoop) -> Coroutine[object, object, BridgeRun]:
        _on_interrupt(loop, runner.stop)
        return relays.run(runner, progress.log)

    _run_and_report(start, out, quiet, lang, progress, lambda: (prepared, runner.simulated))


def with_client_tls(address: BrokerAddress, ca: Path | None, cert: Path | None, key: Path | None) -> BrokerAddress:
    """``address`` with the bridge's TLS files; InvalidInput names the option that is wrong."""
    from lalert_sim.hil.broker import ClientTls, TlsFileError

    given = {"--ca": ca, "--cert": cert, "--cert-key": key}
    for option, path in given.items():
        if path is not None and not path.is_file():
            raise InvalidInput(f"{option} {path}: no such file (lalert-sim provision --tls writes them in bridge/)")
    if address.tls is None:
        if named := [option for option, path in given.items() if path is not None]:
            raise InvalidInput(f"{', '.join(named)}: TLS files need an mqtts:// --broker")
        return address
    if (cert is None) != (key is None):
        raise InvalidInput("--cert and --cert-key go together (a client certificate and its key)")
    tls = ClientTls(ca, cert, key)
    try:
        tls.context()
    except TlsFileError as exc:
        raise InvalidInput(f"{'--ca' if exc.setting == 'ca_file' else '--cert/--cert-key'}: {exc}") from None
    return address.with_tls(tls)


def node(
    config: Annotated[Path, typer.Option("--config", "-c", help="The node's node.toml.")] = Path("node.toml"),
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every message.")] = False,
    lang: Annotated[Language, typer.Option("--lang", help="Language of the line printed per alert.")] = Language.EN,
) -> None:
    """Run a field-node agent (a Raspberry Pi, or a virtual node with mock pins); it prints one line per alert."""
    _hil_modules()
    from lalert_sim.hil.agent import AlertLine, NodeAgent, alert_line_text
    from lalert_sim.hil.node_config import load_node_config

    texts = messages(lang)

    def tell(line: AlertLine) -> None:
        print(alert_line_text(line, texts), flush=True)

    settings = load_node_config(config)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )

    async def serve() -> None:
        agent = NodeAgent(settings, on_alert=tell)
        task = asyncio.get_running_loop().create_task(agent.run())
        _on_interrupt(asyncio.get_running_loop(), task.cancel)
        try:
            await task
        except asyncio.CancelledError:
            pass
        finally:
            agent.close()

    asyncio.run(serve())


def provision(
    scenario: ScenarioArg,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for keys/, broker/ and nodes/.")] = Path("field"),
    broker_host: Annotated[str, typer.Option(help="Host name the nodes use to reach the broker.")] = "broker.local",
    port: Annotated[int | None, typer.Option(help="Broker port (default 1883; 8883 with --tls).")] = None,
    key_id: Annotated[str, typer.Option(help="Id of the signing key.")] = "drill",
    mock: Annotated[bool, typer.Option(help="Write node.toml files for virtual nodes (mock pins).")] = False,
    relay_port: RelayPort = RELAY_BASE_PORT,
    tls: Annotated[
        bool, typer.Option(help="A certificate authority, the broker's certificate, mqtts:// only.")
    ] = False,
    mutual: Annotated[
        bool, typer.Option(help="Mutual TLS (implies --tls): a client certificate per node instead of a password.")
    ] = False,
    tls_host: Annotated[
        list[str] | None, typer.Option(help="Another name or address of the broker for its certificate (repeatable).")
    ] = None,
    allow_outside_paths: AllowOutsidePaths = False,
) -> None:
    """Signing key, Mosquitto config with per-node credentials and ACL, and a node.toml per field node
    (an impaired node's points at its relay: the broker host, --relay-port + the node's index)."""
    _hil_modules()
    from lalert_sim.hil.impair import relay_ports, resolve_impairments
    from lalert_sim.hil.provision import provision as provision_nodes

    prepared, settings = _bound_scenario(scenario, "nothing to provision", allow_outside_paths)
    if out.exists() and not out.is_dir():
        raise InvalidInput(f"--out {out}: is a file; give a folder for keys/, broker/ and nodes/")
    impairments = resolve_impairments(prepared)
    ports = relay_ports(settings, impairments, relay_port)
    try:
        done = provision_nodes(
            settings.field_node_ids(),
            out,
            broker_host,
            port,
            key_id,
            mock,
            ports,
            tls=tls,
            mutual=mutual,
            tls_hosts=tls_host,
            groups=settings.memberships(),
        )
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    except OSError as exc:
        raise BridgeError(f"--out {out}: cannot write: {exc}") from None
    console = Console(highlight=False)
    console.print(f"signing key   {done.key} (public: {done.public_key})")
    console.print(f"broker        mosquitto -c {done.broker_config}")
    for node_id, directory in done.node_dirs.items():
        console.print(f"field node    {node_id}: copy {directory}/ to the Pi (hardware/provision-pi.sh)")
        if node_id in ports:
            console.print(
                f"              through the bridge's relay on {broker_host}:{ports[node_id]} "
                f"({impairments[node_id].describe()}; bridge --relay-host 0.0.0.0 --relay-port {relay_port})",
                markup=False,
            )
    command = f"lalert-sim bridge {scenario} --broker {done.broker_url} --key {done.key}"
    tls_files = done.bridge_tls
    if tls_files is not None:
        options = {"--ca": tls_files.ca_file, "--cert": tls_files.cert_file, "--cert-key": tls_files.key_file}
        command += "".join(f" {option} {path}" for option, path in options.items() if path is not None)
    if tls_files is None or tls_files.cert_file is None:  # a password, not a certificate
        command = f"LALERT_BROKER_PASSWORD=$(jq -r .bridge {out}/broker/credentials.json) {command}"
    console.print(f"bridge        {command}")


def demo_hil(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (YAML).")] = Path(FLAGSHIP_HIL),
    nodes: Annotated[int | None, typer.Option(help="Virtual nodes (default: the scenario's bindings).")] = None,
    speed: Annotated[float | None, typer.Option(help="Simulated seconds per real second.")] = None,
    until: Annotated[float | None, typer.Option(help="Stop at this simulated second.")] = None,
    mosquitto: Annotated[bool, typer.Option(help="Start a local Mosquitto instead of the embedded broker.")] = False,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the latency report.")] = Path("results/hil"),
    allow_outside_paths: AllowOutsidePaths = False,
    quiet: Quiet = False,
    lang: Lang = None,
    live: Live = None,
    tls: Annotated[
        bool, typer.Option("--tls", help="Over TLS: a local Mosquitto with an authority and certificates made now.")
    ] = False,
    mutual: Annotated[
        bool, typer.Option("--mutual", help="Mutual TLS: nodes and bridge prove themselves too.")
    ] = False,
) -> None:
    """The bridge and virtual field nodes on this machine: no hardware and no broker needed."""
    check_run_options(speed, until, nodes=nodes)
    _hil_modules()
    from lalert_sim.hil.bridge import BridgeOptions
    from lalert_sim.hil.broker import find_mosquitto
    from lalert_sim.hil.demo import TlsMode, demo, with_virtual_nodes
    from lalert_sim.prepare import load

    loaded = load(scenario, allow_outside_paths=allow_outside_paths)  # a scenario error is invalid input (exit 2)
    try:
        prepared = with_virtual_nodes(loaded, nodes)
    except ValueError as exc:
        raise BridgeError(f"{scenario}: {exc}") from None
    settings = prepared.scenario.field_nodes
    assert settings is not None  # with_virtual_nodes binds some
    options = BridgeOptions.of(settings, speed=speed, until_s=until)
    bridges: list[Bridge] = []
    lang = lang or prepared.scenario.metadata.language
    progress = _Progress(quiet, live, lang)

    def stop_all() -> None:
        for running in bridges:
            running.stop()

    def started(running: Bridge) -> None:
        bridges.append(running)
        progress.watch(running)

    mode: TlsMode | None = "mutual" if mutual else "tls" if tls else None
    if mode is not None and find_mosquitto() is None:
        raise BridgeError("--tls needs Mosquitto (apt install mosquitto): the embedded broker has no TLS listener")

    def start(loop: asyncio.AbstractEventLoop) -> Coroutine[object, object, BridgeRun]:
        _on_interrupt(loop, stop_all)
        return demo(prepared, options, mosquitto or mode is not None, progress.log, started, mode)

    _run_and_report(start, out, quiet, lang, progress, lambda: (prepared, bridges[0].simulated if bridges else None))


def calibrate(
    results: Annotated[
        Path, typer.Argument(help="Results folder of a bridge or demo-hil run (its --out).", show_default=False)
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="The overlay file to write.")] = Path("overlay.yaml"),
    by: Annotated[
        str, typer.Option("--by", help="node: a delay per bound simulated node; kind: per node class.")
    ] = "node",
    scenario: Annotated[
        Path | None,
        typer.Option(help="The scenario the bridge ran (default: the one its report names); checks the overlay."),
    ] = None,
    allow_outside_paths: AllowOutsidePaths = False,
    quiet: Quiet = False,
    lang: Lang = None,
) -> None:
    """Fit the measured field-node delays into a scenario overlay (run/sweep/compare --overlay)."""
    _hil_modules()
    from lalert_sim.hil.calibrate import CalibrateBy, print_calibration, write_overlay
    from lalert_sim.hil.calibrate import calibrate as fit
    from lalert_sim.model.overlay import Overlay
    from lalert_sim.prepare import load

    if by not in set(CalibrateBy):
        raise InvalidInput(f"--by must be node or kind; got {by!r}")
    grouping = CalibrateBy(by)
    path = scenario or _recorded_scenario(results)
    if path is None and grouping is CalibrateBy.KIND:
        raise InvalidInput(f"--by kind needs the scenario the bridge ran: give --scenario FILE ({results})")
    prepared = None if path is None else load(path, allow_outside_paths=allow_outside_paths)
    calibration = fit(results, grouping, None if prepared is None else prepared.topology.nodes)
    if out.is_dir():
        raise InvalidInput(f"--out {out}: is a folder; give the overlay file to write")
    if path is not None:  # the overlay must make a valid scenario of the one measured, before it is written
        load(path, allow_outside_paths=allow_outside_paths, overlay=Overlay(out, calibration.overlay(), {}))
    written = write_overlay(calibration, out)
    lang = lang or (prepared.scenario.metadata.language if prepared else None)
    if not quiet:
        print_calibration(calibration, Console(highlight=False), lang)
    Console(highlight=False).print(messages(lang)("terminal.wrote", paths=str(written)), markup=False, soft_wrap=True)


def _recorded_scenario(results: Path) -> Path | None:
    """The scenario file the run's report names, where it still is (relative to here, as the bridge ran)."""
    from lalert_sim.hil.calibrate import REPORT_FILE

    try:
        named = json.loads((results / REPORT_FILE).read_text(encoding="utf-8")).get("scenario")
    except (OSError, ValueError, AttributeError):
        return None  # calibrate says what is wrong with the report itself
    return Path(named) if isinstance(named, str) and named and Path(named).is_file() else None


COMMANDS: dict[str, Callable[..., None]] = {
    "bridge": bridge,
    "node": node,
    "provision": provision,
    "demo-hil": demo_hil,
    "calibrate": calibrate,
}


RunFiles = Callable[[Path, "Prepared", "RunResult"], list[Path]]
"""Writes a simulated run's usual result files into a folder (the ``run`` command's writer)."""
_RUN_FILES: list[RunFiles] = []  # the writer ``register`` was given (result files are the report layer's)


def register(app: typer.Typer, fail: Callable[[LalertError], None], run_files: RunFiles | None = None) -> None:
    """Add the commands to the main ``lalert-sim`` app (``fail`` prints an error and exits); ``run_files``
    writes the simulated side of a bridge or demo-hil run beside its latency report (replayable)."""
    if run_files is not None:
        _RUN_FILES[:] = [run_files]
    for name, command in COMMANDS.items():
        app.command(name)(failing_with(fail, command))


def failing_with(fail: Callable[[LalertError], None], command: Callable[..., None]) -> Callable[..., None]:
    """``command`` with its errors handed to ``fail`` (the same parameters, so typer reads the same options)."""

    @functools.wraps(command)
    def run(*args: object, **kwargs: object) -> None:
        try:
            command(*args, **kwargs)
        except LalertError as exc:
            fail(exc)

    return run


def _logger(quiet: bool = False, console: Console | None = None) -> Callable[[str], None]:
    """Progress lines on stderr (none when ``quiet``: the report says what went wrong)."""
    console = console or Console(stderr=True, highlight=False)
    return (lambda line: None) if quiet else (lambda line: console.print(line, markup=False))


class _Progress:
    """What a drill shows on stderr while it runs: progress lines and, where wanted, the live table of field
    nodes (both on one console, so the lines scroll above the table)."""

    def __init__(self, quiet: bool, live: bool | None, lang: Language) -> None:
        from lalert_sim.hil.live import LiveNodes, show_live

        self.console = Console(stderr=True, highlight=False, force_terminal=True if live and not quiet else None)
        self.log = _logger(quiet, self.console)
        self.nodes = LiveNodes(lang) if show_live(self.console, live, quiet) else None

    def watch(self, bridge: Bridge) -> None:
        """Follow ``bridge``'s field nodes in the live table (if shown)."""
        if self.nodes is not None:
            self.nodes.watch(bridge)


def _run_and_report(
    start: Callable[[asyncio.AbstractEventLoop], Coroutine[object, object, BridgeRun]],
    out: Path,
    quiet: bool = False,
    lang: Language = Language.EN,
    progress: _Progress | None = None,
    simulated: Callable[[], tuple[Prepared, RunResult | None]] | None = None,
) -> None:
    """Run the bridge coroutine ``start`` makes, then write and print the report (also after Ctrl-C), and
    beside it the simulated run's usual result files (``simulated``: the scenario and what the bridge's
    engine ran), so that ``lalert-sim replay`` and ``report`` read a bridge's folder as a run's."""
    from lalert_sim.hil.live import live_table
    from lalert_sim.hil.report import build_report, print_report, write_report
    from lalert_sim.hil.report_page import write_page
    from lalert_sim.hil.transport import MqttError, first_error

    async def main() -> BridgeRun:
        return await start(asyncio.get_running_loop())

    try:
        shown = progress.nodes if progress is not None else None
        with live_table(shown, progress.console if progress is not None else Console(stderr=True)):
            record = asyncio.run(main())
    except* (MqttError, OSError) as errors:  # alone, or from a task group (the demo's virtual nodes)
        raise BridgeError(f"broker: {first_error(errors)}") from None
    report = build_report(record)
    written = [*write_report(report, out), write_page(report, out, lang)]
    ran = simulated() if simulated is not None else None
    if ran is not None and ran[1] is not None and _RUN_FILES:
        try:
            written += _RUN_FILES[0](out, ran[0], ran[1])
        except OSError as exc:
            raise BridgeError(f"--out {out}: cannot write the simulated run's files: {exc}") from None
    if not quiet:
        print_report(report, lang=lang)
    elif report.error:
        Console(stderr=True, highlight=False).print(report.error, markup=False)
    console = Console(highlight=False)
    wrote = messages(lang)("terminal.wrote", paths=written[0])
    for line in pack_phrases([wrote, *map(str, written[1:])], console.width, ", "):
        console.print(line, markup=False, soft_wrap=True)  # a path is never broken
    if report.totals.lost:  # the report is written; the exit status still says the drill lost alerts
        raise BridgeError(
            f"{report.totals.lost} of {report.totals.deliveries} deliveries lost "
            f"({report.totals.not_sent} not sent, {report.totals.missed} missed): see {written[1]}"
        )

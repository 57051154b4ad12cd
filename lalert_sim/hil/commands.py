"""The hardware-in-the-loop commands: bridge, node, provision, demo-hil.

Their libraries (aiomqtt, cryptography, gpiozero, amqtt) are the ``hil`` extra, imported only
when one of these commands runs; without them the command says what to install.
"""

from __future__ import annotations

import asyncio
import functools
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
    allow_outside_paths: AllowOutsidePaths = False,
    quiet: Quiet = False,
    lang: Lang = None,
) -> None:
    """Run a scenario in real time and drive its bound field nodes through an MQTT broker."""
    check_run_options(speed, until, ack_deadline)
    _hil_modules()
    from lalert_sim.hil.bridge import Bridge, BridgeOptions

    prepared, settings = _bound_scenario(scenario, "bind simulated nodes to field nodes first", allow_outside_paths)
    address, signer = broker_address(broker), signing_key(key)
    options = BridgeOptions.of(
        settings, speed=speed, until_s=until, ack_deadline_s=ack_deadline, presence_wait_s=presence_wait
    )
    runner = Bridge(prepared, signer, address, options, _logger(quiet))

    def start(loop: asyncio.AbstractEventLoop) -> Coroutine[object, object, BridgeRun]:
        _on_interrupt(loop, runner.stop)
        return runner.run()

    _run_and_report(start, out, quiet, lang or prepared.scenario.metadata.language)


def node(
    config: Annotated[Path, typer.Option("--config", "-c", help="The node's node.toml.")] = Path("node.toml"),
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every message.")] = False,
) -> None:
    """Run a field-node agent (a Raspberry Pi, or a virtual node with mock pins)."""
    _hil_modules()
    from lalert_sim.hil.agent import NodeAgent
    from lalert_sim.hil.node_config import load_node_config

    settings = load_node_config(config)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )

    async def serve() -> None:
        agent = NodeAgent(settings)
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
    port: Annotated[int, typer.Option(help="Broker port.")] = 1883,
    key_id: Annotated[str, typer.Option(help="Id of the signing key.")] = "drill",
    mock: Annotated[bool, typer.Option(help="Write node.toml files for virtual nodes (mock pins).")] = False,
    allow_outside_paths: AllowOutsidePaths = False,
) -> None:
    """Signing key, Mosquitto config with per-node credentials and ACL, and a node.toml per field node."""
    _hil_modules()
    from lalert_sim.hil.provision import provision as provision_nodes

    _, settings = _bound_scenario(scenario, "nothing to provision", allow_outside_paths)
    if out.exists() and not out.is_dir():
        raise InvalidInput(f"--out {out}: is a file; give a folder for keys/, broker/ and nodes/")
    try:
        done = provision_nodes(settings.field_node_ids(), out, broker_host, port, key_id, mock)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    console = Console(highlight=False)
    console.print(f"signing key   {done.key} (public: {done.public_key})")
    console.print(f"broker        mosquitto -c {done.broker_config}")
    for node_id, directory in done.node_dirs.items():
        console.print(f"field node    {node_id}: copy {directory}/ to the Pi (hardware/provision-pi.sh)")
    console.print(
        f"bridge        LALERT_BROKER_PASSWORD=$(jq -r .bridge {out}/broker/credentials.json) "
        f"lalert-sim bridge {scenario} --broker mqtt://bridge@{broker_host}:{port} --key {done.key}"
    )


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
) -> None:
    """The bridge and virtual field nodes on this machine: no hardware and no broker needed."""
    check_run_options(speed, until, nodes=nodes)
    _hil_modules()
    from lalert_sim.hil.bridge import BridgeOptions
    from lalert_sim.hil.demo import demo, with_virtual_nodes
    from lalert_sim.prepare import load

    try:
        prepared = with_virtual_nodes(load(scenario, allow_outside_paths=allow_outside_paths), nodes)
    except ValueError as exc:
        raise BridgeError(f"{scenario}: {exc}") from None
    settings = prepared.scenario.field_nodes
    assert settings is not None  # with_virtual_nodes binds some
    options = BridgeOptions.of(settings, speed=speed, until_s=until)
    bridges: list[Bridge] = []

    def stop_all() -> None:
        for running in bridges:
            running.stop()

    def start(loop: asyncio.AbstractEventLoop) -> Coroutine[object, object, BridgeRun]:
        _on_interrupt(loop, stop_all)
        return demo(prepared, options, mosquitto, _logger(quiet), bridges.append)

    _run_and_report(start, out, quiet, lang or prepared.scenario.metadata.language)


COMMANDS: dict[str, Callable[..., None]] = {
    "bridge": bridge,
    "node": node,
    "provision": provision,
    "demo-hil": demo_hil,
}


def register(app: typer.Typer, fail: Callable[[LalertError], None]) -> None:
    """Add the commands to the main ``lalert-sim`` app (``fail`` prints an error and exits)."""
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


def _logger(quiet: bool = False) -> Callable[[str], None]:
    """Progress lines on stderr (none when ``quiet``: the report says what went wrong)."""
    console = Console(stderr=True, highlight=False)
    return (lambda line: None) if quiet else (lambda line: console.print(line, markup=False))


def _run_and_report(
    start: Callable[[asyncio.AbstractEventLoop], Coroutine[object, object, BridgeRun]],
    out: Path,
    quiet: bool = False,
    lang: Language = Language.EN,
) -> None:
    """Run the bridge coroutine ``start`` makes, then write and print the report (also after Ctrl-C)."""
    from lalert_sim.hil.report import build_report, print_report, write_report
    from lalert_sim.hil.transport import MqttError, first_error

    async def main() -> BridgeRun:
        return await start(asyncio.get_running_loop())

    try:
        record = asyncio.run(main())
    except* (MqttError, OSError) as errors:  # alone, or from a task group (the demo's virtual nodes)
        raise BridgeError(f"broker: {first_error(errors)}") from None
    report = build_report(record)
    written = write_report(report, out)
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

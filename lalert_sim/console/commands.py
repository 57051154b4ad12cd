"""The console commands: ``console`` (a drill live in the browser) and ``replay`` (a finished run again).

Their libraries (starlette, uvicorn) are the ``console`` extra, imported only when one of these
commands runs; without them the command says what to install. The printed URL carries the access
token the page needs for its controls; nothing is opened by itself.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import shutil
import signal
import tempfile
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from lalert_sim.console.clock import WallClock, check_speed
from lalert_sim.console.protocol import Layout, Mode
from lalert_sim.console.recording import ControlHandler, as_drill, console_steering, write_drill
from lalert_sim.errors import InvalidInput, LalertError
from lalert_sim.i18n import Language, Messages, messages
from lalert_sim.model.alerts import AlertMode

if TYPE_CHECKING:
    from lalert_sim.console.live import LiveRun
    from lalert_sim.console.server import Controller, Hub
    from lalert_sim.engine.actions import Steering
    from lalert_sim.engine.simulation import RunResult, Simulation
    from lalert_sim.model.actions import Action
    from lalert_sim.prepare import Prepared

DEFAULT_PORT = 8765
Speed = Annotated[float, typer.Option(help="Simulated seconds per wall second, 0.1 to 100 (change it on the page).")]
Port = Annotated[int, typer.Option(help="Port to serve on (0: any free one).", min=0, max=65535)]
Host = Annotated[
    str, typer.Option(help="Address to listen on; other than 127.0.0.1 lets other machines watch (and steer).")
]
Lang = Annotated[
    Language | None,
    typer.Option("--lang", help="Language of the page and the terminal: en or ja (default: metadata.language)."),
]
AllowOutsidePaths = Annotated[
    bool,
    typer.Option(
        "--allow-outside-paths", help="Let the scenario name files (tables, CAP alerts) outside its own folder."
    ),
]
Engine = Callable[[], Coroutine[Any, Any, object]]


def _console_modules() -> None:
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise LalertError(
            f"this command needs the console extra: pip install 'lalert-sim[console]' ({exc.name} missing)"
        ) from None


def console(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (YAML).", show_default=False)],
    speed: Speed = 1.0,
    port: Port = DEFAULT_PORT,
    host: Host = "127.0.0.1",
    lang: Lang = None,
    broker: Annotated[
        str | None,
        typer.Option(
            help="Drive the scenario's bound field nodes through this broker, as `bridge` does: "
            "mqtt://USER:PASSWORD@HOST:PORT (password also from LALERT_BROKER_PASSWORD)."
        ),
    ] = None,
    key: Annotated[Path, typer.Option(help="Ed25519 signing key (PEM) for --broker.")] = Path("keys/drill.key"),
    ca: Annotated[Path | None, typer.Option(help="mqtts: the authority of the broker's certificate.")] = None,
    cert: Annotated[Path | None, typer.Option(help="mqtts: the bridge's client certificate (mutual TLS).")] = None,
    cert_key: Annotated[Path | None, typer.Option(help="mqtts: the client certificate's key.")] = None,
    relay_host: Annotated[
        str, typer.Option(help="Where the relays of impaired nodes listen (0.0.0.0: for Pis on the network).")
    ] = "127.0.0.1",
    relay_port: Annotated[
        int, typer.Option(help="First relay port (as bridge's): impaired node k connects to this + k.", min=1)
    ] = 18830,
    allow_actual: Annotated[
        bool, typer.Option("--allow-actual", help="Let a scenario with ACTUAL-mode alerts (real ones) start.")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Folder for the run's results (with --broker: and the latency report)."),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Override the scenario's seed.", min=0)] = None,
    allow_outside_paths: AllowOutsidePaths = False,
) -> None:
    """Run a scenario live on a real-time clock and serve a page to watch and steer it."""
    _check_speed(speed)
    _console_modules()
    from lalert_sim.console.live import LiveRun
    from lalert_sim.console.server import Hub
    from lalert_sim.prepare import load

    prepared = load(scenario, allow_outside_paths=allow_outside_paths)
    actual = sorted(i.alert.id for i in prepared.injections if i.alert.mode is AlertMode.ACTUAL)
    if actual and not allow_actual:
        raise InvalidInput(
            f"{scenario}: alerts: {', '.join(actual)} in ACTUAL mode (real alerts): "
            "the console starts such a scenario only with --allow-actual"
        )
    if out is not None:
        from lalert_sim.report.folder import check_out

        check_out(out, [scenario])
    m = messages(lang or prepared.scenario.metadata.language)
    hubs: list[Hub] = []
    record = _recording_folder(out)  # actions.jsonl and uploaded alert files while the drill runs
    steerings: list[Steering] = []
    steer_with_log = console_steering(record, allow_actual)

    def steer(simulation: Simulation, steered: Prepared) -> tuple[Steering, ControlHandler]:
        steering, handle = steer_with_log(simulation, steered)
        steerings.append(steering)
        return steering, handle

    live = LiveRun(
        prepared, WallClock(_until_s(prepared), speed), lambda make: hubs[0].emit(make), steer=steer, seed=seed
    )
    hubs.append(Hub(lambda: live.feed.snapshot(live.clock_state())))
    engine: Engine = functools.partial(asyncio.to_thread, live.run)
    stop_engine: Callable[[], None] = live.stop
    report: Callable[[Path], list[Path]] = lambda _folder: []  # noqa: E731
    if broker is not None:
        field = FieldLink(broker, key, ca, cert, cert_key, relay_host, relay_port)
        engine, stop_engine, report = _field_engine(prepared, live, field)

    def finish() -> None:
        say = Console(highlight=False, soft_wrap=True)
        result = live.driver.result if live.driver is not None else None
        say.print(m("serve.run_ended", sim_s=f"{live.clock.sim_now():g}", actions=len(live.actions)), markup=False)
        if result is not None and result.until_s < live.clock.until_s and live.act is not None:
            live.act({"action": "stop"}, result.until_s)  # stopped early: drill.yaml stops there too
        if out is not None and result is not None:
            applied = steerings[0].applied if steerings else []
            written = _write_results(out, scenario, prepared, result, report, applied, record)
            say.print(m("terminal.wrote", paths=", ".join(map(str, written))), markup=False)

    _serve(
        Session(
            _layout(prepared, m, Mode.LIVE, speed, live.clock.until_s),
            hubs[0],
            live,
            m("serve.console_at", name=prepared.scenario.metadata.name, url="{url}"),
            m("serve.waiting_start"),
            m("serve.still_serving"),
            engine,
            stop_engine,
            finish,
        ),
        host,
        port,
    )


def replay(
    results: Annotated[
        Path, typer.Argument(help="Results folder of run, console, bridge or demo-hil.", show_default=False)
    ],
    speed: Speed = 1.0,
    port: Port = DEFAULT_PORT,
    host: Host = "127.0.0.1",
    lang: Lang = None,
    scenario: Annotated[
        Path | None, typer.Option(help="The scenario the results came from (default: the one they name).")
    ] = None,
    allow_outside_paths: AllowOutsidePaths = False,
) -> None:
    """Serve the console page over a finished run's trace: play, pause, speed and a time slider."""
    _check_speed(speed)
    _console_modules()
    from lalert_sim.console.replay import Replay, read_recording, scenario_of
    from lalert_sim.console.server import Hub
    from lalert_sim.prepare import load

    if not results.is_dir():
        raise InvalidInput(f"{results}: no such results folder")
    prepared = load(scenario or scenario_of(results), allow_outside_paths=allow_outside_paths)
    recording = read_recording(results, prepared.topology)
    m = messages(lang or prepared.scenario.metadata.language)
    hubs: list[Hub] = []
    player = Replay(recording, prepared.topology, lambda make: hubs[0].emit(make), speed)
    hubs.append(Hub(lambda: player.feed.snapshot(player.clock_state())))

    async def play() -> None:
        await asyncio.to_thread(player.run)

    _serve(
        Session(
            _layout(prepared, m, Mode.REPLAY, speed, recording.duration_s),
            hubs[0],
            player,
            m("serve.replay_at", name=prepared.scenario.metadata.name, url="{url}"),
            m("serve.replay_hint"),
            "",
            play,
            player.stop,
            lambda: None,
        ),
        host,
        port,
    )


def _until_s(prepared: Prepared) -> float:
    """Where the live run ends: the field nodes' ``until_s`` when set, else the scenario's duration."""
    field = prepared.scenario.field_nodes
    if field is not None and field.until_s is not None:
        return min(field.until_s, prepared.scenario.duration_s)
    return prepared.scenario.duration_s


def _check_speed(speed: float) -> None:
    try:
        check_speed(speed)
    except ValueError as exc:
        raise InvalidInput(f"--speed: {exc}") from None


def _layout(prepared: Prepared, m: Messages, mode: Mode, speed: float, until_s: float) -> Layout:
    """The page's layout (console/layout.py ``scenario_layout``; without it a bare one: no map)."""
    try:
        layout = importlib.import_module("lalert_sim.console.layout")
    except ModuleNotFoundError as exc:
        if exc.name != "lalert_sim.console.layout":
            raise
        return _bare_layout(prepared, m, mode, speed, until_s)
    result: Layout = layout.scenario_layout(prepared, m, mode=mode, speed=speed, until_s=until_s)
    return result


def _bare_layout(prepared: Prepared, m: Messages, mode: Mode, speed: float, until_s: float) -> Layout:
    modes = {i.alert.mode.value for i in prepared.injections}
    banner = next((b for b in ("actual", "exercise", "test") if b in modes), "exercise")
    return {
        "name": prepared.scenario.metadata.name,
        "mode": mode.value,
        "banner": banner,
        "language": m.lang.value,
        "until_s": until_s,
        "speed": speed,
        "view_box": [0.0, 0.0, 1000.0, 1000.0],
        "municipalities": [],
        "prefectures": [],
        "nodes": [{"id": node_id, "kind": node.kind.value} for node_id, node in prepared.topology.nodes.items()],
        "alerts": [
            {"id": i.alert.id, "issue_s": i.alert.issue_s, "mode": i.alert.mode.value} for i in prepared.injections
        ],
        "cohorts": [],
        "channels": [],
        "objectives": [{"name": o.name} for o in prepared.scenario.objectives],
        "texts": {},
    }


@dataclass(frozen=True)
class FieldLink:
    """How ``console --broker`` reaches the field nodes: as ``bridge`` does (broker URL, signing key, TLS
    files, and the relays of impaired nodes on ``relay_host``:``relay_port`` + the node's index)."""

    broker: str
    key: Path
    ca: Path | None = None
    cert: Path | None = None
    cert_key: Path | None = None
    relay_host: str = "127.0.0.1"
    relay_port: int = 18830


def _field_engine(
    prepared: Prepared, live: LiveRun, field: FieldLink
) -> tuple[Engine, Callable[[], None], Callable[[Path], list[Path]]]:
    """The bridge driving the bound field nodes with its engine on the console's clock (impaired nodes
    through their relays), what stops it, and what writes its latency report."""
    from lalert_sim.hil.commands import broker_address, signing_key, with_client_tls

    settings = prepared.scenario.field_nodes
    if settings is None:
        raise InvalidInput(f"{prepared.source}: field_nodes: missing (--broker drives bound field nodes)")
    address = with_client_tls(broker_address(field.broker), field.ca, field.cert, field.cert_key)
    signer = signing_key(field.key)
    from lalert_sim.console.field import field_states
    from lalert_sim.hil.bridge import Bridge, BridgeOptions
    from lalert_sim.hil.impair import Relays, relay_ports, resolve_impairments
    from lalert_sim.hil.report import build_report, write_report

    options = BridgeOptions.of(settings, speed=live.clock.speed, until_s=live.clock.until_s)
    err = Console(stderr=True, highlight=False)

    def say(line: str) -> None:
        err.print(line, markup=False)

    bridge = Bridge(prepared, signer, address, options, say, drive=live.drive)
    impairments = resolve_impairments(prepared, options.speed)
    ports = relay_ports(settings, impairments, field.relay_port)
    nominal = options.speed  # outage windows count on the console's clock: they pause with it

    def elapsed() -> float:
        return live.clock.sim_now() / nominal

    relays = Relays(impairments, address, prepared.scenario.seed, field.relay_host, ports, elapsed)
    live.field = lambda: field_states(bridge.record)

    def stop() -> None:
        bridge.stop()
        live.stop()

    return lambda: relays.run(bridge, say), stop, lambda folder: write_report(build_report(bridge.record), folder)


def _write_results(
    out: Path,
    scenario: Path,
    prepared: Prepared,
    result: RunResult,
    report: Callable[[Path], list[Path]],
    applied: Sequence[Action],
    record: Path,
) -> list[Path]:
    """The run's usual result files (as ``run`` writes them), the field nodes' report and ``drill.yaml``
    (the scenario with the actions ``applied``: ``lalert-sim run out/drill.yaml`` replays the drill) into
    ``out``; ``summary.json`` names drill.yaml as its source, as the replay's does."""
    from lalert_sim.report.files import write_cap_alerts, write_results
    from lalert_sim.report.folder import results_folder
    from lalert_sim.runner import reaches, summarise

    steered = result.steered or prepared
    with results_folder(out, "console", [scenario]) as folder:
        for recorded in sorted(record.iterdir()):  # the action log and the files it names, relative to it
            shutil.copy2(recorded, folder / recorded.name)
        written = [write_drill(folder, scenario, applied)]
        alert_reaches = reaches(prepared, result)
        summary = as_drill(summarise(prepared, result, alert_reaches), out)
        written += write_results(folder, summary, result, None, alert_reaches)
        written += write_cap_alerts(folder / "alerts", steered)
        written += report(folder)
    shutil.rmtree(record, ignore_errors=True)
    return [out / path.relative_to(folder) for path in written]


def _recording_folder(out: Path | None) -> Path:
    """Where a live drill keeps its action log and uploaded alert files until its results are written
    (beside ``--out``, which is replaced as a whole at the end; without ``--out`` a temporary folder)."""
    if out is None:
        return Path(tempfile.mkdtemp(prefix="lalert-console-"))
    folder = out.parent / f".{out.name}.console"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@dataclass(frozen=True)
class Session:
    """What one served console holds: its layout, viewers, controls and engine, and its terminal lines."""

    layout: Layout
    hub: Hub
    controller: Controller
    heading: str  # with "{url}" where the URL goes
    hint: str
    after: str  # said when the engine has ended and the page is still served ("" for nothing)
    engine: Engine
    stop_engine: Callable[[], None]
    finish: Callable[[], None]


def _serve(session: Session, host: str, port: int) -> None:
    """Listen, print the URL, run the engine while serving; after it ends keep serving until Ctrl-C."""
    from lalert_sim.console.server import console_app, console_url, listening_socket, new_token, serve

    try:
        sock = listening_socket(host, port)
    except OSError as exc:
        raise LalertError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    token = new_token()
    say = Console(highlight=False, soft_wrap=True)
    say.print(session.heading.replace("{url}", console_url(host, sock.getsockname()[1], token)), markup=False)
    say.print(session.hint, markup=False)
    app = console_app(session.layout, session.hub, session.controller, token)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        server = asyncio.create_task(serve(app, sock, session.hub, stop))
        running = asyncio.create_task(session.engine())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait([running, stopping, server], return_when=asyncio.FIRST_COMPLETED)
        if not running.done():
            session.stop_engine()
        await asyncio.wait([running])
        if running.exception() is None:
            session.finish()
            if not stop.is_set() and not server.done() and session.after:
                say.print(session.after, markup=False)
        else:
            stop.set()
        await server
        stopping.cancel()
        running.result()  # the engine's error, if any, once the server is down

    asyncio.run(main())


COMMANDS: dict[str, Callable[..., None]] = {"console": console, "replay": replay}


def register(app: typer.Typer, fail: Callable[[LalertError], None]) -> None:
    """Add the commands to the main ``lalert-sim`` app (``fail`` prints an error and exits)."""
    from lalert_sim.hil.commands import failing_with

    for name, command in COMMANDS.items():
        app.command(name)(failing_with(fail, command))

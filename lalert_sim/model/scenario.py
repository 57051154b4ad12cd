"""A scenario: everything one drill or experiment needs, validated at the edge."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    TypeAdapter,
    ValidationError,
    ValidatorFunctionWrapHandler,
    model_validator,
)
from pydantic.config import JsonDict
from pydantic_core import InitErrorDetails, PydanticCustomError

from lalert_sim.errors import Problem
from lalert_sim.i18n import Language
from lalert_sim.model.actions import MAX_ACTIONS, Action, CorrectionAction, IssueAction, StopAction, correction_id
from lalert_sim.model.alert_files import FILE_ENTRY_SCHEMAS
from lalert_sim.model.alerts import Alert
from lalert_sim.model.base import MAX_SECONDS, Epoch, Frozen, PositiveSeconds, Ref
from lalert_sim.model.cap import MAX_ALERTS
from lalert_sim.model.failures import Failures, FailuresSetting
from lalert_sim.model.feeds import FEED_ENTRY_SCHEMA
from lalert_sim.model.field_nodes import FieldNodes
from lalert_sim.model.files import MAX_PATH_CHARS
from lalert_sim.model.incidents import Incident
from lalert_sim.model.measured_delays import MeasuredDelays
from lalert_sim.model.media import Medium
from lalert_sim.model.network import Link, MediumSetting, Node, NodeKind, media_settings
from lalert_sim.model.outputs import Outputs
from lalert_sim.model.overrides import merged
from lalert_sim.model.residents import Residents
from lalert_sim.model.responses import Responses
from lalert_sim.model.selectors import NodeSelector
from lalert_sim.model.streams import MAX_STREAM_MESSAGES, MessageStream, expected_messages
from lalert_sim.model.templates import TopologyTemplate


class Metadata(Frozen):
    """Who wrote the scenario, what it models, and the wall-clock anchor of time zero."""

    name: str = Field(min_length=1)
    """The scenario's title, shown at the head of summaries and reports."""
    description: str = ""
    """What the scenario models and why, for the report's header; default none."""
    author: str = ""
    """Who wrote the scenario; default none."""
    epoch: Epoch = Field(
        default=datetime(2026, 1, 1, tzinfo=UTC),
        description="Wall-clock time (ISO 8601, with time zone) of t = 0 s: anchors reports, CAP sent "
        "times and the residents' hour of day; default 2026-01-01 00:00 UTC.",
    )
    language: Language = Language.EN
    """Language of the terminal summary and the report (``en`` or ``ja``) unless ``--lang`` says otherwise."""


class Objective(Frozen):
    """A target such as "95 % of emitters within 60 s" of each alert's issue."""

    name: str = Field(min_length=1)
    """What the objective is called in summaries and reports."""
    alert: Ref | None = Field(default=None, description="Id of the alert it is about; default every alert.")
    select: NodeSelector = Field(default_factory=lambda: NodeSelector(kind=NodeKind.EMITTER))
    """The nodes it is about, of those each alert concerns; default every emitter."""
    fraction: float = Field(gt=0, le=1)
    """Share (0–1) of the selected nodes that must have emitted (emitters) or received (others) in time."""
    within_s: PositiveSeconds
    """Deadline in seconds after the alert's issue."""


_MEDIA_SETTINGS = TypeAdapter(dict[Medium, MediumSetting])


class Topology(Frozen):
    """Templates that generate nodes and links, plus explicit nodes and links."""

    municipality_table: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_PATH_CHARS,
        description="CSV of your own municipalities (code, population, ...) replacing the reference rows; "
        "a path relative to the scenario file.",
    )
    templates: list[TopologyTemplate] = Field(default_factory=list, max_length=100)
    """Generators of municipalities' nodes and links (``prefecture`` or ``region``); default none."""
    nodes: list[Node] = Field(default_factory=list)
    """Explicit nodes; one with the id of a generated node replaces it."""
    links: list[Link] = Field(default_factory=list)
    """Explicit links; one with the id of a generated link replaces it."""
    media: dict[Medium, MediumSetting] = Field(
        default_factory=dict,
        description="Per medium, the scenario's own defaults (latency_s, loss, retry_attempts, retry_backoff_s) "
        "for every link, generated or explicit, that leaves them out; default the packaged ones (data/media.toml).",
    )
    measured_delays: MeasuredDelays = Field(
        default_factory=MeasuredDelays,
        description="Delays measured on real equipment (``lalert-sim calibrate`` writes them as an overlay) "
        "replacing the delay_s of the nodes they name, by id or by class; default none.",
    )

    @model_validator(mode="wrap")
    @classmethod
    def _links_take_media(cls, data: Any, handler: ModelWrapValidatorHandler[Topology]) -> Topology:
        # The explicit links are validated with the scenario's media defaults in force.
        media = data.get("media") if isinstance(data, dict) else None
        if not media:
            return handler(data)
        try:
            settings = _MEDIA_SETTINGS.validate_python(media)
        except ValidationError:
            return handler(data)  # validating the field reports it, with its path
        with media_settings(settings):
            return handler(data)


def _alert_or_cap_entry(schema: JsonDict) -> None:
    # What a file may say: an alert, a CAP or JMA file or a feed folder that the loader reads before validation.
    schema["items"] = {"anyOf": [schema["items"], *FILE_ENTRY_SCHEMAS, FEED_ENTRY_SCHEMA]}


VARIANT_NAME_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
VariantName = Annotated[str, Field(pattern=VARIANT_NAME_PATTERN)]
"""A variant's name: letters, digits, ``_`` and ``-`` (it names a plan and its results folder)."""
MAX_VARIANTS = 50
"""Most variants one scenario may hold (each is validated whenever the scenario is)."""


class Scenario(Frozen):
    """The root of a scenario file."""

    metadata: Metadata
    """Name, description, author and the wall-clock time of t = 0."""
    seed: int = Field(default=0, ge=0, lt=2**63, description="Replication seed: same seed, same results.")
    duration_s: PositiveSeconds = Field(
        description=f"Simulated time span in seconds (at most {MAX_SECONDS}, ten years)."
    )
    topology: Topology
    """The network: templates that generate it, plus explicit nodes and links."""
    alerts: list[Alert] = Field(default_factory=list, max_length=MAX_ALERTS, json_schema_extra=_alert_or_cap_entry)
    """The messages injected (at least one, unless ``streams`` brings them); an entry ``{cap: FILE, ...}`` or
    ``{jma: FILE, ...}`` reads one from a CAP 1.2 or JMA XML file, ``{feed: FOLDER, ...}`` every message of a
    folder, replayed on their own times."""
    streams: list[MessageStream] = Field(default_factory=list, max_length=100)
    """Streams of messages of one template each (Poisson, a rate over time, or times from a CSV); default none."""
    incidents: list[Incident] = Field(default_factory=list, max_length=200)
    """What breaks during the run, each told apart by its ``type``; default nothing."""
    actions: list[Action] = Field(default_factory=list, max_length=MAX_ACTIONS)
    """What the operator does during the run, in the order done (``at_s`` never decreasing), each told apart by
    its ``do``: ``issue`` an alert now, a ``cap`` file now, an ``incident`` now, an ``update`` or ``cancel``;
    the console writes them into ``drill.yaml``; default none."""
    objectives: list[Objective] = Field(default_factory=list, max_length=200)
    """Targets checked against each alert's delivery; default none."""
    residents: Residents = Field(default_factory=Residents)
    """Settings of the reach model (deadline, horizon, hour, rain); all optional."""
    responses: Responses = Field(default_factory=Responses)
    """What the country does in answer: loaned equipment, power vehicles, roaming; default nothing."""
    outputs: Outputs = Field(default_factory=Outputs)
    """How long each emitter channel keeps sounding a message (what an update or cancel can still reach)."""
    field_nodes: FieldNodes | None = Field(default=None, description="Real field nodes bound to simulated ones.")
    failures: FailuresSetting = Field(
        default_factory=Failures,
        description="Municipal equipment silently broken before the alert, drawn per replication: ``none`` "
        "turns it off; a mapping overrides chances per class (``rates``) and per municipality; default on.",
    )
    variants: dict[VariantName, dict[str, Any]] = Field(
        default_factory=dict,
        max_length=MAX_VARIANTS,
        description="Named plans beside this one: each is overrides of the rest of the file (mappings merge key "
        "by key, lists are replaced) that must make a valid scenario; ``sweep --variant NAME`` runs one, "
        "``compare --variants a,b`` compares them with this scenario; default none.",
    )

    @model_validator(mode="wrap")
    @classmethod
    def _variants_valid(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Scenario:
        """Each variant merged onto the rest of the file must validate; its errors are named variants.NAME...."""
        scenario: Scenario = handler(data)
        if not scenario.alerts and not scenario.streams:
            missing = PydanticCustomError("too_short", "a scenario needs at least one alert (or a stream)")
            raise ValidationError.from_exception_data(
                cls.__name__, [InitErrorDetails(type=missing, loc=("alerts",), input=data)]
            )
        if not scenario.variants or not isinstance(data, dict):
            return scenario
        base = {key: value for key, value in data.items() if key != "variants"}
        errors: list[InitErrorDetails] = []
        for name, overrides in scenario.variants.items():
            if "variants" in overrides:
                nested = PydanticCustomError("nested_variants", "a variant cannot hold variants of its own")
                errors.append(InitErrorDetails(type=nested, loc=("variants", name, "variants"), input=overrides))
                continue
            try:
                cls.model_validate(merged(base, overrides))
            except ValidationError as exc:
                errors.extend(
                    InitErrorDetails(
                        type=error["type"],
                        loc=("variants", name, *error["loc"]),
                        input=error["input"],
                        ctx=error.get("ctx", {}),
                    )
                    for error in exc.errors()
                )
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return scenario


REACH_BUDGET_S = 360_000
"""Most alerts × reach horizon (seconds): each alert keeps its curves (100 alerts at 1 h, or 8 at 12 h)."""


def size_problems(scenario: Scenario) -> list[Problem]:
    """What would make a run hold too much at once: the reach curves of every alert over its horizon."""
    horizon_s = scenario.residents.horizon_s
    problems = []
    messages = sum(expected_messages(stream, scenario.duration_s) for stream in scenario.streams)
    if messages > MAX_STREAM_MESSAGES:
        problems.append(
            Problem(
                f"the streams bring {messages:,.0f} messages on average; at most {MAX_STREAM_MESSAGES:,} in a run",
                ("streams",),
            )
        )
    if len(scenario.alerts) * horizon_s <= REACH_BUDGET_S:
        return problems
    return problems + [
        Problem(
            f"{len(scenario.alerts)} alerts with a {horizon_s:g} s reach horizon: alerts × horizon may be at most "
            f"{REACH_BUDGET_S:,} s (100 alerts at 1 h, 8 at 12 h); shorten the horizon or split the scenario",
            ("residents", "horizon_s"),
        )
    ]


def reference_problems(scenario: Scenario) -> list[Problem]:
    """Alert ids that repeat and objectives naming alerts that do not exist."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, alert in enumerate(scenario.alerts):
        if alert.id in seen:
            problems.append(Problem(f"alert id {alert.id!r} is used twice", ("alerts", index, "id")))
        seen.add(alert.id)
    problems.extend(_action_problems(scenario, seen))
    for index, objective in enumerate(scenario.objectives):
        if objective.alert is not None and objective.alert not in seen:
            problems.append(
                Problem(
                    f"no alert with id {objective.alert!r} (alerts: {', '.join(sorted(seen))})",
                    ("objectives", index, "alert"),
                )
            )
    return problems


def _action_problems(scenario: Scenario, alert_ids: set[str]) -> list[Problem]:
    """Actions out of order or after the end, alerts issued twice, corrections of alerts not issued yet, ids
    used twice (alerts from ``cap`` actions and streams' messages are known only in the run: checked then)."""
    problems: list[Problem] = []
    scheduled_s = {alert.id: alert.issue_s for alert in scenario.alerts}  # scenario alerts not issued early
    by_action: set[str] = set()  # alerts issued by an action (issue, or a correction's id)
    corrections: dict[str, int] = {}  # messages referencing each alert so far (the scenario's chains count)
    for alert in scenario.alerts:
        for reference in alert.chain.references if alert.chain is not None else ():
            corrections[reference] = corrections.get(reference, 0) + 1
    opened = False  # a cap action came before: alerts of ids unknown here may exist
    streamed = [re.escape(stream.id) + r"-\d{6,}" for stream in scenario.streams]  # their messages' ids
    last_s = 0.0
    stopped_s: float | None = None  # a stop action ends the run: none may follow it
    for index, action in enumerate(scenario.actions):
        where: tuple[str | int, ...] = ("actions", index)
        at_s = action.at_s
        if at_s < last_s:
            problems.append(Problem(f"at {at_s:g} s, before the action ahead of it ({last_s:g} s)", (*where, "at_s")))
        if at_s > scenario.duration_s:
            problems.append(
                Problem(f"at {at_s:g} s, after the end of the run ({scenario.duration_s:g} s)", (*where, "at_s"))
            )
        if stopped_s is not None:
            problems.append(Problem(f"after the stop at {stopped_s:g} s: nothing runs after it", where))
        last_s = max(last_s, at_s)
        if isinstance(action, StopAction):
            stopped_s = at_s
        elif isinstance(action, IssueAction):
            if action.alert not in alert_ids:
                problems.append(Problem(_no_alert(action.alert, alert_ids), (*where, "alert")))
            elif action.alert in by_action or scheduled_s[action.alert] < at_s:
                problems.append(Problem(f"alert {action.alert!r} is issued already; send an update", (*where, "alert")))
            else:
                by_action.add(action.alert)
        elif isinstance(action, CorrectionAction):
            target = action.alert
            known = target in scheduled_s or target in by_action
            if not known and not opened and not any(re.fullmatch(p, target) for p in streamed):
                problems.append(Problem(_no_alert(target, alert_ids | by_action), (*where, "alert")))
            elif known and target not in by_action and scheduled_s[target] >= at_s:
                problems.append(Problem(f"alert {target!r} is not issued yet at {at_s:g} s", (*where, "alert")))
            corrections[target] = corrections.get(target, 0) + 1
            own = action.id if action.id is not None else correction_id(target, action.do, corrections[target])
            if own in scheduled_s or own in by_action:
                problems.append(Problem(f"alert id {own!r} is used already", (*where, "id")))
            by_action.add(own)
        elif action.do == "cap":
            opened = True
    return problems


def _no_alert(alert: str, known: set[str]) -> str:
    return f"no alert with id {alert!r} (alerts: {', '.join(sorted(known)) or 'none'})"

"""Expands topology templates into nodes and links.

Node ids follow one scheme so scenarios can refer to generated nodes:
``m-02201/receiver`` (municipality 02201), ``pref-02/broadcaster-1``,
``jalert/centre``, ``lalert/hub``, ``carrier/docomo/cbc``. Break-ins and TV
headends (``nhk/tv``, ``pref-02/tv``, ``m-02201/cable-tv``) are generated in
topology/broadcasters.py, prefecture disaster offices (``pref-02/disaster-office``)
in topology/networks.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar, assert_never

from lalert_sim.errors import Problem
from lalert_sim.model.alerts import AlertCategory, AlertSystem
from lalert_sim.model.areas import canonical_area
from lalert_sim.model.base import MAX_COUNT
from lalert_sim.model.distributions import LogNormal, Uniform
from lalert_sim.model.media import Medium
from lalert_sim.model.network import Channel, Link, Node, NodeKind
from lalert_sim.model.templates import PrefectureTemplate, RegionTemplate, TopologyTemplate
from lalert_sim.streams import stable_fraction
from lalert_sim.topology import equipment
from lalert_sim.topology.broadcasters import municipal_headends, national_breakins, prefecture_breakins
from lalert_sim.topology.networks import prefecture_office
from lalert_sim.topology.reference import Municipality, MunicipalityTable

# Power supplies of generated nodes (DOMAIN = docs/DOMAIN.md).
OFFICE_POWER = {"generator": True}  # assumption: municipal offices and broadcasters have emergency generators
RADIO_POWER = {"battery_h": 72.0}  # DOMAIN: loudspeaker and relay-station batteries about 72 h
BASE_STATION_POWER = {"battery_h": 3.0}  # DOMAIN: base-station backup typically about 3 h
OWN_POWER = {"generator": True}  # indoor receivers run on their own batteries (assumption)
FM_POWER = {"battery_h": 6.0}  # assumption

# Processing delays of generated nodes, each with its source (DOMAIN = docs/DOMAIN.md).
CENTRE_DELAY = Uniform(low=0.1, high=0.3)  # assumption
RECEIVER_DELAY = Uniform(low=1.0, high=1.7)  # DOMAIN: centre to municipal receiver about 1-2 s
STARTUP_DELAY = Uniform(low=4.0, high=8.0)  # DOMAIN: loudspeakers start about 10 s after issue
LOUDSPEAKER_DELAY = Uniform(low=0.5, high=1.5)  # assumption: chime before the announcement
COMMUNITY_FM_DELAY = Uniform(low=2.0, high=10.0)  # assumption: programme interrupted
CBC_DELAY = Uniform(low=0.5, high=1.5)  # assumption: carrier's cell-broadcast centre
HUB_DELAY = LogNormal(median=5.0, sigma=0.5)  # assumption: L-Alert hub processing
ENTRY_DELAY = LogNormal(median=600.0, sigma=0.5)  # assumption: staff type the entry (minutes)
BROADCASTER_DELAY = LogNormal(median=180.0, sigma=1.0)  # DOMAIN: 2015 drill, about 2 min to 1 h
MANUAL_BROADCAST_DELAY = LogNormal(median=300.0, sigma=0.3)
# DOMAIN: Aomori 2022, staff broadcast by hand about 11 min after launch where the automatic relay failed,
# J-Alert having been issued 5-7 min after launch: about 5 min from issue to noticing and speaking.
PATROL_DELAY = LogNormal(median=600.0, sigma=0.5)  # assumption: crews called out and on the road in about 10 min
PATROL_CATEGORIES = (
    AlertCategory.MAJOR_TSUNAMI_WARNING,
    AlertCategory.TSUNAMI_WARNING,
    AlertCategory.EVACUATION_ORDER,
    AlertCategory.EMERGENCY_SAFETY_ASSURANCE,
)
PORTAL_DELAY = LogNormal(median=60.0, sigma=0.8)  # assumption: automatic feed, polling


@dataclass
class Generated:
    """Nodes and links a template produced, in a stable order."""

    nodes: list[Node] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    prototypes: Prototypes = field(default_factory=lambda: Prototypes(), repr=False, compare=False)


# What differs between the municipalities' namesake nodes and links; every other field is the same template's.
NODE_VARYING = frozenset({"id", "name", "area", "lat", "lon", "stations"})
LINK_VARYING = frozenset({"id", "source", "targets"})


@dataclass
class Prototypes:
    """Each municipal part (``receiver``, ``radio``, ...) validated once, built trusted for the others.

    The first municipality's node or link of a part is validated in full (inside
    the caller's ``media_settings``, so links take the scenario's medium defaults);
    the others are copies with only the fields in ``NODE_VARYING`` / ``LINK_VARYING``
    replaced, when the rest of their fields equal the prototype's and the replaced
    values pass the same checks (``trusted``); otherwise they are validated in full.
    """

    nodes: dict[str, tuple[dict[str, Any], Node]] = field(default_factory=dict)
    links: dict[str, tuple[dict[str, Any], Link]] = field(default_factory=dict)

    def node(self, part: str, fields: dict[str, Any], trusted: bool) -> Node:
        """The node of ``fields``; ``trusted``: its id, area and place are known to be valid."""
        found = self.nodes.get(part)
        stations = fields.get("stations", 1)
        if trusted and found is not None and _same_template(fields, found[0], NODE_VARYING):
            if isinstance(stations, int) and 1 <= stations <= MAX_COUNT:
                return _copy_with(found[1], {k: v for k, v in fields.items() if k in NODE_VARYING})
        node = Node.model_validate(fields)
        self.nodes[part] = (fields, node)
        return node

    def link(self, part: str, fields: dict[str, Any], trusted: bool) -> Link:
        """The link of ``fields``; ``trusted``: its id, source and targets are known to be valid ids."""
        found = self.links.get(part)
        if trusted and found is not None and fields["targets"] and _same_template(fields, found[0], LINK_VARYING):
            return _copy_with(found[1], {k: fields[k] for k in LINK_VARYING})
        link = Link.model_validate(fields)
        self.links[part] = (fields, link)
        return link


_Model = TypeVar("_Model", Node, Link)


def _copy_with(prototype: _Model, update: dict[str, Any]) -> _Model:
    """The prototype with ``update``'s fields replaced, built as pydantic's ``model_construct`` builds a
    model (its own attributes set, no validation) but without walking every field's default again."""
    built = object.__new__(type(prototype))
    object.__setattr__(built, "__dict__", {**prototype.__dict__, **update})
    object.__setattr__(built, "__pydantic_fields_set__", prototype.model_fields_set | update.keys())
    object.__setattr__(built, "__pydantic_extra__", None)
    object.__setattr__(built, "__pydantic_private__", None)
    return built


def _same_template(fields: dict[str, Any], prototype: dict[str, Any], varying: frozenset[str]) -> bool:
    """True when ``fields`` name the same keys as the prototype's and equal it outside ``varying``
    (the template's constants are the same objects, so identity settles almost every field)."""
    if fields.keys() != prototype.keys():
        return False
    for key, value in fields.items():
        other = prototype[key]
        if value is not other and key not in varying and value != other:
            return False
    return True


def _trusted_place(m: Municipality) -> bool:
    """True when the municipality's code and coordinates pass the checks a node's fields would."""
    try:
        canonical = canonical_area(m.code) == m.code
    except ValueError:
        return False
    inside = (m.lat is None or -90 <= m.lat <= 90) and (m.lon is None or -180 <= m.lon <= 180)
    return canonical and inside and len(m.code) == 5


def _node(**fields: Any) -> Node:
    return Node.model_validate(fields)


def _link(**fields: Any) -> Link:
    """A link whose unspecified fields take its medium's defaults."""
    return Link.model_validate(fields)


def cell_broadcast_centre_id(carrier: str) -> str:
    """The id of a carrier's cell-broadcast centre (the one place this id scheme is written)."""
    return f"carrier/{carrier}/cbc"


MAX_GENERATED_MUNICIPALITIES = 2_000
"""Most municipalities all of a scenario's templates may generate together (Japan has 1,741)."""


def municipality_count(spec: TopologyTemplate, table: MunicipalityTable) -> int:
    """How many municipalities ``spec`` generates (its own problems are reported when it is expanded)."""
    return len(_chosen(spec, table, (), []))


def _chosen(
    spec: TopologyTemplate, table: MunicipalityTable, loc: tuple[str | int, ...], problems: list[Problem]
) -> list[Municipality]:
    match spec:
        case PrefectureTemplate():
            return _prefecture_municipalities(spec, table, loc, problems)
        case RegionTemplate():
            return _region_municipalities(spec, table, loc, problems)
        case _:
            assert_never(spec)


def expand(spec: TopologyTemplate, table: MunicipalityTable, loc: tuple[str | int, ...]) -> Generated:
    """All nodes and links of one template (national parts included)."""
    out = Generated()
    chosen = _chosen(spec, table, loc, out.problems)
    if not chosen:
        return out
    _national(spec, out)
    for prefecture in sorted({m.prefecture_code for m in chosen}):
        _prefecture(spec, prefecture, [m for m in chosen if m.prefecture_code == prefecture], out)
    for municipality in chosen:
        _municipality(spec, municipality, out)
    return out


def _prefecture_municipalities(
    spec: PrefectureTemplate, table: MunicipalityTable, loc: tuple[str | int, ...], problems: list[Problem]
) -> list[Municipality]:
    if len(spec.prefecture) != 2:
        problems.append(Problem("must be a two-digit prefecture code", (*loc, "prefecture")))
        return []
    available = table.in_prefecture(spec.prefecture)
    if spec.municipalities == "all":
        return available
    if isinstance(spec.municipalities, int):
        if not 1 <= spec.municipalities <= len(available):
            problems.append(
                Problem(
                    f"prefecture {spec.prefecture} has {len(available)} municipalities; "
                    f"asked for {spec.municipalities}",
                    (*loc, "municipalities"),
                )
            )
            return []
        return available[: spec.municipalities]
    by_code = {m.code: m for m in available}
    chosen = []
    for index, code in enumerate(spec.municipalities):
        if code in by_code:
            chosen.append(by_code[code])
        else:
            message = f"{code} is not a municipality of prefecture {spec.prefecture}"
            problems.append(Problem(message, (*loc, "municipalities", index)))
    return chosen


def _region_municipalities(
    spec: RegionTemplate, table: MunicipalityTable, loc: tuple[str | int, ...], problems: list[Problem]
) -> list[Municipality]:
    region = spec.region
    for index, code in enumerate(region.prefectures or []):
        if len(code) != 2:
            problems.append(Problem("must be a two-digit prefecture code", (*loc, "region", "prefectures", index)))
    for index, code in enumerate(region.municipalities or []):
        if code not in table:
            problems.append(Problem(f"{code} is not a municipality code", (*loc, "region", "municipalities", index)))
    chosen = [
        m
        for m in table.all()
        if (region.prefectures is None or m.prefecture_code in region.prefectures)
        and (region.municipalities is None or m.code in region.municipalities)
        and (region.coastal is None or m.coastal is region.coastal)
    ]
    if not chosen and not problems:
        problems.append(Problem("selects no municipality", (*loc, "region")))
    return chosen


def _national(spec: TopologyTemplate, out: Generated) -> None:
    if spec.jalert:
        out.nodes.append(
            _node(
                id="jalert/centre",
                kind=NodeKind.ORIGIN,
                system=AlertSystem.J_ALERT,
                name="FDMA J-Alert centre",
                delay_s=CENTRE_DELAY,
            )
        )
    if spec.lalert:
        out.nodes.append(_node(id="lalert/hub", kind=NodeKind.RELAY, name="L-Alert hub", delay_s=HUB_DELAY))
        portals = [f"lalert/portal-{k}" for k in range(1, spec.portals + 1)]
        for k, portal in enumerate(portals):
            channel = Channel.PORTAL if k % 2 == 0 else Channel.APP
            out.nodes.append(_node(id=portal, kind=NodeKind.EMITTER, channel=channel, delay_s=PORTAL_DELAY))
        if portals:
            out.links.append(
                _link(id="lalert/to-portals", medium=Medium.INTERNET, source="lalert/hub", targets=portals)
            )
    for carrier in spec.carriers:
        cbc = cell_broadcast_centre_id(carrier)
        out.nodes.append(
            _node(
                id=cbc, kind=NodeKind.RELAY, carrier=carrier, name=f"{carrier} cell-broadcast centre", delay_s=CBC_DELAY
            )
        )
        if spec.jalert:
            out.links.append(
                _link(id=f"jalert/to-{carrier}", medium=Medium.TERRESTRIAL_GOV, source="jalert/centre", targets=[cbc])
            )
        if spec.lalert:
            out.links.append(
                _link(id=f"lalert/to-{carrier}", medium=Medium.INTERNET, source="lalert/hub", targets=[cbc])
            )
    national_breakins(spec, out)


def _prefecture(spec: TopologyTemplate, code: str, chosen: list[Municipality], out: Generated) -> None:
    receivers = [f"m-{m.code}/receiver" for m in chosen]
    if spec.jalert:
        out.links.append(
            _link(id=f"jalert/sat-{code}", medium=Medium.LG_SATELLITE, source="jalert/centre", targets=receivers)
        )
        out.links.append(
            _link(id=f"jalert/ground-{code}", medium=Medium.TERRESTRIAL_GOV, source="jalert/centre", targets=receivers)
        )
    prefecture_office(spec, code, chosen, out)
    prefecture_breakins(spec, code, out)
    for carrier in spec.carriers:
        out.links.append(
            _link(
                id=f"carrier/{carrier}/cb-{code}",
                medium=Medium.CELL_BROADCAST,
                source=cell_broadcast_centre_id(carrier),
                targets=[f"m-{m.code}/cbs-{carrier}" for m in chosen],
            )
        )
    if spec.lalert and spec.broadcasters:
        stations = [f"pref-{code}/broadcaster-{k}" for k in range(1, spec.broadcasters + 1)]
        for k, station in enumerate(stations):
            channel = Channel.TV if k % 2 == 0 else Channel.RADIO
            out.nodes.append(
                _node(
                    id=station,
                    kind=NodeKind.EMITTER,
                    channel=channel,
                    area=code,
                    delay_s=BROADCASTER_DELAY,
                    **OFFICE_POWER,
                )
            )
        out.links.append(
            _link(id=f"lalert/to-broadcasters-{code}", medium=Medium.INTERNET, source="lalert/hub", targets=stations)
        )


def _municipality(spec: TopologyTemplate, m: Municipality, out: Generated) -> None:
    prefix = f"m-{m.code}"
    trusted = _trusted_place(m)  # its parts' ids are then valid too: ``m-`` + five digits + a fixed part
    prototypes = out.prototypes

    def node(part: str, kind: NodeKind, label: str, power: dict[str, Any], **fields: Any) -> str:
        """Add the municipality's node ``m-CODE/part`` (at its place); its id."""
        node_id = f"{prefix}/{part}"
        place = {"area": m.code, "lat": m.lat, "lon": m.lon}
        given = {"id": node_id, "kind": kind, "name": f"{m.name} {label}", **fields, **place, **power}
        out.nodes.append(prototypes.node(part, given, trusted))
        return node_id

    def link(part: str, medium: Medium, source: str, targets: list[str]) -> None:
        given = {"id": f"{prefix}/{part}", "medium": medium, "source": source, "targets": targets}
        out.links.append(prototypes.link(part, given, trusted and all(t.startswith("m-") for t in targets)))

    receiver = node("receiver", NodeKind.RELAY, "J-Alert receiver", OFFICE_POWER, delay_s=RECEIVER_DELAY)
    startup = node("startup", NodeKind.RELAY, "automatic start-up", OFFICE_POWER, delay_s=STARTUP_DELAY)
    link("lan", Medium.FIBRE, receiver, [startup])
    has_radio = m.disaster_radio
    if has_radio is None:
        has_radio = stable_fraction(f"disaster-radio/{m.code}") < spec.disaster_radio_share
    if has_radio:
        outputs = [
            node(
                "loudspeakers",
                NodeKind.EMITTER,
                "loudspeakers",
                RADIO_POWER,
                channel=Channel.OUTDOOR_LOUDSPEAKER,
                delay_s=LOUDSPEAKER_DELAY,
                stations=equipment.loudspeaker_stations(m),
                battery_life=equipment.LOUDSPEAKER_BATTERY,
            )
        ]
        if spec.indoor_receivers:
            outputs.append(
                node("indoor", NodeKind.EMITTER, "indoor receivers", OWN_POWER, channel=Channel.INDOOR_RECEIVER)
            )
        link("radio", Medium.MUNICIPAL_DISASTER_RADIO, startup, outputs)
        if spec.manual_fallback:
            by_hand = node(
                "manual-broadcast",
                NodeKind.HUMAN_STEP,
                "broadcast by hand",
                OFFICE_POWER,
                delay_s=MANUAL_BROADCAST_DELAY,
            )
            link("manual-lan", Medium.FIBRE, receiver, [by_hand])
            link("manual-radio", Medium.MUNICIPAL_DISASTER_RADIO, by_hand, outputs)
    has_fm = m.community_fm
    if has_fm is None:
        has_fm = stable_fraction(f"community-fm/{m.code}") < spec.community_fm_share
    if has_fm:
        fm = node(
            "community-fm",
            NodeKind.EMITTER,
            "community FM",
            FM_POWER,
            channel=Channel.COMMUNITY_FM,
            delay_s=COMMUNITY_FM_DELAY,
        )
        link("fm-line", Medium.FIBRE, startup, [fm])
    if equipment.registered_mail(m, has_radio, has_fm):
        mail = node(
            "registered-mail",
            NodeKind.EMITTER,
            "registered mail",
            OFFICE_POWER,
            channel=Channel.REGISTERED_MAIL,
            delay_s=equipment.REGISTERED_MAIL_DELAY,
        )
        link("mail-line", Medium.INTERNET, startup, [mail])
    if equipment.ip_terminals(m, has_radio, has_fm):
        terminals = node(
            "ip-terminals", NodeKind.EMITTER, "IP notification terminals", OFFICE_POWER, channel=Channel.INDOOR_RECEIVER
        )
        link("ip-line", Medium.INTERNET, startup, [terminals])
    for carrier in spec.carriers:
        node(
            f"cbs-{carrier}",
            NodeKind.EMITTER,
            f"{carrier} cell broadcast",
            BASE_STATION_POWER,
            carrier=carrier,
            channel=Channel.CELL_BROADCAST,
            stations=equipment.base_stations(m),
            battery_life=equipment.BASE_STATION_BATTERY,
        )
    if spec.lalert:
        entry = node(
            "lalert-entry",
            NodeKind.HUMAN_STEP,
            "L-Alert entry",
            OFFICE_POWER,
            system=AlertSystem.L_ALERT,
            delay_s=ENTRY_DELAY,
            servers=1,
        )
        link("lalert-up", Medium.INTERNET, entry, ["lalert/hub"])
    if spec.patrols:
        patrol = node(
            "patrols",
            NodeKind.EMITTER,
            "fire brigade and police patrols",
            OWN_POWER,
            channel=Channel.DOOR_TO_DOOR,
            delay_s=PATROL_DELAY,
            categories=list(PATROL_CATEGORIES),
        )
        link("patrol-dispatch", Medium.MCA, receiver, [patrol])
    municipal_headends(spec, m, out)

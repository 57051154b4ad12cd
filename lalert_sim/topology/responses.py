"""Prepares responses at load time: pools, unit rules and sites (defaults resolved), substitute and roaming links.

A loaned unit's substitute link exists in the topology from the start, dormant
(down) and store-and-forward, so that what arrives while the municipality is cut
off waits and goes through the moment the unit is set up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from lalert_sim.errors import Problem
from lalert_sim.model.carriers import largest_other
from lalert_sim.model.distributions import LogNormal, _AnyDistribution
from lalert_sim.model.incidents import CarrierOutage
from lalert_sim.model.media import Medium
from lalert_sim.model.network import Channel, Link
from lalert_sim.model.responses import Depot, Equipment, Loan, Policy, Pool, PowerVehicles, Responses, Roaming
from lalert_sim.topology.graph import Topology, unknown_node_message
from lalert_sim.topology.incidents import IncidentPlan
from lalert_sim.topology.reference import MunicipalityTable
from lalert_sim.topology.templates import cell_broadcast_centre_id

# MIC's regional telecom bureaus (and the Okinawa office), where loan stock is held (DOMAIN).
BUREAUS = (
    ("Hokkaido (Sapporo)", 43.06, 141.35),
    ("Tohoku (Sendai)", 38.27, 140.87),
    ("Kanto (Tokyo)", 35.69, 139.75),
    ("Shinetsu (Nagano)", 36.65, 138.19),
    ("Hokuriku (Kanazawa)", 36.56, 136.66),
    ("Tokai (Nagoya)", 35.18, 136.91),
    ("Kinki (Osaka)", 34.69, 135.50),
    ("Chugoku (Hiroshima)", 34.39, 132.46),
    ("Shikoku (Matsuyama)", 33.84, 132.77),
    ("Kyushu (Kumamoto)", 32.80, 130.71),
    ("Okinawa (Naha)", 26.21, 127.68),
)


@dataclass(frozen=True)
class UnitDefaults:
    """What one type of loaned unit is: how many the nation holds, its substitute link, its set-up time."""

    national_stock: int
    medium: Medium
    setup_s: _AnyDistribution


# National stock, April 2024 (DOMAIN); satellite internet kits since Noto 2024: count is an assumption.
# Substitute-link media and set-up times are assumptions.
UNITS: dict[Equipment, UnitDefaults] = {
    Equipment.SIMPLE_RADIO: UnitDefaults(1065, Medium.MCA, LogNormal(median=900, sigma=0.4)),
    Equipment.MCA_RADIO: UnitDefaults(179, Medium.MCA, LogNormal(median=1800, sigma=0.4)),
    # a person reads the alert from the satellite phone onto the local radio
    Equipment.SATELLITE_PHONE: UnitDefaults(106, Medium.MANUAL_RELAY, LogNormal(median=1800, sigma=0.4)),
    Equipment.ICT_UNIT: UnitDefaults(25, Medium.SATELLITE_GEO, LogNormal(median=10800, sigma=0.3)),
    Equipment.SATELLITE_INTERNET: UnitDefaults(100, Medium.SATELLITE_LEO, LogNormal(median=7200, sigma=0.3)),
    Equipment.POWER_VEHICLE: UnitDefaults(0, Medium.FIBRE, LogNormal(median=1200, sigma=0.3)),
}


def spread(units: int) -> list[Depot]:
    """``units`` spread as evenly as possible over the bureaus (assumption)."""
    base, extra = divmod(units, len(BUREAUS))
    return [
        Depot(name=name, lat=lat, lon=lon, units=base + (1 if i < extra else 0))
        for i, (name, lat, lon) in enumerate(BUREAUS)
    ]


def pool_depots(pool: Pool) -> list[Depot]:
    """The pool's depots: as given, or its total (default: the national stock) over the bureaus."""
    if pool.depots is not None:
        return pool.depots
    return spread(UNITS[pool.equipment].national_stock if pool.units is None else pool.units)


def loan_link_id(equipment: Equipment, code: str) -> str:
    """The id of the substitute link a loaned unit provides to municipality ``code`` (built here only)."""
    return f"loan/{equipment.value}/{code}"


@dataclass(frozen=True)
class PoolPlan:
    """A pool with its depots resolved."""

    equipment: Equipment
    depots: tuple[Depot, ...]
    loan_s: float  # how long a unit stays before it returns (inf: for good)


@dataclass(frozen=True)
class Site:
    """Where a unit is needed: where it travels to and what a pool's policy weighs."""

    code: str  # the municipality ("" for a node outside any)
    lat: float
    lon: float
    population: int
    coastal: bool


@dataclass(frozen=True)
class UnitRule:
    """How one kind of unit is asked for, brought and set up, with every default resolved."""

    equipment: Equipment
    detect_s: _AnyDistribution  # from the cut-off to the request
    setup_s: _AnyDistribution
    speed_kmh: float
    road_damage: float  # multiplies transport time
    max_transport_s: float
    policy: Policy


@dataclass(frozen=True)
class Watch:
    """A node whose being cut off makes its municipality ask for a unit.

    ``link`` is the loaned unit's substitute link; None for a power vehicle,
    which brings the node itself back. ``streams`` names its random streams.
    """

    node: str
    site: Site
    streams: str
    link: str | None = None
    incoming: tuple[str, ...] = ()  # links into the node whose all being down cuts it off


@dataclass(frozen=True)
class UnitPlan:
    """One rule for units (a loan, or the power vehicles) and the nodes it watches."""

    rule: UnitRule
    watches: tuple[Watch, ...]


@dataclass(frozen=True)
class RoamingPlan:
    """Roaming links that come up after the switchover of one carrier outage (its carrier's subscribers)."""

    incident: CarrierOutage
    partner: str
    links: tuple[str, ...]
    switchover_s: _AnyDistribution

    @property
    def carrier(self) -> str:
        """The carrier whose subscribers roam."""
        return self.incident.carrier


@dataclass
class ResponsePlan:
    """Everything responses need at run time."""

    pools: dict[Equipment, PoolPlan] = field(default_factory=dict)
    loans: list[UnitPlan] = field(default_factory=list)
    roaming: list[RoamingPlan] = field(default_factory=list)
    power: UnitPlan | None = None


def prepare_responses(
    topology: Topology,
    responses: Responses,
    incidents: list[IncidentPlan],
    table: MunicipalityTable,
    problems: list[Problem],
) -> tuple[Topology, ResponsePlan]:
    """A topology with the dormant substitute and roaming links added, and the run-time plan."""
    pools = {p.equipment: p for p in responses.pools}
    seen: set[Equipment] = set()
    for index, pool in enumerate(responses.pools):
        if pool.equipment in seen:
            problems.append(Problem(f"a second pool of {pool.equipment.value}", ("responses", "pools", index)))
        seen.add(pool.equipment)
    plan = ResponsePlan()
    added: list[Link] = []
    for index, loan in enumerate(responses.loans):
        pools.setdefault(loan.equipment, Pool(equipment=loan.equipment))
        watches = _loan_links(topology, index, loan, table, added, problems)
        plan.loans.append(UnitPlan(_loan_rule(loan), tuple(watches)))
    vehicles = responses.power_vehicles
    if vehicles is not None:
        depots = [vehicles.depot.model_copy(update={"units": vehicles.units})] if vehicles.depot else None
        pools[Equipment.POWER_VEHICLE] = Pool(
            equipment=Equipment.POWER_VEHICLE, depots=depots, units=None if depots else vehicles.units
        )
        plan.power = UnitPlan(_power_rule(vehicles), _power_watches(topology, vehicles, table, problems))
    plan.pools = {eq: PoolPlan(eq, tuple(pool_depots(pool)), pool.loan_s) for eq, pool in pools.items()}
    if responses.roaming is not None and responses.roaming.enabled:
        for incident in incidents:
            if isinstance(incident.spec, CarrierOutage):
                roaming = _roaming_links(topology, incident.index, incident.spec, responses.roaming, added, problems)
                if roaming is not None:
                    plan.roaming.append(roaming)
    if not added:
        return topology, plan
    return Topology(nodes=topology.nodes, links=[*topology.links, *added]), plan


def _loan_rule(loan: Loan) -> UnitRule:
    setup = loan.setup_s or UNITS[loan.equipment].setup_s
    return UnitRule(
        loan.equipment, loan.detect_s, setup, loan.speed_kmh, loan.road_damage, loan.max_transport_s, loan.policy
    )


def _power_rule(vehicles: PowerVehicles) -> UnitRule:
    equipment = Equipment.POWER_VEHICLE
    speed, damage = vehicles.speed_kmh, vehicles.road_damage
    return UnitRule(equipment, vehicles.detect_s, vehicles.setup_s, speed, damage, math.inf, vehicles.policy)


def _site(code: str, table: MunicipalityTable, lat: float | None = None, lon: float | None = None) -> Site | None:
    """The municipality's site (its coordinates unless the node has its own); None when neither is known."""
    m = table[code] if code in table else None
    if lat is None or lon is None:
        if m is None:
            return None
        lat, lon = m.lat, m.lon
    return Site(code, lat, lon, m.population if m else 0, m.coastal if m else False)


def _power_watches(
    topology: Topology, vehicles: PowerVehicles, table: MunicipalityTable, problems: list[Problem]
) -> tuple[Watch, ...]:
    loc = ("responses", "power_vehicles", "watch")
    watched = [node for node in topology.nodes.values() if vehicles.watch.matches(node)]
    if not watched:
        problems.append(Problem("watches no node", loc))
    watches = []
    for node in watched:
        site = _site(node.area or "", table, node.lat, node.lon)
        if site is None:
            problems.append(Problem(f"node {node.id!r} has neither lat/lon nor a municipal area to drive to", loc))
        else:
            watches.append(Watch(node.id, site, streams=f"power:{node.id}"))
    return tuple(watches)


def _loan_links(
    topology: Topology, index: int, loan: Loan, table: MunicipalityTable, added: list[Link], problems: list[Problem]
) -> list[Watch]:
    loc = ("responses", "loans", index)
    if loan.source not in topology.nodes:
        problems.append(Problem(unknown_node_message(loan.source, topology.nodes), (*loc, "source")))
        return []
    into: dict[str, list[str]] = {}
    for link in topology.links:
        if not link.dormant:
            for target in link.targets:
                into.setdefault(target, []).append(link.id)
    watches = []
    for node in topology.nodes.values():
        if not loan.watch.matches(node) or node.area is None or len(node.area) != 5:
            continue
        target = loan.deliver_to.format(code=node.area)
        if target not in topology.nodes:
            problems.append(Problem(unknown_node_message(target, topology.nodes), (*loc, "deliver_to")))
            return []
        site = _site(node.area, table)
        if site is None:
            problems.append(Problem(f"municipality {node.area} of {node.id!r} is not in the table", (*loc, "watch")))
            continue
        link_id = loan_link_id(loan.equipment, node.area)
        medium = loan.medium or UNITS[loan.equipment].medium
        added.append(
            Link.model_validate(
                {
                    "id": link_id,
                    "medium": medium,
                    "source": loan.source,
                    "targets": [target],
                    "dormant": True,
                    "store_and_forward": True,
                    "broadcast": False,
                }
            )
        )
        watches.append(Watch(node.id, site, f"loan:{index}:{node.area}", link_id, tuple(into.get(node.id, ()))))
    if not watches:
        problems.append(Problem("watches no node with a municipal area", (*loc, "watch")))
    return watches


def _roaming_links(
    topology: Topology, index: int, outage: CarrierOutage, roaming: Roaming, added: list[Link], problems: list[Problem]
) -> RoamingPlan | None:
    carriers = topology.cell_broadcast_carriers
    host = roaming.partner or largest_other(outage.carrier, carriers)
    centre = cell_broadcast_centre_id(host or "")
    if host is None or centre not in topology.nodes:
        problems.append(
            Problem(
                f"no partner carrier for roaming (carriers: {', '.join(carriers)})", ("responses", "roaming", "partner")
            )
        )
        return None
    emitters = [
        n
        for n in topology.nodes.values()
        if n.carrier == outage.carrier
        and n.channel is Channel.CELL_BROADCAST
        and (outage.area is None or (n.area or "").startswith(outage.area))
    ]
    by_prefecture: dict[str, list[str]] = {}
    for node in emitters:
        by_prefecture.setdefault((node.area or "00")[:2], []).append(node.id)
    links = []
    for prefecture, targets in sorted(by_prefecture.items()):
        link_id = f"roaming/{outage.carrier}-via-{host}/{prefecture}/{index}"
        added.append(
            Link.model_validate(
                {
                    "id": link_id,
                    "medium": Medium.CELL_BROADCAST,
                    "source": centre,
                    "targets": targets,
                    "dormant": True,
                    "store_and_forward": True,
                }
            )
        )
        links.append(link_id)
    return RoamingPlan(outage, host, tuple(links), roaming.switchover_s)

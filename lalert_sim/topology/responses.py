"""Prepares responses at load time: default pools, dormant substitute links, roaming links.

A loaned unit's substitute link exists in the topology from the start, dormant
(down) and store-and-forward, so that what arrives while the municipality is cut
off waits and goes through the moment the unit is set up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lalert_sim.errors import Problem
from lalert_sim.model.carriers import largest_other
from lalert_sim.model.distributions import LogNormal, _AnyDistribution
from lalert_sim.model.incidents import CarrierOutage
from lalert_sim.model.media import Medium
from lalert_sim.model.network import Channel, Link
from lalert_sim.model.responses import Depot, Equipment, Loan, Pool, PowerVehicles, Responses, Roaming
from lalert_sim.topology.graph import Topology, unknown_node_message
from lalert_sim.topology.incidents import IncidentPlan

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
# National stock, April 2024 (DOMAIN); satellite internet kits since Noto 2024: count is an assumption.
NATIONAL_STOCK = {
    Equipment.SIMPLE_RADIO: 1065,
    Equipment.MCA_RADIO: 179,
    Equipment.SATELLITE_PHONE: 106,
    Equipment.ICT_UNIT: 25,
    Equipment.SATELLITE_INTERNET: 100,
    Equipment.POWER_VEHICLE: 0,
}
# What each unit's substitute link is like, and how long it takes to set up (assumptions).
EQUIPMENT_MEDIUM = {
    Equipment.SIMPLE_RADIO: Medium.MCA,
    Equipment.MCA_RADIO: Medium.MCA,
    Equipment.SATELLITE_PHONE: Medium.MANUAL_RELAY,  # a person reads the alert onto the local radio
    Equipment.ICT_UNIT: Medium.SATELLITE_GEO,
    Equipment.SATELLITE_INTERNET: Medium.SATELLITE_LEO,
    Equipment.POWER_VEHICLE: Medium.FIBRE,
}
SETUP_S: dict[Equipment, _AnyDistribution] = {
    Equipment.SIMPLE_RADIO: LogNormal(median=900, sigma=0.4),
    Equipment.MCA_RADIO: LogNormal(median=1800, sigma=0.4),
    Equipment.SATELLITE_PHONE: LogNormal(median=1800, sigma=0.4),
    Equipment.ICT_UNIT: LogNormal(median=10800, sigma=0.3),
    Equipment.SATELLITE_INTERNET: LogNormal(median=7200, sigma=0.3),
    Equipment.POWER_VEHICLE: LogNormal(median=1200, sigma=0.3),
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
    return spread(NATIONAL_STOCK[pool.equipment] if pool.units is None else pool.units)


@dataclass(frozen=True)
class Watch:
    """A node whose being cut off makes its municipality ask for a unit, and the unit's link."""

    node: str
    code: str
    link: str


@dataclass(frozen=True)
class LoanPlan:
    """One loan rule with the nodes it watches."""

    index: int
    loan: Loan
    watches: tuple[Watch, ...]


@dataclass(frozen=True)
class RoamingPlan:
    """Roaming links that come up after the switchover of one carrier outage."""

    incident: CarrierOutage
    carrier: str
    partner: str
    links: tuple[str, ...]
    switchover_s: _AnyDistribution


@dataclass
class ResponsePlan:
    """Everything responses need at run time."""

    pools: dict[Equipment, Pool] = field(default_factory=dict)
    loans: list[LoanPlan] = field(default_factory=list)
    roaming: list[RoamingPlan] = field(default_factory=list)
    power: PowerVehicles | None = None
    power_watch: tuple[str, ...] = ()


def prepare_responses(
    topology: Topology, responses: Responses, incidents: list[IncidentPlan], problems: list[Problem]
) -> tuple[Topology, ResponsePlan]:
    """A topology with the dormant substitute and roaming links added, and the run-time plan."""
    plan = ResponsePlan(pools={p.equipment: p for p in responses.pools})
    seen: set[Equipment] = set()
    for index, pool in enumerate(responses.pools):
        if pool.equipment in seen:
            problems.append(Problem(f"a second pool of {pool.equipment.value}", ("responses", "pools", index)))
        seen.add(pool.equipment)
    added: list[Link] = []
    for index, loan in enumerate(responses.loans):
        plan.pools.setdefault(loan.equipment, Pool(equipment=loan.equipment))
        watches = _loan_links(topology, index, loan, added, problems)
        plan.loans.append(LoanPlan(index, loan, tuple(watches)))
    vehicles = responses.power_vehicles
    if vehicles is not None:
        plan.power = vehicles
        depots = [vehicles.depot.model_copy(update={"units": vehicles.units})] if vehicles.depot else None
        plan.pools[Equipment.POWER_VEHICLE] = Pool(
            equipment=Equipment.POWER_VEHICLE, depots=depots, units=None if depots else vehicles.units
        )
        plan.power_watch = tuple(n.id for n in topology.nodes.values() if vehicles.watch.matches(n))
        if not plan.power_watch:
            problems.append(Problem("watches no node", ("responses", "power_vehicles", "watch")))
    if responses.roaming is not None and responses.roaming.enabled:
        for incident in incidents:
            if isinstance(incident.spec, CarrierOutage):
                roaming = _roaming_links(topology, incident, responses.roaming, added, problems)
                if roaming is not None:
                    plan.roaming.append(roaming)
    if not added:
        return topology, plan
    return Topology(nodes=topology.nodes, links=[*topology.links, *added]), plan


def _loan_links(topology: Topology, index: int, loan: Loan, added: list[Link], problems: list[Problem]) -> list[Watch]:
    loc = ("responses", "loans", index)
    if loan.source not in topology.nodes:
        problems.append(Problem(unknown_node_message(loan.source, topology.nodes), (*loc, "source")))
        return []
    watches = []
    for node in topology.nodes.values():
        if not loan.watch.matches(node) or node.area is None or len(node.area) != 5:
            continue
        target = loan.deliver_to.format(code=node.area)
        if target not in topology.nodes:
            problems.append(Problem(unknown_node_message(target, topology.nodes), (*loc, "deliver_to")))
            return []
        link_id = f"loan/{loan.equipment.value}/{node.area}"
        medium = loan.medium or EQUIPMENT_MEDIUM[loan.equipment]
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
        watches.append(Watch(node.id, node.area, link_id))
    if not watches:
        problems.append(Problem("watches no node with a municipal area", (*loc, "watch")))
    return watches


def _roaming_links(
    topology: Topology, incident: IncidentPlan, roaming: Roaming, added: list[Link], problems: list[Problem]
) -> RoamingPlan | None:
    outage = incident.spec
    assert isinstance(outage, CarrierOutage)
    carriers = topology.cell_broadcast_carriers
    host = roaming.partner or largest_other(outage.carrier, carriers)
    centre = f"carrier/{host}/cbc"
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
        link_id = f"roaming/{outage.carrier}-via-{host}/{prefecture}/{incident.index}"
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
    return RoamingPlan(outage, outage.carrier, host, tuple(links), roaming.switchover_s)

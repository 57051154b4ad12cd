"""Responses: loaned equipment from finite pools, power vehicles, inter-carrier roaming."""

from __future__ import annotations

from enum import StrEnum
from string import Formatter
from typing import Annotated

from pydantic import AfterValidator, Field

from lalert_sim.model.base import MAX_ID_LENGTH, Count, Endless, Frozen, PositiveSeconds, Ref, unbounded
from lalert_sim.model.distributions import Distribution, LogNormal
from lalert_sim.model.media import Medium
from lalert_sim.model.selectors import NodeSelector


def _code_placeholder_only(template: str) -> str:
    try:
        fields = [
            (name, spec, conversion) for _, name, spec, conversion in Formatter().parse(template) if name is not None
        ]
    except ValueError:
        fields = [("", "", None)]
    if any(field != ("code", "", None) for field in fields):
        raise ValueError("the only placeholder allowed is {code} (the municipality's code); write braces only for it")
    return template


NodeTemplate = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH), AfterValidator(_code_placeholder_only)]


class Equipment(StrEnum):
    """What MIC lends to local governments (DOMAIN), plus mobile power vehicles."""

    SIMPLE_RADIO = "simple_radio"
    MCA_RADIO = "mca_radio"
    SATELLITE_PHONE = "satellite_phone"
    ICT_UNIT = "ict_unit"
    SATELLITE_INTERNET = "satellite_internet"
    POWER_VEHICLE = "power_vehicle"


class Depot(Frozen):
    """Units of one pool held at one place (a regional telecom bureau)."""

    name: str = Field(max_length=MAX_ID_LENGTH)
    """Where the units are held, as reports name it (e.g. ``Tohoku (Sendai)``)."""
    lat: float = Field(ge=-90, le=90)
    """Latitude in degrees north: units travel from here by great-circle distance."""
    lon: float = Field(ge=-180, le=180)
    """Longitude in degrees east: units travel from here by great-circle distance."""
    units: Count
    """Units held here at the start of the run (at most 100,000)."""


class Pool(Frozen):
    """A finite stock of one kind of equipment at depots; default: the 2024 national figures."""

    equipment: Equipment
    """The kind of equipment in the pool (one pool per kind)."""
    depots: list[Depot] | None = Field(
        default=None, max_length=100, description="Where the units are held; default MIC's 11 regional bureaus."
    )
    units: Count | None = Field(
        default=None,
        description="Total units, spread evenly over the bureaus; default the national stock (April 2024).",
    )
    loan_s: Endless = unbounded(gt=0)
    """Seconds a unit stays lent before it returns to its depot; omitted: not within the run."""


class Policy(StrEnum):
    """Who is served first when requests wait for the same pool."""

    FIFO = "fifo"  # first come, first served
    POPULATION = "population"  # larger population first
    COASTAL_FIRST = "coastal_first"  # coastal municipalities first, then first come


class Loan(Frozen):
    """A cut-off municipality requests a unit, which then provides a substitute link.

    ``watch`` picks the nodes whose being cut off (down, or every link into them
    down) means the municipality lost its alert path; ``deliver_to`` (with
    ``{code}`` for the municipality) is where the substitute link ends; it starts
    at ``source``.
    """

    equipment: Equipment
    """What is lent; it comes from that equipment's pool (default: the national stock)."""
    watch: NodeSelector = Field(default_factory=lambda: NodeSelector(ids=["m-*/receiver"]))
    """Nodes whose cut-off makes their municipality ask for a unit; default every J-Alert receiver."""
    source: Ref = Field(
        default="jalert/centre", description="Node where the substitute link starts; default the J-Alert centre."
    )
    deliver_to: NodeTemplate = "m-{code}/startup"
    """Node where the substitute link ends (``{code}``: the municipality's); default its start-up device."""
    medium: Medium | None = Field(
        default=None,
        description="Medium of the substitute link; default by equipment (a satellite phone: manual_relay).",
    )
    detect_s: Distribution = Field(
        default=LogNormal(median=1800, sigma=0.5),
        description="Seconds from cut-off to the request (assumption: about 30 min).",
    )
    setup_s: Distribution | None = Field(
        default=None,
        description="Seconds from arrival to the substitute link working; default by equipment (assumption).",
    )
    speed_kmh: float = Field(default=40, gt=0, le=1_000, description="Road transport speed in km/h (assumption).")
    road_damage: float = Field(
        default=1.0, ge=1, le=1_000, description="Multiplies transport time (cut roads); 1: roads intact."
    )
    max_transport_s: PositiveSeconds = Field(
        default=172800,
        description="Longest a delivery takes, however far (DOMAIN: MIC's delivery target within 48 h).",
    )
    policy: Policy = Policy.FIFO
    """Who is served first when requests wait: ``fifo`` (the default), ``population`` or ``coastal_first``."""


class PowerVehicles(Frozen):
    """Mobile power-supply vehicles restoring nodes whose batteries ran out (DOMAIN: Digital Agency plan)."""

    units: Count
    """Vehicles in the fleet (at most 100,000)."""
    depot: Depot | None = Field(default=None, description="Default: the regional bureau nearest each request.")
    watch: NodeSelector = Field(default_factory=lambda: NodeSelector(ids=["m-*/startup", "m-*/receiver"]))
    """Nodes a vehicle restores when their battery runs out; default every J-Alert receiver and start-up device."""
    detect_s: Distribution = Field(default=LogNormal(median=900, sigma=0.5))
    """Seconds from the node going down to the request (assumption: about 15 min)."""
    setup_s: Distribution = Field(default=LogNormal(median=1200, sigma=0.3))
    """Seconds from arrival to the node running again (assumption: about 20 min)."""
    speed_kmh: float = Field(default=40, gt=0, le=1_000)
    """Road speed in km/h (assumption)."""
    road_damage: float = Field(default=1.0, ge=1, le=1_000)
    """Multiplies transport time (cut roads); 1: roads intact."""
    policy: Policy = Policy.FIFO
    """Who is served first when requests wait: ``fifo`` (the default) or ``population``."""


class Roaming(Frozen):
    """During a carrier outage its subscribers use another carrier's network after a switchover."""

    enabled: bool = True
    """False: roaming is off, as if the section were absent; default on."""
    switchover_s: Distribution = Field(
        default=LogNormal(median=1800, sigma=0.3),
        description="Seconds from the outage to roaming working (assumption: about 30 min).",
    )
    partner: Ref | None = Field(
        default=None, description="Carrier whose network hosts them; default the largest other carrier present."
    )


class Responses(Frozen):
    """Everything the country does in answer (scenario section ``responses``)."""

    pools: list[Pool] = Field(default_factory=list, max_length=50)
    """Stocks of loan equipment; a kind not listed has the national stock (April 2024)."""
    loans: list[Loan] = Field(default_factory=list, max_length=50)
    """Rules for lending a unit to a cut-off municipality; default none."""
    power_vehicles: PowerVehicles | None = None
    """The fleet of mobile power-supply vehicles; none: no vehicles."""
    roaming: Roaming | None = None
    """Inter-carrier roaming during carrier outages; none: no roaming."""

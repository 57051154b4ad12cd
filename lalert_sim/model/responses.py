"""Responses: loaned equipment from finite pools, power vehicles, inter-carrier roaming."""

from __future__ import annotations

import math
from enum import StrEnum

from pydantic import Field

from lalert_sim.model.base import Frozen
from lalert_sim.model.distributions import Distribution, LogNormal
from lalert_sim.model.media import Medium
from lalert_sim.model.selectors import NodeSelector


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

    name: str
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    units: int = Field(ge=0)


class Pool(Frozen):
    """A finite stock of one kind of equipment at depots; default: the 2024 national figures."""

    equipment: Equipment
    depots: list[Depot] | None = Field(default=None, description="Default: the national stock at the 11 bureaus.")
    units: int | None = Field(default=None, ge=0, description="Total, spread over the default depots.")
    loan_s: float = Field(default=math.inf, gt=0, description="How long a unit stays before it returns.")


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
    watch: NodeSelector = Field(default_factory=lambda: NodeSelector(ids=["m-*/receiver"]))
    source: str = Field(default="jalert/centre", description="Where the substitute link starts.")
    deliver_to: str = Field(default="m-{code}/startup")
    medium: Medium | None = Field(default=None, description="Default by equipment.")
    detect_s: Distribution = Field(
        default=LogNormal(median=1800, sigma=0.5), description="From cut-off to the request (assumption: about 30 min)."
    )
    setup_s: Distribution | None = Field(default=None, description="Default by equipment.")
    speed_kmh: float = Field(default=40, gt=0, description="Road transport speed (assumption).")
    road_damage: float = Field(default=1.0, ge=1, description="Multiplies transport time (cut roads).")
    max_transport_s: float = Field(
        default=172800,
        gt=0,
        description="Longest a delivery takes, however far (DOMAIN: MIC's delivery target within 48 h).",
    )
    policy: Policy = Policy.FIFO


class PowerVehicles(Frozen):
    """Mobile power-supply vehicles restoring nodes whose batteries ran out (DOMAIN: Digital Agency plan)."""

    units: int = Field(ge=0)
    depot: Depot | None = Field(default=None, description="Default: the regional bureau nearest each request.")
    watch: NodeSelector = Field(default_factory=lambda: NodeSelector(ids=["m-*/startup", "m-*/receiver"]))
    detect_s: Distribution = Field(default=LogNormal(median=900, sigma=0.5))
    setup_s: Distribution = Field(default=LogNormal(median=1200, sigma=0.3))
    speed_kmh: float = Field(default=40, gt=0)
    road_damage: float = Field(default=1.0, ge=1)
    policy: Policy = Policy.FIFO


class Roaming(Frozen):
    """During a carrier outage its subscribers use another carrier's network after a switchover."""

    enabled: bool = True
    switchover_s: Distribution = Field(
        default=LogNormal(median=1800, sigma=0.3), description="From the outage to roaming working (assumption)."
    )
    partner: str | None = Field(default=None, description="Carrier that hosts them; default the largest other.")


class Responses(Frozen):
    """Everything the country does in answer (scenario section ``responses``)."""

    pools: list[Pool] = Field(default_factory=list)
    loans: list[Loan] = Field(default_factory=list)
    power_vehicles: PowerVehicles | None = None
    roaming: Roaming | None = None

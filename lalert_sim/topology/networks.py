"""The ministry's fire-and-disaster networks between the state, prefectures and municipalities.

DOMAIN (MIC overview) names five: central disaster radio (within government; the
templates use it to reach NHK, see topology/broadcasters.py), FDMA–prefecture
disaster radio, prefecture disaster administrative radio (prefecture ↔
municipalities), municipal disaster administrative radio (the loudspeakers) and
the satellite network between the state and local governments (J-Alert's
satellite links, medium ``lg_satellite``).

Per prefecture this module adds ``pref-PP/disaster-office``, reached from FDMA
over ``fdma/to-pref-PP`` (FDMA–prefecture radio, terrestrial microwave) and
``fdma/sat-pref-PP`` (its satellite backup), which forwards tsunami warnings to
its municipalities' offices over ``pref-PP/to-municipalities`` (prefecture
disaster radio): the statutory route of JMA's warnings (JMA → prefecture →
municipality), a second path beside J-Alert's own links. The municipal end is
the office's receiver (``m-CODE/receiver``, which stands for the office's disaster
desk): an office lost to the disaster loses both paths.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lalert_sim.model.alerts import AlertCategory
from lalert_sim.model.distributions import Uniform
from lalert_sim.model.media import Medium
from lalert_sim.model.network import Link, Node, NodeKind
from lalert_sim.topology.reference import Municipality

if TYPE_CHECKING:
    from lalert_sim.model.templates import TopologyTemplate
    from lalert_sim.topology.templates import Generated

FDMA = "jalert/centre"
"""FDMA's end of the FDMA–prefecture network: the J-Alert centre."""
FORWARDED = [AlertCategory.MAJOR_TSUNAMI_WARNING, AlertCategory.TSUNAMI_WARNING, AlertCategory.TSUNAMI_ADVISORY]
"""What a prefecture office forwards to its municipalities (JMA's warnings and advisories, statutory route;
assumption: tsunami messages only, the others are J-Alert's alone)."""
OFFICE_DELAY = Uniform(low=1.0, high=3.0)  # assumption: the prefecture's system forwards automatically
OFFICE_POWER: dict[str, Any] = {"generator": True}  # assumption: prefecture offices have emergency generators


def prefecture_office_id(code: str) -> str:
    """The id of prefecture ``code``'s disaster office (the one place this id scheme is written)."""
    return f"pref-{code}/disaster-office"


def prefecture_office(spec: TopologyTemplate, code: str, chosen: list[Municipality], out: Generated) -> None:
    """Prefecture ``code``'s disaster office, its links from FDMA and to the chosen municipalities."""
    if not (spec.jalert and spec.prefecture_offices):
        return
    office = prefecture_office_id(code)
    out.nodes.append(
        Node.model_validate(
            {
                "id": office,
                "kind": NodeKind.RELAY,
                "name": f"prefecture {code} disaster office",
                "area": code,
                "categories": FORWARDED,
                "delay_s": OFFICE_DELAY,
                **OFFICE_POWER,
            }
        )
    )
    for link_id, medium in (
        (f"fdma/to-pref-{code}", Medium.FDMA_PREFECTURE_RADIO),
        (f"fdma/sat-pref-{code}", Medium.LG_SATELLITE),
    ):
        out.links.append(Link.model_validate({"id": link_id, "medium": medium, "source": FDMA, "targets": [office]}))
    offices = [f"m-{m.code}/receiver" for m in chosen]
    out.links.append(
        Link.model_validate(
            {
                "id": f"pref-{code}/to-municipalities",
                "medium": Medium.PREFECTURE_DISASTER_RADIO,
                "source": office,
                "targets": offices,
            }
        )
    )

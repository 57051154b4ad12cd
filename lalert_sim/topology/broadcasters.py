"""TV and radio on the J-Alert/JMA path: break-ins, and the headends some households' TV depends on.

Today's L-Alert broadcasters (``pref-PP/broadcaster-K``) pick up local
governments' entries minutes to an hour late. Beside them, NHK and commercial
broadcasters break in with earthquake early warnings and tsunami warnings that
JMA sends them directly, and show missile alerts (DOMAIN, "Warning from person
to person, and broadcasters"). The alert's issue at the J-Alert origin stands
for JMA's (or the government's) issue; the broadcasters' feeds leave from it in
parallel with J-Alert's own links:

- ``broadcast/eew-feed`` takes earthquake early warnings only and puts them on
  air automatically (``broadcast/eew-nhk``, ``broadcast/eew-PP``);
- ``nhk/newsroom`` (fed over central disaster radio: NHK is a designated public
  body) and ``pref-PP/newsroom`` take tsunami warnings and missile alerts, which
  a person breaks in with in a minute or two (``nhk/on-air``, ``pref-PP/on-air``).

Emitters: ``nhk/tv`` and ``nhk/radio`` (national), ``pref-PP/tv`` and
``pref-PP/radio`` (commercial stations of the prefecture). Other categories (a
national J-Alert test, an evacuation order) never take this path: the feeds'
``categories`` filter them out.

Headends: ``m-CODE/community-tv`` (a community reception facility for terrestrial
digital TV, in valleys and on islands: key disaster-information infrastructure,
DOMAIN, governors' proposal 2022) and ``m-CODE/cable-tv`` (the cable operator's
headend) carry no messages in the engine; each says which share of its
municipality's residents get TV only through it (``headend_share``), and the
reach model takes TV away from them while it is down (reach/headends.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lalert_sim.model.alerts import AlertCategory
from lalert_sim.model.distributions import LogNormal, Uniform
from lalert_sim.model.media import Medium
from lalert_sim.model.network import Channel, Link, Node, NodeKind
from lalert_sim.streams import stable_fraction
from lalert_sim.topology.reference import Municipality

if TYPE_CHECKING:
    from lalert_sim.model.templates import TopologyTemplate
    from lalert_sim.topology.templates import Generated

ORIGIN = "jalert/centre"
"""Where the broadcasters' feeds leave from: the J-Alert origin (its issue stands for JMA's)."""
EEW_FEED = "broadcast/eew-feed"
NHK_NEWSROOM = "nhk/newsroom"
NHK_EMITTERS = ("nhk/tv", "nhk/radio")

AUTOMATIC = [AlertCategory.EARTHQUAKE_EARLY_WARNING]
"""Put on air by machine as they come: JMA sends EEWs to broadcasters directly (DOMAIN)."""
STUDIO = [
    AlertCategory.MAJOR_TSUNAMI_WARNING,
    AlertCategory.TSUNAMI_WARNING,
    AlertCategory.TSUNAMI_ADVISORY,
    AlertCategory.BALLISTIC_MISSILE,
]
"""Broken in with by a person in the studio (DOMAIN: broadcasters break in with tsunami warnings and show
missile alerts; tsunami advisories too, shown on the tsunami map until lifted: assumption)."""

BROADCASTER_POWER: dict[str, Any] = {"generator": True}  # assumption: broadcasters have emergency generators

# Delays, each with its source (DOMAIN = docs/DOMAIN.md).
FEED_DELAY = Uniform(low=0.1, high=0.3)  # assumption: the feed's own processing
ON_AIR_DELAY = Uniform(low=0.5, high=1.5)  # assumption: caption and chime inserted automatically
# The medium `broadcast` adds 2-4 s on the way to the screen (DOMAIN: digital TV shows an EEW about 2 s after
# analogue, one-seg about 4 s).
NHK_STUDIO_DELAY = LogNormal(median=60.0, sigma=0.5)  # assumption: NHK breaks in within about a minute
COMMERCIAL_STUDIO_DELAY = LogNormal(median=120.0, sigma=0.5)  # assumption: commercial stations within a minute or two

# Headends: share of residents whose TV comes only through them, by municipality kind (all assumptions;
# about 9,700 self-run and 5,300 NHK community reception facilities serve mostly small mountain
# settlements; northern Noto depended on cable TV, which went off air when backup power ran out, MIC
# white paper 2024).
COMMUNITY_TV_PRESENT = {"village": 0.8, "town": 0.6, "city": 0.25, "special_ward": 0.0}  # assumption
COMMUNITY_TV_SHARE = {"village": 0.10, "town": 0.05, "city": 0.01, "special_ward": 0.0}  # assumption
CABLE_TV_PRESENT = {"village": 0.4, "town": 0.4, "city": 0.5, "special_ward": 0.5}  # assumption
CABLE_TV_SHARE = {"village": 0.25, "town": 0.10, "city": 0.03, "special_ward": 0.02}  # assumption
COMMUNITY_TV_POWER: dict[str, Any] = {}  # assumption: no backup, down as soon as mains power is lost
CABLE_TV_POWER: dict[str, Any] = {"battery_h": 3.0}  # assumption: short backup (Noto 2024: ran out)


def _node(**fields: Any) -> Node:
    return Node.model_validate(fields)


def _link(**fields: Any) -> Link:
    return Link.model_validate(fields)


def breakins_enabled(spec: TopologyTemplate) -> bool:
    """True when the template generates the break-in path (it hangs off the J-Alert origin)."""
    return spec.jalert and spec.broadcast_breakins


def national_breakins(spec: TopologyTemplate, out: Generated) -> None:
    """The EEW feed, and NHK General TV and Radio 1 with their newsroom (when ``national_broadcasters``)."""
    if not breakins_enabled(spec):
        return
    out.nodes.append(
        _node(
            id=EEW_FEED,
            kind=NodeKind.RELAY,
            name="JMA earthquake early warning feed to broadcasters",
            categories=AUTOMATIC,
            delay_s=FEED_DELAY,
            **BROADCASTER_POWER,
        )
    )
    out.links.append(_link(id="jalert/to-eew-feed", medium=Medium.TERRESTRIAL_GOV, source=ORIGIN, targets=[EEW_FEED]))
    if not spec.national_broadcasters:
        return
    out.nodes.append(
        _node(
            id=NHK_NEWSROOM,
            kind=NodeKind.HUMAN_STEP,
            name="NHK newsroom break-in",
            categories=STUDIO,
            delay_s=NHK_STUDIO_DELAY,
            **BROADCASTER_POWER,
        )
    )
    for node_id, channel, label in zip(
        NHK_EMITTERS, (Channel.TV, Channel.RADIO), ("General TV", "Radio 1"), strict=True
    ):
        out.nodes.append(
            _node(
                id=node_id,
                kind=NodeKind.EMITTER,
                channel=channel,
                name=f"NHK {label}",
                delay_s=ON_AIR_DELAY,
                **BROADCASTER_POWER,
            )
        )
    targets = list(NHK_EMITTERS)
    out.links.append(
        _link(id="jalert/to-nhk", medium=Medium.CENTRAL_DISASTER_RADIO, source=ORIGIN, targets=[NHK_NEWSROOM])
    )
    out.links.append(_link(id="nhk/on-air", medium=Medium.BROADCAST, source=NHK_NEWSROOM, targets=targets))
    out.links.append(_link(id="broadcast/eew-nhk", medium=Medium.BROADCAST, source=EEW_FEED, targets=targets))


def prefecture_breakins(spec: TopologyTemplate, code: str, out: Generated) -> None:
    """One commercial TV and one radio station of prefecture ``code``, with their newsroom."""
    if not breakins_enabled(spec):
        return
    newsroom = f"pref-{code}/newsroom"
    stations = [f"pref-{code}/tv", f"pref-{code}/radio"]
    out.nodes.append(
        _node(
            id=newsroom,
            kind=NodeKind.HUMAN_STEP,
            name=f"prefecture {code} commercial newsroom break-in",
            area=code,
            categories=STUDIO,
            delay_s=COMMERCIAL_STUDIO_DELAY,
            **BROADCASTER_POWER,
        )
    )
    for station, channel in zip(stations, (Channel.TV, Channel.RADIO), strict=True):
        out.nodes.append(
            _node(
                id=station,
                kind=NodeKind.EMITTER,
                channel=channel,
                name=f"prefecture {code} commercial {channel.value}",
                area=code,
                delay_s=ON_AIR_DELAY,
                **BROADCASTER_POWER,
            )
        )
    out.links.append(
        _link(id=f"jalert/to-newsroom-{code}", medium=Medium.TERRESTRIAL_GOV, source=ORIGIN, targets=[newsroom])
    )
    out.links.append(_link(id=f"pref-{code}/on-air", medium=Medium.BROADCAST, source=newsroom, targets=stations))
    out.links.append(_link(id=f"broadcast/eew-{code}", medium=Medium.BROADCAST, source=EEW_FEED, targets=stations))


def municipal_headends(spec: TopologyTemplate, m: Municipality, out: Generated) -> None:
    """The municipality's community reception facility and cable-TV headend, where it has them.

    Which municipalities have them is fixed by code (``stable_fraction``), not by the seed.
    """
    if not spec.tv_headends:
        return
    kind = m.kind if m.kind in COMMUNITY_TV_SHARE else "city"
    place = {"area": m.code, "lat": m.lat, "lon": m.lon}
    parts = (
        ("community-tv", "community TV reception", COMMUNITY_TV_PRESENT, COMMUNITY_TV_SHARE, COMMUNITY_TV_POWER),
        ("cable-tv", "cable TV headend", CABLE_TV_PRESENT, CABLE_TV_SHARE, CABLE_TV_POWER),
    )
    for part, label, present, share, power in parts:
        if share[kind] > 0 and stable_fraction(f"{part}/{m.code}") < present[kind]:
            out.nodes.append(
                _node(
                    id=f"m-{m.code}/{part}",
                    kind=NodeKind.RELAY,
                    name=f"{m.name} {label}",
                    headend_share=share[kind],
                    **place,
                    **power,
                )
            )

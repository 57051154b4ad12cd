"""How residents are modelled in a scenario: when, and what to report (rain is a ``heavy_rain`` incident)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from lalert_sim.model.base import Frozen, Share
from lalert_sim.model.calendar import DayType
from lalert_sim.model.distributions import Distribution, LogNormal

REACH_MAX_S = 12 * 3_600
"""Longest deadline and horizon of the reach curves (12 h): their size grows with it (~600 MB nationwide)."""


class Reachability(Frozen):
    """Chance (0–1) that someone told by a warned resident takes it in, by where they are (assumptions)."""

    home_awake: Share = 1.0
    """At home and awake: household members and neighbours reach them (assumption)."""
    home_asleep: Share = 0.6
    """At home asleep: a household member wakes them, unless they live alone (assumption)."""
    outdoors: Share = 0.7
    """Out of doors: told by people around them or by phone (assumption)."""
    at_work: Share = 1.0
    """At work or school: colleagues tell each other (assumption)."""
    in_vehicle: Share = 0.3
    """Driving: hard to reach, mostly by a call or a passenger (assumption)."""


class WordOfMouth(Frozen):
    """Warning from person to person: warned residents tell others in their municipality (lalert_sim.reach.diffusion).

    DOMAIN ("Warning from person to person"): in Tohoku 2011, 8.1 % learned from family or
    neighbours; 70 % of those who get an NL-Alert inform others; diffusion is logistic (Rogers & Sorensen).
    """

    enabled: bool = True
    """Whether warned residents pass the warning on (false: channels only)."""
    share_who_tell: Share = 0.7
    """Share (0–1) of warned residents who tell others (DOMAIN: NL-Alert, 70 % inform others)."""
    contacts: float = Field(default=0.8, ge=0, le=100)
    """People not yet warned whom each of them tells, on average (household members, neighbours, colleagues;
    fitted to Tohoku 2011, where 8.1 % of those warned learned from family or neighbours, DOMAIN)."""
    delay: Distribution = LogNormal(median=180, sigma=0.8)
    """Seconds from being warned to telling someone: calling, walking next door (assumption)."""
    reachability: Reachability = Reachability()
    """Chance that a person told takes it in, by where they are (assumptions)."""


class FeltQuake(Frozen):
    """What residents do in the minutes after a strong earthquake they felt, before a tsunami warning reaches them.

    Fitted to Tohoku 2011 (DOMAIN, "Real events to reproduce": of those in the inundated areas, 58.2 %
    learned of the major tsunami warning from outdoor disaster radio, 27.8 % from radio, 7.8 % from TV,
    with mains power lost at the quake); validation/events.yaml checks it.
    """

    woken: Share = 0.9
    """Share (0–1) of those asleep whom the shaking woke (assumption)."""
    outdoors: Share = 0.5
    """Share (0–1) of those indoors (at home or at work) who have gone out of doors (fitted to Tohoku 2011)."""
    switch_on_radio: Share = 0.5
    """Share (0–1) of those not listening who switch on a radio (at home, at work, in a car) for news
    (fitted to Tohoku 2011)."""
    switch_on_tv: Share = 0.5
    """Share (0–1) of those not watching who switch on a TV for news; without mains power only sets on
    batteries work (fitted to Tohoku 2011)."""


class ReceptionFactors(Frozen):
    """Multiplies each channel's chance of warning someone where it emits (the reach model's figures in
    reach/parameters.py, mostly assumptions), capped at 1; default 1 each: the model's own figures.
    For testing those assumptions (``lalert-sim sensitivity``) or a place that differs."""

    outdoor_loudspeaker: float = Field(default=1.0, ge=0, le=100)
    """Outdoor loudspeakers of the disaster radio (DOMAIN: about two-thirds find them hard to hear)."""
    indoor_receiver: float = Field(default=1.0, ge=0, le=100)
    """Indoor receivers of the disaster radio, given one in the household (assumption)."""
    cell_broadcast: float = Field(default=1.0, ge=0, le=100)
    """Cell broadcast (DOMAIN: about 90 % of devices; asleep and driving are assumptions)."""
    tv: float = Field(default=1.0, ge=0, le=100)
    """TV break-ins, for those tuned in (assumption: chime and caption)."""
    radio: float = Field(default=1.0, ge=0, le=100)
    """Radio break-ins, for those tuned in (assumption)."""
    community_fm: float = Field(default=1.0, ge=0, le=100)
    """Community FM started automatically (assumption)."""
    portal: float = Field(default=1.0, ge=0, le=100)
    """Portals fed by L-Alert: someone looks (assumption)."""
    app: float = Field(default=1.0, ge=0, le=100)
    """Push notifications of installed apps (assumption)."""
    signage: float = Field(default=1.0, ge=0, le=100)
    """Digital signage, out of doors (assumption)."""
    door_to_door: float = Field(default=1.0, ge=0, le=100)
    """Fire brigade or police at the door (assumption)."""
    registered_mail: float = Field(default=1.0, ge=0, le=100)
    """The municipality's disaster mail to registered residents (assumption)."""


class Residents(Frozen):
    """Settings of the resident reach model (see lalert_sim.reach)."""

    deadline_s: float = Field(
        default=600,
        gt=0,
        le=REACH_MAX_S,
        description="Seconds after issue at which those still unwarned are reported (at most 12 h); "
        "default 600 (10 min).",
    )
    horizon_s: float = Field(
        default=3600,
        gt=0,
        le=REACH_MAX_S,
        description="Seconds after issue that the warned curves cover (at most 12 h); default 3600 (1 h).",
    )
    hour: float | None = Field(
        default=None,
        ge=0,
        lt=24,
        description="Local hour of day (0 to under 24) for whereabouts (asleep, at work...) and TV and radio "
        "audiences; default from epoch + issue time, in Japan time.",
    )
    day_type: DayType | None = Field(
        default=None,
        description="Kind of day for whereabouts and audiences: weekday, weekend or holiday (Japan's public "
        "holidays); default from the date of epoch + issue time, in Japan time.",
    )
    indoor_receiver_share: Share = 0.4
    """Share (0–1) of households with an indoor receiver where the disaster radio has them
    and the municipality table does not say (assumption)."""
    word_of_mouth: WordOfMouth = WordOfMouth()
    """Warning from person to person (``enabled: false`` for channels only)."""
    reception_factor: ReceptionFactors = ReceptionFactors()
    """Per channel, multiplies its chance of warning someone where it emits (capped at 1); default 1 each."""
    felt_quake: FeltQuake | None = Field(
        default=None,
        description="The alert follows a strong earthquake felt where residents are (a tsunami warning after a "
        "near-field quake): people are awake, some out of doors, many switch on radio or TV; default none.",
    )

    @model_validator(mode="before")
    @classmethod
    def _no_rain(cls, data: Any) -> Any:
        if isinstance(data, dict) and "rain" in data:
            raise ValueError(
                "`rain` moved to the incidents: write `incidents: [{type: heavy_rain, area: ..., "
                "loudspeaker_factor: ..., satellite_loss: 0}]` (satellite_loss 0: satellites unaffected, as before)"
            )
        return data

"""The sentence an official reads aloud: the worst-off age band, unwarned at the deadline, and how
those of it who were warned mostly learned of the alert (from summary.json's figures)."""

from __future__ import annotations

from lalert_sim.analysis.results import ResidentsReach
from lalert_sim.i18n import Language, Messages
from lalert_sim.reach.parameters import AGE_BANDS

BAND_PHRASES: dict[str, str] = {
    "under_60": "page.band_under_60",
    "60s": "page.band_60s",
    "70_plus": "page.band_70_plus",
}
"""How each age band reads inside a sentence ("aged 70 and over")."""


def worst_band(residents: ResidentsReach) -> str | None:
    """The age band with the largest share still unwarned at the deadline (the oldest on a tie)."""
    bands = [band for band in AGE_BANDS if band in residents.by_age]
    if not bands:
        return None
    return max(reversed(bands), key=lambda band: residents.by_age[band].unwarned_at_deadline)


def main_channel(residents: ResidentsReach, group: str) -> tuple[str, float] | None:
    """The channel most of a group's warned residents first learned through, and its share of the warned."""
    shares = residents.channel_shares.get(group)
    if shares is None or not shares.first_via:
        return None
    warned = sum(shares.first_via.values())
    channel = max(shares.first_via, key=lambda c: shares.first_via[c])
    if warned <= 0 or shares.first_via[channel] <= 0:
        return None
    return channel, shares.first_via[channel] / warned


def spoken_duration(seconds: float, m: Messages) -> str:
    """A deadline as said aloud: ``10 minutes`` / ``10分`` for whole minutes, else ``30 seconds``."""
    if seconds >= 60 and seconds % 60 == 0:
        return m("page.whole_minutes", value=int(seconds // 60))
    if seconds == int(seconds):
        return m("page.whole_seconds", value=int(seconds))
    return m.seconds(seconds)


def story(residents: ResidentsReach, m: Messages) -> str | None:
    """The worst-off band's share unwarned at the deadline and its main channel, as one or two sentences."""
    band = worst_band(residents)
    if band is None:
        return None
    time = spoken_duration(residents.deadline_s, m)
    unwarned = residents.by_age[band].unwarned_at_deadline
    if unwarned <= 0:
        return m("page.story_all_warned", time=time)
    sentences = [m("page.story_unwarned", band=m(BAND_PHRASES[band]), share=m.percent(unwarned), time=time)]
    main = main_channel(residents, band)
    if main is not None:
        channel, share_of_warned = main
        key = "page.story_most_via" if share_of_warned > 0.5 else "page.story_more_via"
        sentences.append(m(key, channel=m.term("channel", channel)))
    return ("" if m.lang is Language.JA else " ").join(sentences)

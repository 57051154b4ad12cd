"""Resident cohorts (age band × whereabouts × smartphone) and their reception chances at an hour and day type."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lalert_sim.model.calendar import DayType
from lalert_sim.model.network import Channel
from lalert_sim.model.residents import FeltQuake, ReceptionFactors
from lalert_sim.reach.audience import AUDIENCE, PROPENSITY, tuned_in
from lalert_sim.reach.parameters import (
    AGE_BANDS,
    AGE_HEARING,
    AUDIBLE,
    NEEDS_SMARTPHONE,
    NO_SMARTPHONE,
    REACH_CHANNELS,
    RECEPTION,
    WHEREABOUTS,
)
from lalert_sim.reach.whereabouts import whereabouts_shares


@dataclass(frozen=True)
class Cohorts:
    """Every combination of age band, whereabouts and smartphone use, as parallel arrays."""

    age: np.ndarray  # (K,) index into AGE_BANDS
    where: np.ndarray  # (K,) index into WHEREABOUTS
    smartphone: np.ndarray  # (K,) bool

    @classmethod
    def all(cls) -> Cohorts:
        """The 3 × 5 × 2 cohorts in a fixed order."""
        grid = np.array([(a, w, s) for a in range(len(AGE_BANDS)) for w in range(len(WHEREABOUTS)) for s in (1, 0)])
        return cls(grid[:, 0], grid[:, 1], grid[:, 2].astype(bool))

    def __len__(self) -> int:
        return len(self.age)

    def shares(self, age_shares: np.ndarray, hour: float, day: DayType, felt: FeltQuake | None = None) -> np.ndarray:
        """(municipality × cohort) shares of residents at a local hour on a day type; ``age_shares`` is (M × 3).

        After a felt quake (``felt``) the shaking wakes most of those asleep and sends some of those
        indoors out of doors."""
        where = after_quake(whereabouts_shares(hour, day), felt)[self.age, self.where]  # (K,)
        no_phone = np.asarray(NO_SMARTPHONE)[self.age]
        phone = np.where(self.smartphone, 1.0 - no_phone, no_phone)
        shares: np.ndarray = age_shares[:, self.age] * (where * phone)[None, :]
        return shares

    def reception(
        self, hour: float, day: DayType, felt: FeltQuake | None = None, factors: ReceptionFactors | None = None
    ) -> np.ndarray:
        """(cohort × channel) chance of being warned by a channel emitting where they live, at a local
        hour on a day type: TV and radio reach only those tuned in (reach/audience.py), more of them
        after a felt quake (``felt``: people switch on for news where they usually could watch or listen).
        ``factors`` multiply each channel's RECEPTION figures (capped at 1)."""
        table = np.zeros((len(self), len(REACH_CHANNELS)))
        for c, channel in enumerate(REACH_CHANNELS):
            p = np.asarray(RECEPTION[channel])[self.where]
            if factors is not None:
                p = np.minimum(1.0, p * getattr(factors, channel.value))
            if channel in AUDIENCE:
                tuned = tuned_in(channel, hour, day)
                if felt is not None:
                    switch = felt.switch_on_tv if channel is Channel.TV else felt.switch_on_radio
                    where_possible = np.minimum(1.0, np.asarray(PROPENSITY[channel]))[None, :]
                    tuned = 1.0 - (1.0 - tuned) * (1.0 - switch * where_possible)
                p = p * tuned[self.age, self.where]
            if channel in NEEDS_SMARTPHONE:
                p = p * self.smartphone
            if channel in AUDIBLE:
                p = p * np.asarray(AGE_HEARING)[self.age]
            table[:, c] = p
        return table


def after_quake(where: np.ndarray, felt: FeltQuake | None) -> np.ndarray:
    """(age band × whereabouts) shares after a felt quake: ``woken`` of those asleep are awake at home,
    ``outdoors`` of those awake indoors (home, work) have gone out; unchanged without one."""
    if felt is None:
        return where
    shifted = where.copy()
    home, asleep, outdoors, work = (WHEREABOUTS.index(w) for w in ("home_awake", "home_asleep", "outdoors", "at_work"))
    woken = shifted[:, asleep] * felt.woken
    shifted[:, asleep] -= woken
    shifted[:, home] += woken
    for place in (home, work):
        out = shifted[:, place] * felt.outdoors
        shifted[:, place] -= out
        shifted[:, outdoors] += out
    return shifted

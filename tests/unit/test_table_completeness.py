"""Every table keyed by an enum has a row for each member: a forgotten one is an error here, not a silent gap."""

from __future__ import annotations

from enum import Enum

import pytest

from lalert_sim.model.alerts import AlertMode, MessageKind
from lalert_sim.model.calendar import DayType
from lalert_sim.model.edxl import DISTRIBUTION_STATUS, DISTRIBUTION_TYPE
from lalert_sim.model.failures import DEFAULT_RATES, FailureClass
from lalert_sim.model.media import MEDIUM_DEFAULTS, Medium
from lalert_sim.model.network import Channel
from lalert_sim.model.outputs import SOUNDING_DEFAULTS
from lalert_sim.model.responses import Equipment
from lalert_sim.reach.audience import AUDIENCE, PROPENSITY
from lalert_sim.reach.parameters import (
    AGE_BANDS,
    AGE_HEARING,
    NATIONAL_AGE_SHARES,
    NO_SMARTPHONE,
    REACH_CHANNELS,
    REACTION_DELAY,
    RECEPTION,
    WHEREABOUTS,
)
from lalert_sim.reach.whereabouts import whereabouts_shares
from lalert_sim.topology.failures import FAILURE_TARGETS
from lalert_sim.topology.responses import UNITS

TABLES: list[tuple[str, dict, type[Enum]]] = [
    ("MEDIUM_DEFAULTS", MEDIUM_DEFAULTS, Medium),
    ("SOUNDING_DEFAULTS", SOUNDING_DEFAULTS, Channel),
    ("RECEPTION", RECEPTION, Channel),
    ("REACTION_DELAY", REACTION_DELAY, Channel),
    ("UNITS", UNITS, Equipment),
    ("DEFAULT_RATES", DEFAULT_RATES, FailureClass),
    ("FAILURE_TARGETS", FAILURE_TARGETS, FailureClass),
    ("DISTRIBUTION_STATUS", DISTRIBUTION_STATUS, AlertMode),
    ("DISTRIBUTION_TYPE", DISTRIBUTION_TYPE, MessageKind),
]


@pytest.mark.parametrize(("name", "table", "members"), TABLES, ids=[name for name, _, _ in TABLES])
def test_table_has_exactly_one_row_per_member(name: str, table: dict, members: type[Enum]) -> None:
    assert set(table) == set(members), f"{name}: missing {set(members) - set(table)}, extra {set(table) - set(members)}"


def test_reach_columns_are_every_channel() -> None:
    assert REACH_CHANNELS == tuple(Channel)


def test_reception_rows_have_a_chance_per_whereabouts() -> None:
    assert all(len(row) == len(WHEREABOUTS) for row in RECEPTION.values())


@pytest.mark.parametrize("per_band", [NATIONAL_AGE_SHARES, NO_SMARTPHONE, AGE_HEARING])
def test_age_tables_have_a_value_per_age_band(per_band: tuple[float, ...]) -> None:
    assert len(per_band) == len(AGE_BANDS)


@pytest.mark.parametrize("day", list(DayType))
@pytest.mark.parametrize("hour", [0, 7, 12, 20])
def test_whereabouts_cover_every_age_band_and_place(hour: float, day: DayType) -> None:
    assert whereabouts_shares(hour, day).shape == (len(AGE_BANDS), len(WHEREABOUTS))


@pytest.mark.parametrize("channel", list(AUDIENCE))
def test_audience_channels_have_a_profile_per_day_type_and_a_propensity_per_place(channel: Channel) -> None:
    assert set(AUDIENCE[channel]) == set(DayType)
    assert all(len(rows) == len(AGE_BANDS) and all(len(r) == 24 for r in rows) for rows in AUDIENCE[channel].values())
    assert set(PROPENSITY) == set(AUDIENCE) and len(PROPENSITY[channel]) == len(WHEREABOUTS)

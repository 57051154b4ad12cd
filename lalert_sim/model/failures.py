"""Latent failures: municipal equipment silently broken before an alert, as national tests find it.

Each municipality's J-Alert receiver, start-up device, disaster radio, community-FM
line, registered-mail system and IP notification terminals may be broken before
the alert arrives (a setting error, a loose connection, hardware), unnoticed until
it is needed. Each is drawn per replication with its class's chance; the scenario
may override the chance per class and per municipality, or switch the model off.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag

from lalert_sim.model.areas import AreaCode
from lalert_sim.model.base import Frozen, Share
from lalert_sim.model.templates import MAX_MUNICIPALITIES


class FailureClass(StrEnum):
    """A kind of municipal component that can be silently broken, named by what it is."""

    JALERT_RECEIVER = "jalert_receiver"  # the municipality's J-Alert receiver (m-CODE/receiver)
    STARTUP_DEVICE = "startup_device"  # automatic start-up device (m-CODE/startup)
    DISASTER_RADIO = "disaster_radio"  # disaster-radio master station and its radio link (m-CODE/radio)
    INDOOR_RECEIVERS = "indoor_receivers"  # the indoor receivers of the disaster radio (m-CODE/indoor)
    COMMUNITY_FM = "community_fm"  # the start-up line into community FM (m-CODE/fm-line)
    REGISTERED_MAIL = "registered_mail"  # the registered-mail system (m-CODE/registered-mail)
    IP_TERMINAL = "ip_terminal"  # the IP notification terminals' server (m-CODE/ip-terminals)


# Chance that one municipality's component of a class is broken before an alert, with its source.
# DOMAIN (national J-Alert test of 2018-03-14): of 1,664 municipalities 15 (0.9 %) delivered
# nothing to residents: 3 J-Alert equipment, 8 disaster-radio equipment, 2 registered-mail
# systems, 1 community-FM setting error, 1 IP notification terminal; about four in five
# downstream of the receiver. Each rate below was fitted to that test: the chance that the
# component silences its municipality (given which outputs municipalities have, see
# topology/equipment.py) times 1,664 gives that test's count for its class.
DEFAULT_RATES: dict[FailureClass, tuple[float, str]] = {
    FailureClass.JALERT_RECEIVER: (0.0018, "fitted to the 2018-03-14 test: 3 of 1,664 (J-Alert equipment)"),
    FailureClass.STARTUP_DEVICE: (
        0.0012,
        "fitted to the 2018-03-14 test: 2 of its 8 disaster-radio equipment faults put at the start-up connection",
    ),
    FailureClass.DISASTER_RADIO: (
        0.0100,
        "fitted to the 2018-03-14 test: 6 of 1,664 silenced, among the municipalities with radio as only output",
    ),
    FailureClass.INDOOR_RECEIVERS: (0.005, "assumption: silences nothing alone (the loudspeakers still sound)"),
    FailureClass.COMMUNITY_FM: (
        0.011,
        "fitted to the 2018-03-14 test: 1 community-FM setting error of 1,664, among FM-only municipalities",
    ),
    FailureClass.REGISTERED_MAIL: (
        0.0083,
        "fitted to the 2018-03-14 test: 2 registered-mail systems of 1,664, among mail-only municipalities",
    ),
    FailureClass.IP_TERMINAL: (
        0.0165,
        "fitted to the 2018-03-14 test: 1 IP notification terminal of 1,664, among terminal-only municipalities",
    ),
}


class Failures(Frozen):
    """Latent failures drawn per replication: the defaults, with chances overridden per class and municipality."""

    rates: dict[FailureClass, Share] = Field(
        default_factory=dict,
        description="Chance (0–1) per component class (jalert_receiver, startup_device, disaster_radio, "
        "indoor_receivers, community_fm, registered_mail, ip_terminal) replacing its default.",
    )
    municipalities: dict[AreaCode, dict[FailureClass, Share]] = Field(
        default_factory=dict,
        max_length=MAX_MUNICIPALITIES,
        description="Per municipality (or prefecture) code: chances per class for its components; "
        "the most specific code wins, then ``rates``, then the defaults.",
    )

    def chance(self, failure_class: FailureClass, code: str) -> float:
        """The chance that municipality ``code``'s component of ``failure_class`` is broken."""
        for area in (code, code[:2]):
            local = self.municipalities.get(area)
            if local is not None and failure_class in local:
                return local[failure_class]
        if failure_class in self.rates:
            return self.rates[failure_class]
        return DEFAULT_RATES[failure_class][0]


NO_FAILURES = "none"
"""What ``failures: none`` says: no latent failures (an idealised run)."""


def _setting_kind(value: Any) -> str:
    return "mapping" if isinstance(value, dict | Failures) else "none"


FailuresSetting = Annotated[
    Annotated[Failures, Tag("mapping")] | Annotated[Literal["none"], Tag("none")], Discriminator(_setting_kind)
]
"""The scenario's ``failures`` key: a mapping of overrides, or ``none`` (errors name only the form given)."""

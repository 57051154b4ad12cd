"""How long an output keeps sounding a message: the sounding time of each emitter channel.

An update of a message replaces it only at outputs still sounding it, and a
cancel or lift stops only those: what has ended cannot be stopped. Each default
says where it comes from: the project's domain notes (docs/DOMAIN.md, "DOMAIN")
or "assumption" where no public figure was found. ``.inf``: shown until replaced
or withdrawn; 0: delivered once and never withdrawn (a phone's alert, an e-mail).
"""

from __future__ import annotations

import math

from pydantic import Field

from lalert_sim.model.base import Endless, Frozen
from lalert_sim.model.network import Channel

SOUNDING_DEFAULTS: dict[Channel, tuple[float, str]] = {
    Channel.OUTDOOR_LOUDSPEAKER: (
        90.0,
        "assumption: the message read out about three times, some 30 s each "
        "(DOMAIN: batteries sized for about 5 min of broadcasting per hour)",
    ),
    Channel.INDOOR_RECEIVER: (90.0, "assumption: the same read-out as the outdoor loudspeakers it mirrors"),
    Channel.CELL_BROADCAST: (
        0.0,
        "DOMAIN: ETWS delivers one notification (details in a second message); assumption: "
        "once on a phone it cannot be withdrawn",
    ),
    Channel.TV: (math.inf, "assumption: a banner or L-shaped screen stays until replaced or withdrawn"),
    Channel.RADIO: (180.0, "assumption: a break-in of a few minutes"),
    Channel.COMMUNITY_FM: (180.0, "assumption: a break-in of a few minutes, as on other radio"),
    Channel.PORTAL: (math.inf, "assumption: a portal page stays until replaced or withdrawn"),
    Channel.APP: (math.inf, "assumption: an app's notice stays until replaced or withdrawn"),
    Channel.SIGNAGE: (math.inf, "assumption: digital signage shows it until replaced or withdrawn"),
    Channel.DOOR_TO_DOOR: (0.0, "assumption: a word at the door, told once, cannot be taken back"),
    Channel.REGISTERED_MAIL: (0.0, "assumption: a delivered e-mail stays in the inbox; it cannot be withdrawn"),
}
"""Default sounding time in seconds of each channel, with where the figure comes from."""


class Outputs(Frozen):
    """What the outputs do with a message once emitted: how long each channel keeps sounding it."""

    sounding_s: dict[Channel, Endless] = Field(
        default_factory=dict,
        description="Seconds each channel keeps sounding a message (``.inf``: until replaced or withdrawn; "
        "0: once, never withdrawn); channels left out keep their defaults (loudspeakers 90, radio 180, "
        "TV and portals .inf, cell broadcast 0).",
    )

    def sounding(self) -> dict[Channel, float]:
        """The sounding time of every channel: this section's, else the default."""
        return {channel: self.sounding_s.get(channel, seconds) for channel, (seconds, _) in SOUNDING_DEFAULTS.items()}

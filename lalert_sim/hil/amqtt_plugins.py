"""The embedded amqtt broker's own check (amqtt loads it by name): a client's id must be its user name,
as Mosquitto's ``use_username_as_clientid`` makes it, so one node's password cannot take another's session."""

from __future__ import annotations

from amqtt.plugins.base import BaseAuthPlugin
from amqtt.session import Session


class ClientIdIsUsername(BaseAuthPlugin):  # type: ignore[misc]  # amqtt is untyped here
    """Refuses a connection whose client id is not its user name."""

    async def authenticate(self, *, session: Session) -> bool:
        """True when the client id and the user name agree."""
        return session.username is not None and session.client_id == session.username

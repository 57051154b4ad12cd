"""Mobile carriers' subscriber shares: who is reached through which carrier's cell broadcast."""

from __future__ import annotations

# Approx. market shares with MVNOs folded into their host networks (assumption).
CARRIER_SHARES = {"docomo": 0.40, "kddi": 0.31, "softbank": 0.25, "rakuten": 0.04}


def largest_other(carrier: str, present: list[str]) -> str | None:
    """The carrier with the most subscribers among ``present``, other than ``carrier``."""
    others = [c for c in present if c != carrier]
    return max(others, key=lambda c: (CARRIER_SHARES.get(c, 0.0), c), default=None)

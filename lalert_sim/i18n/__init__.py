"""Words a person reads, in Japanese and English: the message catalogues and local conventions.

Every heading, label, legend, table header, KPI name and unit the terminal and the
report show comes from the catalogues in ``messages/*.toml`` (one file per concern;
a key is ``FILE.NAME``) through :class:`Messages`; figures are formatted here too, so
a duration reads ``12.3 s`` in English and ``12.3 秒`` in Japanese.
"""

from __future__ import annotations

from lalert_sim.i18n.catalogue import Language, Messages, catalogue, messages

__all__ = ["Language", "Messages", "catalogue", "messages"]

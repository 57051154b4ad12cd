"""Names a person reads for the nodes and areas of a run: town names, never node ids.

A node with an area is named by its municipality (or prefecture); a national node or a
carrier's (no area) gets a readable name from its id: ``nhk/tv`` reads "NHK TV".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lalert_sim.i18n import Messages
from lalert_sim.topology.reference import MunicipalityTable

# Names written the same in both languages (other words from the ``id_word`` vocabulary, or as they are).
ID_WORDS: dict[str, str] = {
    "nhk": "NHK",
    "jma": "JMA",
    "fdma": "FDMA",
    "cbc": "CBC",
    "cb": "CB",
    "eew": "EEW",
    "fm": "FM",
    "kddi": "KDDI",
    "docomo": "NTT docomo",
    "softbank": "SoftBank",
    "rakuten": "Rakuten Mobile",
    "lgwan": "LGWAN",
}
ID_SYSTEMS = {"jalert": "j_alert", "lalert": "l_alert"}  # written as the system vocabulary writes them
ID_PREFIXES = ("carrier", "national")  # words of an id that say where it sits, not what it is
MUNICIPALITY_ID = re.compile(r"^m-(\d{5})/")
PREFECTURE_ID = re.compile(r"^pref-(\d{2})/")
PREFECTURE_SUFFIX = re.compile(r"^(?P<word>.+)-(?P<code>\d{2})$")


class Places:
    """Municipality and prefecture names by code: the run's own rows first, then the reference list."""

    def __init__(self, own: Iterable[tuple[str, str]] = (), table: MunicipalityTable | None = None) -> None:
        table = MunicipalityTable.reference() if table is None else table
        self._names = {m.code: m.name for m in table.all()}
        self._names.update({m.prefecture_code: m.prefecture_name for m in table.all()})
        self._names.update(own)

    def area(self, code: str) -> str:
        """The name of a municipality or prefecture code (the code itself when unknown)."""
        return self._names.get(code, code)

    def node(self, node_id: str, area: str | None, channel: str | None, m: Messages) -> str:
        """What a person calls a node: its town (and channel), or a readable form of a national id."""
        code = area or _area_in_id(node_id)
        if code:
            name = self.area(code)
            return f"{name} {m.term('channel', channel)}" if channel else name
        words = [w for w in re.split(r"[/_.:]", node_id) if w and w not in ID_PREFIXES]
        return " ".join(self._word(w, m) for w in words) or node_id

    def _word(self, word: str, m: Messages) -> str:
        # A prefecture's copy of a national part ends in its code: ``ground-17`` is Ishikawa's.
        regional = PREFECTURE_SUFFIX.match(word)
        if regional and regional["code"] in self._names:
            return f"{self._word(regional['word'], m)} ({self._names[regional['code']]})"
        if word in ID_SYSTEMS:
            return m.term("system", ID_SYSTEMS[word])
        return ID_WORDS.get(word) or m.term("id_word", word.replace("-", "_"))


def _area_in_id(node_id: str) -> str | None:
    found = MUNICIPALITY_ID.match(node_id) or PREFECTURE_ID.match(node_id)
    return found.group(1) if found else None

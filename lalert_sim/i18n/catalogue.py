"""The message catalogues (``messages/*.toml``) and the object views read them through."""

from __future__ import annotations

import math
import string
import tomllib
from datetime import datetime
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Final
from zoneinfo import ZoneInfo

JST: Final = ZoneInfo("Asia/Tokyo")
_MONTHS: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


class Language(StrEnum):
    """A language the terminal summary and the report can be read in."""

    EN = "en"
    JA = "ja"


@cache
def catalogue() -> dict[str, dict[Language, str]]:
    """Every message: key ``FILE.NAME`` to its text in each language (read once from the package)."""
    found: dict[str, dict[Language, str]] = {}
    folder = resources.files("lalert_sim.i18n").joinpath("messages")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        table = tomllib.loads(entry.read_text(encoding="utf-8"))
        prefix = entry.name.removesuffix(".toml")
        for name, texts in table.items():
            if not isinstance(texts, dict):
                raise ValueError(f"messages/{entry.name}: [{name}] must be a table of en = / ja = texts")
            found[f"{prefix}.{name}"] = {Language(lang): str(text) for lang, text in texts.items()}
    return found


def placeholders(text: str) -> frozenset[str]:
    """The ``{name}`` fields a message expects."""
    return frozenset(field for _, field, _, _ in string.Formatter().parse(text) if field)


class Messages:
    """The catalogue in one language, with that language's way of writing figures and dates."""

    def __init__(self, lang: Language | str = Language.EN) -> None:
        self.lang = Language(lang)
        self._texts = catalogue()

    def __call__(self, key: str, /, **fields: object) -> str:
        """The message ``key`` with its ``{fields}`` filled in; KeyError names a key no catalogue has."""
        try:
            text = self._texts[key][self.lang]
        except KeyError:
            raise KeyError(f"no message {key!r} in language {self.lang.value}") from None
        return text.format(**fields) if fields else text

    def has(self, key: str) -> bool:
        """Whether the catalogue has ``key`` (for vocabularies that may grow, e.g. a CAP category)."""
        return key in self._texts

    def term(self, vocabulary: str, value: str) -> str:
        """A word of a vocabulary (``medium``, ``channel``, ``category``...), the value itself if unknown."""
        key = f"{vocabulary}.{value}"
        return self(key) if key in self._texts else value.replace("_", " ")

    def seconds(self, value: float | None, missing: str | None = None) -> str:
        """A duration: ``12.3 s`` under two minutes, else ``4.5 min`` (``12.3 秒``, ``4.5 分``)."""
        if value is None:
            return self("units.never") if missing is None else missing
        if not math.isfinite(value):
            return self("units.never")
        if value < 120:
            return self("units.seconds", value=f"{value:.1f}")
        return self("units.minutes", value=f"{value / 60:.1f}")

    def percent(self, share: float) -> str:
        """A share (0-1) as a percentage with one decimal: ``12.3 %``."""
        return f"{100 * share:.1f} %"

    def count(self, value: int) -> str:
        """A count of people or things with the thousands separated: ``12,345``."""
        return f"{value:,}"

    def people(self, value: int) -> str:
        """A number of residents: ``12,345 residents`` / ``12,345人``."""
        return self("units.people", value=f"{value:,}")

    def date_time(self, moment: datetime) -> str:
        """A wall-clock time in Japan's time: ``2026年12月1日 07:30 JST`` / ``1 December 2026, 07:30 JST``."""
        local = moment.astimezone(JST) if moment.tzinfo is not None else moment.replace(tzinfo=JST)
        if self.lang is Language.JA:
            return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M} JST"
        return f"{local.day} {_MONTHS[local.month - 1]} {local.year}, {local:%H:%M} JST"


def messages(lang: Language | str | None) -> Messages:
    """The catalogue in ``lang`` (English when None)."""
    return Messages(Language.EN if lang is None else lang)

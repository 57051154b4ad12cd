"""The message catalogues: every message in both languages with the same fields, every vocabulary
complete, and every key the package names present (no untranslated message keys)."""

from __future__ import annotations

import ast
import re
from datetime import datetime

import pytest

from lalert_sim.i18n import Language, Messages, catalogue
from lalert_sim.i18n.catalogue import placeholders
from lalert_sim.model.alerts import AlertCategory, AlertMode, AlertSystem, MessageKind
from lalert_sim.model.calendar import DayType
from lalert_sim.model.failures import FailureClass
from lalert_sim.model.media import Medium
from lalert_sim.model.network import Channel, NodeKind
from lalert_sim.model.responses import Equipment
from lalert_sim.reach.model import ATTRIBUTED, COHORT_GROUPS
from tests.conftest import ROOT

CATALOGUE = catalogue()
PREFIXES = sorted({key.split(".", 1)[0] for key in CATALOGUE})


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_message_has_both_languages_with_the_same_fields(key: str) -> None:
    texts = CATALOGUE[key]
    assert set(texts) == set(Language), f"{key}: languages {sorted(texts)}"
    assert all(text.strip() for text in texts.values()), f"{key}: an empty text"
    assert placeholders(texts[Language.EN]) == placeholders(texts[Language.JA]), key


def test_japanese_texts_are_written_in_japanese() -> None:
    # Catches an English text left as the Japanese one: a Japanese text without kana or kanji
    # must be figures, symbols and placeholders only, or a name written the same in both (ALLOWED_LATIN).
    kana_or_kanji = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
    latin = [
        key
        for key, texts in CATALOGUE.items()
        if not kana_or_kanji.search(texts[Language.JA]) and not _neutral(texts[Language.JA])
    ]
    assert [key for key in latin if key not in ALLOWED_LATIN] == []


ALLOWED_LATIN = frozenset[str]()


def _neutral(text: str) -> bool:
    """Text that reads the same in both languages: figures, symbols and placeholders only."""
    return re.sub(r"\{[a-z_0-9]+\}|[\d\s%.,:;·/()+\-–—×x<>≤≥]", "", text) == ""


@pytest.mark.parametrize(
    ("vocabulary", "values"),
    [
        ("medium", [m.value for m in Medium]),
        ("channel", [*ATTRIBUTED, *(c.value for c in Channel)]),
        ("category", [c.value for c in AlertCategory]),
        ("system", [s.value for s in AlertSystem]),
        ("mode", [m.value for m in AlertMode]),
        ("cohort", list(COHORT_GROUPS)),
        ("equipment", [e.value for e in Equipment]),
        ("failure", [f.value for f in FailureClass]),
        ("kind", [k.value for k in NodeKind]),
        ("day_type", [d.value for d in DayType]),
        ("message_kind", [k.value for k in MessageKind]),
    ],
)
def test_every_vocabulary_names_every_value(vocabulary: str, values: list[str]) -> None:
    missing = [v for v in values if f"{vocabulary}.{v}" not in CATALOGUE]
    assert missing == []


def test_every_message_key_the_package_names_is_in_the_catalogue() -> None:
    # A string literal shaped like a key of a catalogue file ("report.objectives") must be one.
    shaped = re.compile(rf"^({'|'.join(map(re.escape, PREFIXES))})\.[a-z0-9_]+$")
    unknown: list[str] = []
    for path in sorted((ROOT / "lalert_sim").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and shaped.match(node.value):
                if node.value not in CATALOGUE:
                    unknown.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value}")
    assert unknown == []


def test_a_missing_key_says_which() -> None:
    with pytest.raises(KeyError, match="no message 'report.nothing_like_this' in language ja"):
        Messages("ja")("report.nothing_like_this")


def test_figures_and_dates_follow_each_language() -> None:
    moment = datetime.fromisoformat("2026-12-01T07:30:00+09:00")
    en, ja = Messages("en"), Messages("ja")
    assert ja.date_time(moment) == "2026年12月1日 07:30 JST"
    assert en.date_time(moment) == "1 December 2026, 07:30 JST"
    # A UTC epoch is shown in Japan's time.
    assert ja.date_time(datetime.fromisoformat("2026-01-01T00:00:00+00:00")) == "2026年1月1日 09:00 JST"
    assert (en.seconds(12.34), ja.seconds(12.34)) == ("12.3 s", "12.3 秒")
    assert (en.seconds(600), ja.seconds(600)) == ("10.0 min", "10.0 分")
    assert ja.seconds(None) == "なし" and en.seconds(float("inf")) == "never"
    assert ja.term("channel", "outdoor_loudspeaker") == "屋外拡声子局"
    assert en.term("channel", "made_up_channel") == "made up channel"

"""JMA disaster-information XML (気象庁防災情報XML) in: one message becomes one alert.

A message is parsed on the hardened path (``xml_safety``: no DTD, no entities, no
network) and validated against JMA's packaged schemas (``data/jma/jmx.xsd`` and the
files it imports). What it says is mapped onto our alert model:

- category and system from its type (``Control/Title``): 緊急地震速報（警報） is an
  earthquake early warning, 津波警報・注意報・予報 a major tsunami warning, tsunami
  warning or tsunami advisory (the most severe level any region is under), weather
  warnings, landslide alerts and volcanic warnings are ``other``; J-Alert carries the
  EEW, tsunami warnings and advisories, seismic intensity reports, special weather
  warnings and volcanic warnings for residential areas, L-Alert the rest (DOMAIN:
  J-Alert is for events with no time to spare);
- areas: 7-digit 市町村等 codes are JIS X 0402 codes with two digits appended (the
  first five are the municipality), 6-digit 府県予報区・細分区域 and 2-digit 都道府県
  codes start with the prefecture; EEW 府県予報区 and tsunami 津波予報区 go through
  packaged tables (tsunami regions to the coastal municipalities of their prefectures);
  an area the mapping cannot place is kept by its own name in ``JmaInfo.unplaced``;
- its chain (``Head/EventID``, ``Serial``, ``InfoType``): 発表 is an issue, or an update
  when it follows an earlier message of the event; 訂正 a correction; 取消 a cancel; a
  message whose regions are all lifted (解除) a lift;
- status: 訓練 is an exercise and 試験 a test. A real message (通常) is imported as an
  **exercise**: a replayed JMA warning must never pass for a real one. An entry that
  says ``mode: actual`` replays it as actual (and is refused for a drill or test message).

A message type that carries nothing to sound (hypocentre-only reports, tsunami
information, notices) is refused with the reason, naming ``Control/Title``.
"""

from __future__ import annotations

import csv
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

from lxml import etree
from pydantic import Field, TypeAdapter, ValidationError

from lalert_sim.errors import Problem, ScenarioError
from lalert_sim.model.alerts import Alert, AlertCategory, AlertMode, AlertSystem, Chain, MessageKind
from lalert_sim.model.base import Epoch, Frozen
from lalert_sim.model.files import read_bounded
from lalert_sim.model.xml_safety import check_schema, packaged_schema, parse_safely, require_root

NS = "http://xml.kishou.go.jp/jmaxml1/"
"""Namespace of a JMA message's root element ``Report``."""
_HEAD = "{http://xml.kishou.go.jp/jmaxml1/informationBasis1/}"
JMA_MAX_BYTES = 2 * 1024 * 1024
"""Largest JMA message read; the largest official samples are about 40 KiB."""
DATA = "lalert_sim.data.jma"
"""Package holding JMA's schemas and the area tables."""

_MODE_OF_STATUS = {"訓練": AlertMode.EXERCISE, "試験": AlertMode.TEST}  # 通常 (real): see parse_jma
_KIND_OF_INFO_TYPE = {"発表": MessageKind.ISSUE, "訂正": MessageKind.CORRECTION, "取消": MessageKind.CANCEL}
_MUNICIPALITY = "気象・地震・火山情報／市町村等"
_FORECAST_AREA = "気象情報／府県予報区・細分区域等"
_TSUNAMI_REGION = "津波予報区"
_EEW_REGION = "緊急地震速報／府県予報区"
_PREFECTURE = "地震情報／都道府県等"
# Tsunami kinds (警報等情報要素／津波警報・注意報・予報): the level each code puts a region under.
_TSUNAMI_LEVEL = {"52": 3, "53": 3, "51": 2, "62": 1}
_TSUNAMI_CATEGORY = {
    3: AlertCategory.MAJOR_TSUNAMI_WARNING,
    2: AlertCategory.TSUNAMI_WARNING,
    1: AlertCategory.TSUNAMI_ADVISORY,
}
_TSUNAMI_WORDS = (("大津波警報", 3), ("津波警報", 2), ("津波注意報", 1))
_INACTIVE = {"解除", "なし", "発表警報・注意報はなし"}


class JmaInfo(Frozen):
    """What a JMA message said beyond our alert model: its own words, times and areas."""

    title: str
    """``Control/Title``: the message type (e.g. 緊急地震速報（警報）)."""
    status: str
    """``Control/Status`` as written: 通常 (real), 訓練 (drill) or 試験 (test)."""
    info_type: str
    """``Head/InfoType``: 発表, 訂正 or 取消."""
    event_id: str = ""
    """``Head/EventID``: the event the message is about; default none."""
    serial: str = ""
    """``Head/Serial`` as written (tsunami and weather messages have none); default none."""
    report_time: Epoch
    """``Head/ReportDateTime``: when JMA issued it, with its time zone; a replay keeps the gaps between these."""
    target_time: Epoch | None = None
    """``Head/TargetDateTime``: the time the content is about; default none."""
    publishing_office: str = ""
    """``Control/PublishingOffice``: who issued it (出典：気象庁); default none."""
    area_names: list[str] = Field(default_factory=list, max_length=2_000)
    """The message's own names of the areas it targets (placed ones); default none."""
    unplaced: list[str] = Field(default_factory=list, max_length=2_000)
    """Areas the mapping could not place, by the message's own name and code; default none."""


@dataclass(frozen=True)
class Region:
    """One row of a packaged region table: a JMA forecast region and where it lies."""

    code: str
    name: str
    prefectures: tuple[str, ...]
    municipalities: tuple[str, ...]  # names inside those prefectures; empty: see the table's rule


@cache
def region_table(filename: str) -> dict[str, Region]:
    """A packaged region table (``eew_regions.csv`` or ``tsunami_regions.csv``) by code."""
    text = resources.files(DATA).joinpath(filename).read_text("utf-8")
    return {
        row["code"]: Region(
            row["code"], row["name"], tuple(row["prefectures"].split()), tuple(row["municipalities"].split())
        )
        for row in csv.DictReader(text.splitlines())
    }


@dataclass(frozen=True)
class _Place:
    code: str
    name: str
    prefecture: str
    coastal: bool


@cache
def _places() -> dict[str, _Place]:
    """The packaged municipality list (``data/municipalities.csv``, the reference table's file), by code."""
    text = resources.files("lalert_sim.data").joinpath("municipalities.csv").read_text("utf-8")
    return {
        row["code"]: _Place(row["code"], row["name"], row["pref_code"], row["coastal_derived"] == "1")
        for row in csv.DictReader(text.splitlines())
    }


def region_municipalities(region: Region, coastal_only: bool) -> list[str]:
    """Municipality codes of a region: those it names, else every (coastal) one of its prefectures."""
    places = [p for p in _places().values() if p.prefecture in region.prefectures]
    if region.municipalities:
        return sorted(p.code for p in places if p.name in region.municipalities)
    return sorted(p.code for p in places if p.coastal or not coastal_only)


def read_jma(path: Path, name: str | None = None) -> Alert:
    """The alert in a JMA XML file (validated, safely parsed); ScenarioError naming file and element."""
    return parse_jma(read_bounded(path, JMA_MAX_BYTES, "JMA XML file"), name or str(path))


def validate_jma(data: bytes, name: str) -> etree._Element:
    """Parse untrusted JMA XML safely and check it against the packaged JMA schemas; ScenarioError if not."""
    root = parse_safely(data, name, "JMA XML", JMA_MAX_BYTES)
    require_root(root, f"{{{NS}}}Report", "JMA XML", name)
    check_schema(root, packaged_schema(DATA, "jmx.xsd"), "JMA XML", name)
    return root


_TIME: TypeAdapter[datetime] = TypeAdapter(Epoch)


@dataclass(frozen=True)
class _Message:
    """The parts of a validated message the mapping reads."""

    root: etree._Element
    name: str

    @property
    def title(self) -> str:
        """``Control/Title``: the message type."""
        return self.text(f"{{{NS}}}Control/{{{NS}}}Title")

    def text(self, path: str) -> str:
        found = self.root.find(path)
        return (found.text or "").strip() if found is not None else ""

    def refuse(self, problem: str, element: etree._Element | None = None) -> ScenarioError:
        line = element.sourceline if element is not None else None
        return ScenarioError([Problem(problem, file=self.name, line=line)])


def parse_jma(data: bytes, name: str) -> Alert:
    """The alert in JMA XML bytes (validated, safely parsed); ScenarioError naming file and element."""
    message = _Message(validate_jma(data, name), name)
    mapping = _MAPPINGS.get(message.title)
    if mapping is None:
        supported = ", ".join(_MAPPINGS)
        raise message.refuse(
            f"<Control/Title> {message.title!r}: not a message type that triggers outputs here "
            f"(supported: {supported})",
            message.root.find(f"{{{NS}}}Control/{{{NS}}}Title"),
        )
    status = message.text(f"{{{NS}}}Control/{{{NS}}}Status")
    info_type = message.text(f"{_HEAD}Head/{_HEAD}InfoType")
    kind = _KIND_OF_INFO_TYPE.get(info_type, MessageKind.ISSUE)
    targets = Targets()
    category, system, lifted, follows = mapping(message, targets)
    if kind is MessageKind.ISSUE and lifted:
        kind = MessageKind.LIFT
    serial_text = message.text(f"{_HEAD}Head/{_HEAD}Serial")
    report_time = _time(message, "ReportDateTime")
    serial = int(serial_text) if serial_text.isdigit() else int(report_time.strftime("%Y%m%d%H%M%S"))
    if kind is MessageKind.ISSUE and ((serial_text.isdigit() and serial > 1) or follows):
        kind = MessageKind.UPDATE
    if not targets.codes and kind is not MessageKind.CANCEL:
        where = f"; areas it names that cannot be placed: {', '.join(targets.unplaced)}" if targets.unplaced else ""
        raise message.refuse(f"<Body>: the message ({message.title}) targets no area this program can place{where}")
    event_id = message.text(f"{_HEAD}Head/{_HEAD}EventID")
    office = message.text(f"{{{NS}}}Control/{{{NS}}}PublishingOffice")
    # Weather warnings carry no EventID: the chain is the office's messages of that title.
    event = event_id or f"{message.text(f'{_HEAD}Head/{_HEAD}Title')} {office}"
    has_target = bool(message.text(f"{_HEAD}Head/{_HEAD}TargetDateTime"))
    fields: dict[str, Any] = {
        "id": _alert_id(event, serial, kind),
        "system": system,
        "category": category,
        # A real message is imported as an exercise: only its scenario entry may say mode: actual.
        "mode": AlertMode.EXERCISE if status == "通常" else _MODE_OF_STATUS.get(status),
        "areas": targets.codes,
        "issue_s": 0.0,
        "size_bytes": len(data),
        "headline": message.text(f"{_HEAD}Head/{_HEAD}Headline/{_HEAD}Text"),
        "chain": Chain(event=event.strip()[:200] or message.title, serial=serial, kind=kind),
        "jma_info": JmaInfo(
            title=message.title,
            status=status,
            info_type=info_type,
            event_id=event_id,
            serial=serial_text,
            report_time=report_time,
            target_time=_time(message, "TargetDateTime") if has_target else None,
            publishing_office=office,
            area_names=targets.names,
            unplaced=targets.unplaced,
        ),
    }
    try:
        return Alert.model_validate(fields)
    except ValidationError as exc:
        raise ScenarioError(
            [Problem(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}", file=name) for e in exc.errors()]
        ) from None


def _time(message: _Message, tag: str) -> datetime:
    text = message.text(f"{_HEAD}Head/{_HEAD}{tag}")
    try:
        return _TIME.validate_python(datetime.fromisoformat(text))
    except (ValueError, ValidationError):
        raise message.refuse(
            f"<Head/{tag}>: not a date and time this program can use (hours 00 to 23, years 1900 to 2200)",
            message.root.find(f"{_HEAD}Head/{_HEAD}{tag}"),
        ) from None


def _alert_id(event: str, serial: int, kind: MessageKind) -> str:
    """``jma-EVENT-SERIAL-KIND`` in the id alphabet; an event id with other characters gets a checksum."""
    ascii_event = re.sub(r"[^A-Za-z0-9_.:/-]", "", event)
    if ascii_event != event:
        ascii_event = f"{ascii_event}{'-' if ascii_event else ''}{zlib.crc32(event.encode()):08x}"
    return f"jma-{ascii_event}-{serial}-{kind.value}"[:200]


class Targets:
    """The areas a message targets, as canonical codes, with the names it gave and those left unplaced."""

    def __init__(self) -> None:
        self.codes: list[str] = []
        self.names: list[str] = []
        self.unplaced: list[str] = []

    def add(self, code_type: str, code: str, name: str, coastal_only: bool = False) -> None:
        """Place one area of the message (its code type, code and name) or record it as unplaced."""
        found = _placed(code_type, code, coastal_only)
        if not found:
            self.unplaced.append(f"{name} ({code_type} {code})")
            return
        if name not in self.names:
            self.names.append(name)
        self.codes += [c for c in found if c not in self.codes]


def _placed(code_type: str, code: str, coastal_only: bool) -> list[str]:
    if code_type == _MUNICIPALITY and len(code) == 7 and code.isdigit():
        # A ward of a designated city (e.g. 04101 仙台市青葉区) is placed in its city (04100).
        return next(([c] for c in (code[:5], code[:4] + "0") if c in _places()), [])
    if code_type == _FORECAST_AREA and len(code) == 6 and code.isdigit() and 1 <= int(code[:2]) <= 47:
        return [code[:2]]
    if code_type == _PREFECTURE and len(code) == 2 and code.isdigit() and 1 <= int(code) <= 47:
        return [code]
    table = {_TSUNAMI_REGION: "tsunami_regions.csv", _EEW_REGION: "eew_regions.csv"}.get(code_type)
    region = region_table(table).get(code) if table else None
    if region is None:
        return []
    if region.municipalities or coastal_only:
        return region_municipalities(region, coastal_only)
    return list(region.prefectures)


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _children(element: etree._Element | None, *names: str) -> list[etree._Element]:
    """Descendants of ``element`` along a path of local names (any namespace)."""
    found = [] if element is None else [element]
    for wanted in names:
        found = [c for e in found for c in e if _local(c) == wanted]
    return found


def _child_text(element: etree._Element, *names: str) -> str:
    found = _children(element, *names)
    return (found[0].text or "").strip() if found else ""


def _body(message: _Message) -> etree._Element | None:
    return next((c for c in message.root if _local(c) == "Body"), None)


class Mapped(NamedTuple):
    """What a message type's mapping found, beside the areas: category, system and its place in the chain."""

    category: AlertCategory
    system: AlertSystem
    lifted: bool = False  # every region or item it names is lifted (解除)
    follows: bool = False  # it continues an earlier message (a region's previous level was in force)


Mapping = Callable[[_Message, Targets], Mapped]
"""How one message type (``Control/Title``) fills the targets and says what it is."""


def _eew(message: _Message, targets: Targets) -> Mapped:
    """VXSE43: the 府県予報区 the warning names (Body/Intensity/Forecast/Pref)."""
    for pref in _children(_body(message), "Intensity", "Forecast", "Pref"):
        targets.add(_EEW_REGION, _child_text(pref, "Code"), _child_text(pref, "Name"))
    return Mapped(AlertCategory.EARTHQUAKE_EARLY_WARNING, AlertSystem.J_ALERT)


def _intensity(message: _Message, targets: Targets) -> Mapped:
    """VXSE51/53: the municipalities (市町村等) where shaking was observed, else their prefectures."""
    prefs = _children(_body(message), "Intensity", "Observation", "Pref")
    cities = [c for p in prefs for c in _children(p, "Area", "City")]
    for city in cities:
        targets.add(_MUNICIPALITY, _child_text(city, "Code"), _child_text(city, "Name"))
    if not cities:
        for pref in prefs:
            targets.add(_PREFECTURE, _child_text(pref, "Code"), _child_text(pref, "Name"))
    return Mapped(AlertCategory.OTHER, AlertSystem.J_ALERT)


def _tsunami(message: _Message, targets: Targets) -> Mapped:
    """VTSE41: the regions under a warning or advisory (their coastal municipalities); the most severe level
    sets the category. Regions only lifted (a forecast after an advisory) make the message a lift."""
    items = _children(_body(message), "Tsunami", "Forecast", "Item")
    levels = [_TSUNAMI_LEVEL.get(_child_text(i, "Category", "Kind", "Code"), 0) for i in items]
    last = [_TSUNAMI_LEVEL.get(_child_text(i, "Category", "LastKind", "Code"), 0) for i in items]
    active = [i for i, level in zip(items, levels, strict=True) if level]
    lifted = not active and any(last)
    for item, level, before in zip(items, levels, last, strict=True):
        if level or (lifted and before):
            targets.add(_TSUNAMI_REGION, _child_text(item, "Area", "Code"), _child_text(item, "Area", "Name"), True)
    top = max(levels + (last if lifted else []), default=0)
    if not items:  # a cancellation names no region: its headline says what it withdraws
        headline = message.text(f"{_HEAD}Head/{_HEAD}Headline/{_HEAD}Text")
        top = next((level for word, level in _TSUNAMI_WORDS if word in headline), 0)
    category = _TSUNAMI_CATEGORY.get(top, AlertCategory.OTHER)
    system = AlertSystem.J_ALERT if top else AlertSystem.L_ALERT
    return Mapped(category, system, lifted, any(last))


def _kinds_active(item: etree._Element) -> tuple[bool, bool]:
    """Whether an item has a kind in force, and whether one of its kinds was lifted."""
    kinds = _children(item, "Kind")
    statuses = [(_child_text(k, "Status") or _child_text(k, "Condition"), _child_text(k, "Name")) for k in kinds]
    active = any(s not in _INACTIVE and n not in _INACTIVE and n for s, n in statuses)
    return active, any(s == "解除" or n == "解除" for s, n in statuses)


def _warning_items(message: _Message, block: str, block_type: str) -> tuple[bool, bool, list[etree._Element]]:
    """Items of ``block[@type=block_type]``: (any special warning in force, all lifted, the items that count).

    The items that count are those in force, or when none is, the lifted ones (the lift's areas).
    """
    active_items, lifted_items = [], []
    special = False
    for warning in _children(_body(message), block):
        if warning.get("type") != block_type:
            continue
        for item in _children(warning, "Item"):
            active, lifted = _kinds_active(item)
            if active:
                active_items.append(item)
                names = [_child_text(k, "Name") for k in _children(item, "Kind")]
                special |= any("特別警報" in n or "居住地域" in n for n in names)
            elif lifted:
                lifted_items.append(item)
    all_lifted = not active_items and bool(lifted_items)
    return special, all_lifted, active_items or lifted_items


def _add_item_areas(items: list[etree._Element], targets: Targets) -> None:
    for item in items:
        areas = _children(item, "Areas", "Area") + _children(item, "Area")
        for area in areas:
            parent = area.getparent()
            code_type = area.get("codeType") or (parent.get("codeType") if parent is not None else "") or _MUNICIPALITY
            targets.add(code_type, _child_text(area, "Code"), _child_text(area, "Name"))


def _weather(block: str, block_type: str) -> Mapping:
    """Weather warnings (VPWW53-56), landslide alerts (VXWW50), volcanic warnings (VFVO50): the municipalities
    of the items in force; all lifted makes a lift. Special warnings and warnings for residential areas go by
    J-Alert, the rest by L-Alert."""

    def mapping(message: _Message, targets: Targets) -> Mapped:
        special, lifted, items = _warning_items(message, block, block_type)
        _add_item_areas(items, targets)
        system = AlertSystem.J_ALERT if special else AlertSystem.L_ALERT
        return Mapped(AlertCategory.OTHER, system, lifted)

    return mapping


def _rainband(message: _Message, targets: Targets) -> Mapped:
    """VPBS50 (線状降水帯): the forecast areas (府県予報区・細分区域) it names, as prefectures."""
    for info in _children(_body(message), "MeteorologicalInfos", "MeteorologicalInfo", "Item"):
        _add_item_areas([info], targets)
    return Mapped(AlertCategory.OTHER, AlertSystem.L_ALERT)


_MAPPINGS: dict[str, Mapping] = {
    "緊急地震速報（警報）": _eew,
    "震度速報": _intensity,
    "震源・震度に関する情報": _intensity,
    "津波警報・注意報・予報a": _tsunami,
    "気象特別警報・警報・注意報": _weather("Warning", "気象警報・注意報（市町村等）"),
    "気象警報・注意報（Ｈ２７）": _weather("Warning", "気象警報・注意報（市町村等）"),
    "気象警報・注意報（Ｒ０６）": _weather("Warning", "気象警報・注意報（市町村等）"),
    "気象警報・注意報（Ｒ０６）（大雨）": _weather("Warning", "気象警報・注意報（市町村等）"),
    "気象警報・注意報（Ｒ０６）（土砂）": _weather("Warning", "気象警報・注意報（市町村等）"),
    "土砂災害警戒情報": _weather("Warning", "土砂災害警戒情報"),
    "噴火警報・予報": _weather("VolcanoInfo", "噴火警報・予報（対象市町村等）"),
    "府県気象防災速報": _rainband,
}
"""Supported message types (``Control/Title``) and how each finds its category, system and areas."""
SUPPORTED_TITLES = tuple(_MAPPINGS)
"""The ``Control/Title`` of every message type that imports."""

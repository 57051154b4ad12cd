"""One fuzz input per (kind, seed, index): a mutation of a shipped file or of a valid signed alert.

The same three numbers always give the same bytes, so a finding is reproduced from its index alone.
"""

from __future__ import annotations

import copy
import json
import math
import random
import re
import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path

import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from lxml import etree

from tests.fuzz.mutate import (
    HOSTILE_STRINGS,
    Tree,
    alias_bomb,
    deep_nesting,
    hostile_value,
    mutate_bytes,
    mutate_tree,
    paths,
    weighted,
)

ROOT = Path(__file__).resolve().parents[2]
FUZZ_DATA = ROOT / "tests" / "data" / "fuzz"
NOW_S = 1_900_000_000.0  # the node's clock while it judges the fuzzed alerts
NODE_ID = "pi-fuzz"
KEY_ID = "fuzz"
DEPTHS = (50, 300, 3_000, 100_000)


class Kind(StrEnum):
    """The four inputs the project reads from outside."""

    SCENARIO = "scenario"
    CAP = "cap"
    NODE_TOML = "node.toml"
    MQTT = "mqtt"


@dataclass(frozen=True)
class Input:
    """The bytes fed to a target and what else the target needs to know (topic, whether to simulate)."""

    data: bytes
    origin: str
    options: dict[str, str] = field(default_factory=dict)


def make_input(kind: Kind, seed: int, index: int) -> Input:
    """Input number ``index`` of ``kind`` in the campaign seeded ``seed``."""
    rng = random.Random(f"{seed}/{kind.value}/{index}")
    match kind:
        case Kind.SCENARIO:
            return scenario_input(rng)
        case Kind.CAP:
            return cap_input(rng)
        case Kind.NODE_TOML:
            return node_toml_input(rng)
        case Kind.MQTT:
            return mqtt_input(rng, index)


def _place(tree: Tree, rng: random.Random, value: object) -> Tree:
    """``tree`` with ``value`` put in place of one of its parts."""
    spot = rng.choice(paths(tree)[1:] or [()])
    if not spot:
        return value
    parent = tree
    for part in spot[:-1]:
        parent = parent[part]
    parent[spot[-1]] = value
    return tree


# --- scenario YAML ----------------------------------------------------------------------------------------------

# Files a scenario may name that no reader should take whole: endless, a folder, the process's own, missing.
HOSTILE_PATHS = (
    "/dev/zero",
    "/dev/urandom",
    "/dev/stdin",
    "/",
    "/proc/self/status",
    "../../../../etc/passwd",
    "no.xml",
)
YAML_TRICKS = (
    "&a [*a]",
    "!!python/object/apply:os.system ['true']",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!!timestamp 2001-12-14t21:59:43.10-05:00",
    "!!float .nan",
    "!!int 0x7fffffffffffffffffffffffffff",
    "!!str",
    "*undefined_alias",
    "{<<: {a: 1}}",
    "? [a, b]\n  : c",
    '"\\ud800"',
    "\u0085\u2028",
    "- - - - -",
)


@cache
def scenario_seeds() -> tuple[tuple[str, Tree], ...]:
    """The shipped scenarios as data; the two nationwide ones (slow to build) count once each, others thrice;
    then the history events' scenarios once each (they carry felt quakes, patrols, manual fallback, failures)."""
    seeds = []
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        heavy = "nationwide" in path.name or "national" in path.name
        seeds += [(path.name, data)] * (1 if heavy else 3)
    for path in sorted((ROOT / "validation").glob("*.yaml")):
        if path.name != "events.yaml":
            seeds.append((f"validation-{path.name}", yaml.safe_load(path.read_text(encoding="utf-8"))))
    return tuple(seeds)


@cache
def hostile_scenario_texts() -> tuple[tuple[str, str], ...]:
    """tests/data/fuzz's hostile scenarios, as text (loading some of them is the attack)."""
    return tuple((p.name, p.read_text(encoding="utf-8")) for p in sorted(FUZZ_DATA.glob("scenario_*.yaml")))


def _yaml_text_edit(text: str, rng: random.Random) -> str:
    lines = text.splitlines(keepends=True)
    at = rng.randrange(len(lines))
    line = lines[at]
    key, colon, _ = line.partition(": ")
    edit = rng.random()
    if edit < 0.3 and colon:
        nested = deep_nesting(_depth(rng), rng.choice(["[", "{a: "]), rng.choice(["]", "}"]))
        lines[at] = f"{key}: {nested}\n"
    elif edit < 0.6 and colon:
        lines[at] = f"{key}: {rng.choice(YAML_TRICKS)}\n"
    elif edit < 0.8:
        lines.insert(at, line if colon else line + line)  # a key (or an item) written twice
    else:
        lines = lines * (200 if rng.random() < 0.05 else rng.choice([2, 20]))  # 200: megabytes, slow to parse
    return "".join(lines)


def _depth(rng: random.Random) -> int:
    """How deep to nest: the deepest (slow for a pure-Python parser to refuse) rarely, to keep the campaign short."""
    return DEPTHS[-1] if rng.random() < 0.05 else rng.choice(DEPTHS[:-1])


def _point_at_files(tree: Tree, rng: random.Random) -> Tree:
    """The scenario reading other files: an alert from a CAP file, or its own municipality table, at odd paths."""
    if not isinstance(tree, dict):
        return tree
    path = rng.choice([*HOSTILE_PATHS, str(rng.choice(cap_paths()))])
    alerts = tree.get("alerts")
    if rng.random() < 0.7 and isinstance(alerts, list) and alerts:
        entry = {"cap": path} | ({"issue_s": hostile_value(rng)} if rng.random() < 0.3 else {})
        alerts[rng.randrange(len(alerts))] = entry
    elif isinstance(tree.get("topology"), dict):
        tree["topology"]["municipality_table"] = path
    return tree


def scenario_input(rng: random.Random) -> Input:
    """A shipped scenario with a few edits (values, keys, structure, aliases), sometimes edited as text."""
    if rng.random() < 0.01:
        name, text = rng.choice(hostile_scenario_texts())
    else:
        name, seed = rng.choice(scenario_seeds())
        tree = mutate_tree(seed, rng, rng.choice([1, 1, 2, 3, 6]))
        if rng.random() < 0.06:
            tree = _point_at_files(tree, rng)
        if rng.random() < 0.004:
            tree = _place(tree, rng, alias_bomb(rng.randint(3, 8), rng.randint(4, 10)))
        text = yaml.safe_dump(tree, allow_unicode=True, sort_keys=False, width=200)
    if rng.random() < 0.25:
        text = _yaml_text_edit(text, rng)
    data = text.encode("utf-8")
    if rng.random() < 0.08:
        data = mutate_bytes(data, rng)
    options = {"simulate": "yes"} if rng.random() < 0.1 else {}
    return Input(data, name, options)


# --- CAP XML ----------------------------------------------------------------------------------------------------

NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
OUR_PARAMETERS = ("system", "category", "issue_s", "size_bytes", "origin")
CAP_VALUES = (
    "j_alert",
    "l_alert",
    "ballistic_missile",
    "other",
    "0",
    "12.5",
    "1000",
    "nan",
    "inf",
    "-inf",
    "1e400",
    "-5",
    "１２",
    "1_000",
    " 5 ",
    "0x1A",
    "Actual",
    "Exercise",
    "System",
    "Draft",
    "JIS X 0402",
    "JIS X 0401",
    "022039",
    "02203",
    "02",
    "2024-02-30T00:00:00+09:00",
    "2024-01-01T24:00:00+00:00",
    "0001-01-01T00:00:00-00:00",
    "2024-01-01T00:00:00.123456789+09:00",
    "-2024-01-01T00:00:00+09:00",
)
DTDS = (
    '<!DOCTYPE alert [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>',
    '<!DOCTYPE alert [<!ENTITY d SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE alert SYSTEM "http://127.0.0.1:9/cap.dtd">',
    '<!DOCTYPE alert [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]>',
    "<!DOCTYPE alert []>",
)


@cache
def cap_paths() -> tuple[Path, ...]:
    """The message files read like a CAP alert: the CAP messages in tests/data/cap (real agencies', OASIS
    examples, hostile ones) and tests/data/fuzz (our own export, another dialect), JMA's own messages
    (tests/data/jma) and EDXL-DE envelopes (tests/data/edxl)."""
    data = ROOT / "tests" / "data"
    return (
        *sorted((data / "cap").rglob("*.xml")),
        *sorted(FUZZ_DATA.glob("*.xml")),
        *sorted((data / "jma").rglob("*.xml")),
        *sorted((data / "edxl").rglob("*.xml")),
    )


@cache
def cap_seeds() -> tuple[tuple[str, bytes], ...]:
    """Each CAP seed's name and bytes."""
    return tuple((p.name, p.read_bytes()) for p in cap_paths())


def _cap_text(rng: random.Random) -> str:
    return weighted(
        rng,
        (0.5, lambda: rng.choice(CAP_VALUES)),
        (0.97, lambda: rng.choice(HOSTILE_STRINGS)),
        (1.0, lambda: "x" * rng.choice([1_000_000, 11_000_000])),  # lxml's limit for a text node: 10 MB
    )


def _set_text(element: etree._Element, text: str) -> None:
    element.text = NOT_XML.sub("?", text)  # XML cannot carry these at all; raw edits bring them in instead


def _cap_tree_edit(root: etree._Element, rng: random.Random) -> None:
    elements = list(root.iter(etree.Element))
    element = rng.choice(elements)
    edit = rng.random()
    if edit < 0.35:
        _set_text(element, _cap_text(rng))
    elif edit < 0.5 and element is not root and element.getparent() is not None:
        element.getparent().remove(element)
    elif edit < 0.6 and element is not root and element.getparent() is not None:
        element.addnext(copy.deepcopy(element))
    elif edit < 0.85:
        info = root.find(f"{CAP}info")
        if info is None:
            info = etree.SubElement(root, f"{CAP}info")
        parameter = etree.Element(f"{CAP}parameter")
        later = [child for child in info if child.tag in (f"{CAP}resource", f"{CAP}area")]
        later[0].addprevious(parameter) if later else info.append(parameter)  # the schema's order: before them
        name = rng.choice(OUR_PARAMETERS)
        _set_text(etree.SubElement(parameter, f"{CAP}valueName"), f"lalert-sim:{name}")
        _set_text(etree.SubElement(parameter, f"{CAP}value"), _cap_text(rng))
    else:
        area = root.find(f"{CAP}info/{CAP}area")
        if area is not None:
            geocode = etree.SubElement(area, f"{CAP}geocode")
            _set_text(etree.SubElement(geocode, f"{CAP}valueName"), rng.choice(["JIS X 0402", "lgcode", "JIS X 0401"]))
            _set_text(etree.SubElement(geocode, f"{CAP}value"), _cap_text(rng))


def _cap_text_edit(data: bytes, rng: random.Random) -> bytes:
    declaration, has_declaration, body = data.partition(b"?>")
    head = declaration + has_declaration if has_declaration else b""
    body = body if has_declaration else data
    edit = rng.random()
    if edit < 0.35:
        return head + rng.choice(DTDS).encode() + body.replace(b"</sender>", b"&d;</sender>", 1)
    if edit < 0.6:
        core = body.split(b">", 2)
        nested = deep_nesting(_depth(rng), "<x>", "</x>").encode()
        return head + b">".join([core[0], core[1], nested + core[2]]) if len(core) == 3 else data
    if edit < 0.8:
        encoding = rng.choice([b"bogus", b"utf-16", b"ISO-8859-1", b"UTF-7", b"ebcdic-cp-us"])
        return b'<?xml version="1.0" encoding="' + encoding + b'"?>' + body
    return mutate_bytes(data, rng)


def cap_input(rng: random.Random) -> Input:
    """A CAP message with edited elements (our lalert-sim parameters, geocodes, times), DTD tricks or raw edits."""
    name, seed = rng.choice(cap_seeds())
    data = seed
    try:
        root = etree.fromstring(seed, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    except etree.XMLSyntaxError:
        root = None
    if root is not None and rng.random() < 0.85:
        for _ in range(rng.choice([1, 1, 2, 3, 5])):
            _cap_tree_edit(root, rng)
        data = etree.tostring(root, xml_declaration=True, encoding=rng.choice(["UTF-8", "UTF-8", "ISO-8859-1"]))
    if rng.random() < 0.35:
        data = _cap_text_edit(data, rng)
    return Input(data, name)


# --- node.toml --------------------------------------------------------------------------------------------------


def signing_key() -> Ed25519PrivateKey:
    """The campaign's fixed signing key (a fixed seed: every run signs the same bytes)."""
    return Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


@cache
def node_toml_seed() -> dict[str, Tree]:
    """hardware/node.example.toml trusting the campaign's key."""
    from lalert_sim.hil.protocol import public_key_text

    data = tomllib.loads((ROOT / "hardware" / "node.example.toml").read_text(encoding="utf-8"))
    data["keys"] = {KEY_ID: public_key_text(signing_key().public_key())}
    return data


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value if v is not None) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(_toml_entries(value)) + "}"
    return str(value)  # dates and times are TOML literals as Python prints them


def _toml_entries(table: dict[str, Tree], tables: bool = True) -> list[str]:
    """``key = value`` for each entry (TOML has no null: None leaves the key out), optionally not the tables."""
    return [
        f"{json.dumps(str(k))} = {_toml_value(v)}"
        for k, v in table.items()
        if v is not None and (tables or not isinstance(v, dict))
    ]


def toml_text(data: dict[str, Tree]) -> str:
    """``data`` as TOML: top-level values first, then one table per mapping (deeper ones inline)."""
    lines = _toml_entries(data, tables=False)
    for key, table in data.items():
        if isinstance(table, dict):
            lines += [f"[{json.dumps(str(key))}]", *_toml_entries(table)]
    return "\n".join(lines) + "\n"


def node_toml_input(rng: random.Random) -> Input:
    """The example node.toml with edited settings, sometimes edited as text."""
    tree = mutate_tree(node_toml_seed(), rng, rng.choice([1, 1, 2, 3]))
    text = toml_text(tree) if isinstance(tree, dict) else _toml_value(tree)
    if rng.random() < 0.2:
        nested = deep_nesting(_depth(rng), rng.choice(["[", "{a = "]), rng.choice(["]", "}"]))
        text = rng.choice([f"deep = {nested}\n" + text, text + text])
    data = text.encode("utf-8")
    if rng.random() < 0.1:
        data = mutate_bytes(data, rng)
    return Input(data, "node.example.toml")


# --- MQTT payloads ----------------------------------------------------------------------------------------------


def alert_fields(rng: random.Random, index: int) -> dict[str, Tree]:
    """A valid alert for the fuzzed node (a fresh message id for every input)."""
    return {
        "v": 1,
        "msg_id": f"{index:016x}",
        "nodes": [NODE_ID],
        "alert_id": "fuzz-drill",
        "category": rng.choice(["ballistic_missile", "tsunami_warning", "test", "other", "unknown_kind"]),
        "mode": rng.choice(["exercise", "test", "actual"]),
        "headline": "Fuzz drill (test data)",
        "issued_at": NOW_S - 1.0,
        "expires_at": NOW_S + 60.0,
        "sim_issue_s": 0.0,
    }


def signed_wire(payload_text: str, key_id: str = KEY_ID) -> dict[str, Tree]:
    """The SignedAlert fields for ``payload_text`` signed with the campaign's key."""
    import base64

    from lalert_sim.hil.protocol import _SIGNING_CONTEXT

    signature = signing_key().sign(_SIGNING_CONTEXT + payload_text.encode("utf-8", "surrogatepass"))
    return {"v": 1, "key_id": key_id, "payload": payload_text, "signature": base64.b64encode(signature).decode()}


def _json(tree: Tree) -> str:
    return json.dumps(tree, default=str)  # NaN and Infinity as JavaScript writes them; dates as text


def _json_trick(rng: random.Random, wire: str) -> bytes:
    pick = rng.random()
    if pick < 0.3:
        return wire.replace('{"v": 1', '{"v": 1, "v": 2', 1).encode()  # a key twice
    if pick < 0.6:
        return deep_nesting(_depth(rng), '{"a": [', "]}", "1").encode()
    if pick < 0.8:
        return rng.choice([b"1e99999", b"-0", b"null", b"[]", b'"' + b"\\u0000" * 1000 + b'"', b"\xff\xfe{}"])
    return wire.replace('"headline": ', '"headline": "' + "x" * rng.choice([2**20, 2**24]) + '", "h": ', 1).encode()


def mqtt_input(rng: random.Random, index: int) -> Input:
    """A payload on the node's alert topic (or its time/ping): signed alerts with edits before or after signing."""
    fields = alert_fields(rng, index)
    valid = signed_wire(_json(fields))
    pick = rng.random()
    if pick < 0.1:
        ping = mutate_tree({"v": 1, "seq": index, "t1": NOW_S}, rng, rng.choice([1, 2]))
        return Input(_json(ping).encode(), "time/ping", {"topic": "time/ping"})
    if pick < 0.45:  # signed after the edit: the node must judge the content itself
        payload = mutate_tree(fields, rng, rng.choice([1, 1, 2, 3]))
        data = _json(signed_wire(_json(payload))).encode()
    elif pick < 0.7:
        data = _json(mutate_tree(valid, rng, rng.choice([1, 2]))).encode()
    elif pick < 0.85:
        data = mutate_bytes(_json(valid).encode(), rng)
    elif pick < 0.92:
        data = _json_trick(rng, _json(signed_wire(_json(fields))))
    else:
        fields["expires_at"] = hostile_value(rng) if rng.random() < 0.5 else fields["expires_at"]
        data = _json(signed_wire(_json(fields))).encode()
    return Input(data, "signed alert", {"topic": "alert"})

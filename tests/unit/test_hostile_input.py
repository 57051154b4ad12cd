"""Hostile input: nothing a scenario, CAP file or table says can crash, hang or exhaust the program.

Each case must end in a ScenarioError whose problems name the file, the field or line,
and what is wrong, quickly, and without quoting a file that is not what it should be.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lalert_sim import ScenarioError, load
from lalert_sim.model.cap import parse_cap
from lalert_sim.model.files import CAP_MAX_BYTES, SCENARIO_MAX_BYTES, TABLE_MAX_BYTES
from lalert_sim.prepare import load_text
from tests.unit.test_scenario_files import MINIMAL

DATA = Path(__file__).resolve().parents[1] / "data"
CAP = DATA / "cap"


TEMPLATE = """\
metadata: {name: template}
duration_s: 100
topology:
  templates:
    - {template: prefecture, prefecture: "02", municipalities: 2}
alerts:
  - {id: a, system: j_alert, category: ballistic_missile}
"""


def _laughs(levels: int) -> str:
    """Each level an anchored list of nine aliases of the one before: 9**levels values from ~250 bytes."""
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.fixture(autouse=True)
def _quick() -> Iterator[None]:
    started = time.perf_counter()
    yield
    assert time.perf_counter() - started < 5, "hostile input must be refused quickly"


def problems_of(text: str, tmp_path: Path, allow_outside_paths: bool = False) -> list[str]:
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load(path, allow_outside_paths=allow_outside_paths)
    found = [str(p) for p in caught.value.problems]
    assert all(p.startswith("/") and ": " in p for p in found), found  # each names its file
    return found


def assert_one_says(found: list[str], *words: str) -> None:
    assert any(all(w in p for w in words) for p in found), found


# --- YAML: aliases, depth, duplicates, size ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (_laughs(9), ("line", "values once aliases are expanded")),
        (_laughs(10), ("values once aliases are expanded",)),
        ("x: &r [*r]\n", ("line 1", "an alias refers to a value that contains it")),
        ("x: &r {a: *r}\n", ("line 1", "contains it")),
        ("[" * 500 + "]" * 500 + "\n", ("line 1", "levels of nesting")),
        ("a:\n" + "".join(" " * (i + 1) + "b:\n" for i in range(100)), ("levels of nesting",)),
        (MINIMAL + "duration_s: 200\n", ("line 11", "key 'duration_s' given twice (first on line 2)")),
        (MINIMAL.replace("kind: relay,", "kind: relay, kind: emitter,"), ("line 6", "key 'kind' given twice")),
        ("a: " + "9" * 5000 + "\n", ("line 1", "not a valid int")),
        ("metadata: {name: x, epoch: 2026-13-45}\n", ("line 1", "not a valid timestamp")),
        ("metadata: {name: x, epoch: 2026-01-01T00:00:00+99:00}\n", ("not a valid timestamp",)),
        ("a: [" + "*x, " * 1001 + "]\nx: &x 1\n", ("not valid YAML",)),
        ("a: &x 1\nb: [" + "*x, " * 1001 + "]\n", ("alias references",)),
        ("a: 1\n---\nb: 2\n", ("line 2", "not valid YAML")),
        ("a: !!timestamp soon\n", ("line 1", "not a valid timestamp")),
        ("a: !!bool maybe\n", ("line 1", "not a valid bool")),
        ("a: !!float many\n", ("line 1", "not a valid float")),
    ],
    ids=[
        "aliases-9-levels",
        "aliases-10-levels",
        "recursive-list",
        "recursive-mapping",
        "500-nested-brackets",
        "100-nested-mappings",
        "duplicate-top-level-key",
        "duplicate-key-in-a-node",
        "5000-digit-integer",
        "impossible-date",
        "impossible-time-zone",
        "undefined-alias",
        "too-many-aliases",
        "two-documents",
        "explicit-timestamp",
        "explicit-bool",
        "explicit-float",
    ],
)
def test_hostile_yaml_is_refused_with_file_and_line(tmp_path: Path, text: str, words: tuple[str, ...]) -> None:
    assert_one_says(problems_of(text, tmp_path), "not valid YAML", *words)


def test_a_document_over_the_size_limit_is_not_parsed(tmp_path: Path) -> None:
    text = MINIMAL + "# " + "x" * SCENARIO_MAX_BYTES + "\n"
    assert_one_says(problems_of(text, tmp_path), "larger than the limit")
    with pytest.raises(ScenarioError, match="larger than the limit"):
        load_text(text, "big.yaml")


def test_a_scenario_that_is_not_utf8_is_named_not_quoted(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_bytes(b"metadata: {name: secret\xff\xfe}\n")
    with pytest.raises(ScenarioError) as caught:
        load(path)
    assert str(caught.value) == f"{path}: cannot read file: not UTF-8 text (byte 23)"


def test_merge_keys_and_shared_anchors_still_load(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        '    - {id: rx, kind: relay, area: "02201"}',
        '    - &rx {id: rx, kind: relay, area: "02201"}\n    - {<<: *rx, id: rx2}',
    )
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    assert "rx2" in load(path).topology.nodes


# --- Numbers: finite, in range --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (("duration_s: 100", "duration_s: .inf"), ("line 2: duration_s", "finite number")),
        (("duration_s: 100", "duration_s: .nan"), ("line 2: duration_s", "finite number")),
        (("duration_s: 100", "duration_s: 1e300"), ("line 2: duration_s", "less than or equal to 315360000")),
        (("metadata: {name: minimal}", "metadata: {name: m, epoch: 9999-12-31T23:59:59-23:59}"), ("epoch", "1900")),
        (("metadata: {name: minimal}", "metadata: {name: m, epoch: 0001-01-01T00:00:00+23:59}"), ("epoch", "1900")),
        (("category: ballistic_missile", "category: ballistic_missile, issue_s: 1e308"), ("alerts[0].issue_s",)),
        (("category: ballistic_missile", "category: ballistic_missile, size_bytes: 1e30"), ("size_bytes",)),
        (("duration_s: 100", "duration_s: 100\nresidents: {horizon_s: 1e15}"), ("residents.horizon_s", "43200")),
        (("duration_s: 100", "duration_s: 100\nresidents: {deadline_s: .inf}"), ("residents.deadline_s", "finite")),
        (("duration_s: 100", "duration_s: 100\nseed: " + str(2**64)), ("line 3: seed", "less than")),
        (("target: rx}", "target: rx, latency_s: {kind: lognormal, median: 1, sigma: 1000}}"), ("sigma",)),
        (("target: rx}", "target: rx, latency_s: {kind: exponential, mean: .inf}}"), ("latency_s", "finite")),
        (("target: rx}", "target: rx, bandwidth_bps: 1e-300}"), ("bandwidth_bps", "greater than or equal to 1")),
        (("target: rx}", "target: rx, outages: [{start_s: 1, end_s: .nan}]}"), ("outages[0].end_s",)),
        (("target: rx}", "target: rx, outages: [{start_s: 1, end_s: 1e300}]}"), ("outages[0].end_s", "ten years")),
        (('area: "02201"}', 'area: "02201", servers: ' + "9" * 30 + "}"), ("servers", "less than or equal")),
        (("id: rx,", "id: " + "r" * 300 + ","), ("topology.nodes[1].id", "at most 200 characters")),
        (("id: rx,", 'id: "rx\\u0000x",'), ("topology.nodes[1].id", "pattern")),
    ],
)
def test_numbers_ids_and_times_are_finite_and_in_range(
    tmp_path: Path, change: tuple[str, str], words: tuple[str, ...]
) -> None:
    text = MINIMAL.replace(*change)
    assert text != MINIMAL
    assert_one_says(problems_of(text, tmp_path), *words)


def test_an_endless_window_is_still_allowed(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(MINIMAL.replace("target: rx}", "target: rx, outages: [{start_s: 1, end_s: .inf}]}"), "utf-8")
    assert load(path).topology.links[0].outages[0].end_s == float("inf")


# --- Counts that multiply the topology -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (("municipalities: 2}", "municipalities: 2, portals: 10000000}"), ("portals", "less than or equal to 100")),
        (("municipalities: 2}", "municipalities: 2, broadcasters: 10000000}"), ("broadcasters", "100")),
        (("municipalities: 2}", "municipalities: 1000000000}"), ("municipalities",)),
        (("municipalities: 2}", "municipalities: 2, carriers: [" + "c, " * 11 + "]}"), ("carriers", "at most 10")),
        (
            ('    - {template: prefecture, prefecture: "02", municipalities: 2}', "    - {template: region}\n" * 2),
            ("topology.templates", "generate 3,482 municipalities in all", "2,000"),
        ),
        (
            (
                "municipalities: 2}",
                "municipalities: 2}\nresponses: {loans: [{equipment: mca_radio, deliver_to: '{code:>999999999}'}]}",
            ),
            ("responses.loans[0].deliver_to", "only placeholder allowed is {code}"),
        ),
        (
            (
                "municipalities: 2}",
                "municipalities: 2}\nresponses: {loans: [{equipment: mca_radio, deliver_to: '{0.__class__}'}]}",
            ),
            ("deliver_to", "{code}"),
        ),
        (
            ("municipalities: 2}", "municipalities: 2}\nresponses: {power_vehicles: {units: 1000000000}}"),
            ("responses.power_vehicles.units", "100000"),
        ),
    ],
    ids=[
        "portals",
        "broadcasters",
        "municipalities",
        "carriers",
        "two-nationwide-templates",
        "format-width",
        "format-attribute",
        "vehicles",
    ],
)
def test_counts_that_multiply_the_network_are_bounded(
    tmp_path: Path, change: tuple[str, str], words: tuple[str, ...]
) -> None:
    text = TEMPLATE.replace(*change)
    assert text != TEMPLATE
    assert_one_says(problems_of(text, tmp_path), *words)


def test_an_empirical_distribution_is_bounded(tmp_path: Path) -> None:
    values = ", ".join(["1"] * 10_001)
    text = MINIMAL.replace("target: rx}", f"target: rx, latency_s: {{kind: empirical, values: [{values}]}}}}")
    assert_one_says(problems_of(text, tmp_path), "latency_s.values", "at most 10000")


def test_many_alerts_over_many_areas_are_checked_quickly(tmp_path: Path) -> None:
    areas = ", ".join(f'"02{k:03d}"' for k in range(200, 400))
    alerts = f"  - {{id: a0, system: j_alert, category: test, areas: &areas [{areas}]}}\n"
    alerts += "".join(f"  - {{id: a{i}, system: j_alert, category: test, areas: *areas}}\n" for i in range(1, 200))
    text = TEMPLATE.replace(
        "alerts:\n  - {id: a, system: j_alert, category: ballistic_missile}\n", "alerts:\n" + alerts
    )
    text += "residents: {horizon_s: 1800}\n"  # 200 alerts: within the reach budget
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    assert len(load(path).injections) == 200  # a prefecture-wide node (broadcasters) lies in every area


# --- Files a scenario names -------------------------------------------------------------------------------------


def _with_table(name: str) -> str:
    return TEMPLATE.replace("topology:\n", f"topology:\n  municipality_table: '{name}'\n")


def test_a_table_outside_the_scenario_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside.csv").write_text("code,population\n02201,10\n", encoding="utf-8")
    folder = tmp_path / "scenario"
    folder.mkdir()
    for name in ("../outside.csv", str(tmp_path / "outside.csv"), "/proc/self/environ", "/etc/passwd"):
        found = problems_of(_with_table(name), folder)
        assert_one_says(found, "line 4: topology.municipality_table", "outside the scenario's folder")
        assert_one_says(found, "--allow-outside-paths")
    path = folder / "scenario.yaml"
    path.write_text(_with_table("../outside.csv"), encoding="utf-8")
    assert load(path, allow_outside_paths=True).municipalities["02201"].population == 10


def test_a_link_that_leads_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside.csv").write_text("code,population\n02201,10\n", encoding="utf-8")
    folder = tmp_path / "scenario"
    folder.mkdir()
    (folder / "towns.csv").symlink_to(tmp_path / "outside.csv")
    assert_one_says(problems_of(_with_table("towns.csv"), folder), "outside the scenario's folder")


def test_the_process_environment_is_never_printed(tmp_path: Path) -> None:
    found = problems_of(_with_table("/proc/self/environ"), tmp_path, allow_outside_paths=True)
    environment = "\n".join(f"{k}={v}" for k, v in os.environ.items())
    assert found and all(k not in p for p in found for k in os.environ if len(k) > 3), found
    assert all(v not in "\n".join(found) for v in os.environ.values() if len(v) > 8), environment[:0]


@pytest.mark.parametrize("kind", ["fifo", "directory", "dev-zero", "dev-null"])
def test_a_table_that_is_not_a_regular_file_is_refused_without_reading(tmp_path: Path, kind: str) -> None:
    name = {"dev-zero": "/dev/zero", "dev-null": "/dev/null"}.get(kind, "towns.csv")
    if kind == "fifo":
        os.mkfifo(tmp_path / "towns.csv")
    elif kind == "directory":
        (tmp_path / "towns.csv").mkdir()
    found = problems_of(_with_table(name), tmp_path, allow_outside_paths=True)
    assert_one_says(found, name if name.startswith("/") else "towns.csv", "give a regular file")


@pytest.mark.parametrize("what", ["scenario", "cap"])
def test_a_fifo_scenario_or_cap_file_does_not_hang(tmp_path: Path, what: str) -> None:
    fifo = tmp_path / ("scenario.yaml" if what == "scenario" else "alert.xml")
    os.mkfifo(fifo)
    if what == "cap":
        (tmp_path / "s.yaml").write_text(MINIMAL.replace("alerts:\n  - {", "alerts:\n  - {cap: alert.xml}\n  - {"))
    with pytest.raises(ScenarioError, match="not a regular file") as caught:
        load(tmp_path / ("scenario.yaml" if what == "scenario" else "s.yaml"))
    assert str(fifo) in str(caught.value)


def test_files_over_their_size_limit_are_refused_before_reading(tmp_path: Path) -> None:
    with open(tmp_path / "towns.csv", "wb") as sparse:
        sparse.truncate(TABLE_MAX_BYTES + 1)
    assert_one_says(problems_of(_with_table("towns.csv"), tmp_path), "towns.csv", "larger than the limit")
    with open(tmp_path / "alert.xml", "wb") as sparse:
        sparse.truncate(CAP_MAX_BYTES + 1)
    text = MINIMAL.replace("alerts:\n  - {", "alerts:\n  - {cap: alert.xml}\n  - {")
    assert_one_says(problems_of(text, tmp_path), "alerts[0].cap", "alert.xml", "larger than the limit")


def test_cap_files_given_by_the_user_are_read_wherever_they_are(tmp_path: Path) -> None:
    folder = tmp_path / "scenario"
    folder.mkdir()
    (folder / "scenario.yaml").write_text(MINIMAL, encoding="utf-8")
    alert = CAP / "oasis-cap12-A3_earthquake-update_TRI13970876.2__tannerryan-cap.xml"
    text = MINIMAL.replace("alerts:\n  - {", f"alerts:\n  - {{cap: '{alert}', system: j_alert}}\n  - {{")
    assert_one_says(problems_of(text, folder), "alerts[0].cap", "outside the scenario's folder")
    (folder / "scenario.yaml").write_text(MINIMAL.replace('area: "02201"', 'area: "02201", system: l_alert'))
    with pytest.raises(ScenarioError) as caught:
        load(folder / "scenario.yaml", [alert])
    assert "outside" not in str(caught.value) and "alerts[0].origin" in str(caught.value)  # read, then checked


# --- CAP 1.2 ---------------------------------------------------------------------------------------------------

BASE_CAP = (CAP / "oasis-cap12-A1_homeland-security_43b080713727__tannerryan-cap.xml").read_bytes()
PARAMETER = b"<parameter>\n      <valueName>HSAS</valueName>"


def _cap_with(name: str, value: str) -> bytes:
    ours = f"<parameter><valueName>lalert-sim:{name}</valueName><value>{value}</value></parameter>"
    document = BASE_CAP.replace(PARAMETER, ours.encode() + PARAMETER)
    assert document != BASE_CAP
    return document


def _cap_problems(document: bytes) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        parse_cap(document, "alert.xml")
    found = [str(p) for p in caught.value.problems]
    assert all(p.startswith("alert.xml") for p in found), found
    return found


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("issue_s", "abc", "parameter lalert-sim:issue_s: Input should be a valid number"),
        ("issue_s", "inf", "parameter lalert-sim:issue_s: Input should be a finite number"),
        ("issue_s", "1e308", "parameter lalert-sim:issue_s: Input should be less than or equal to"),
        ("size_bytes", "1.5", "parameter lalert-sim:size_bytes"),
        ("size_bytes", "-1", "parameter lalert-sim:size_bytes: Input should be greater than 0"),
        ("category", "dragons", "parameter lalert-sim:category: Input should be"),
        ("system", "x_alert", "parameter lalert-sim:system: Input should be"),
        ("origin", "o" * 300, "parameter lalert-sim:origin: String should have at most 200 characters"),
    ],
)
def test_our_cap_parameters_are_validated_like_the_rest(name: str, value: str, words: str) -> None:
    assert_one_says(_cap_problems(_cap_with(name, value)), words)


@pytest.mark.parametrize(
    "sent", ["2003-04-02T24:00:00-05:00", "0001-01-01T00:00:00-12:00", "9999-12-31T23:59:59+14:00"]
)
def test_cap_times_python_cannot_hold_are_a_clear_error(sent: str) -> None:
    document = BASE_CAP.replace(b"2003-04-02T14:39:01-05:00", sent.encode())
    assert document != BASE_CAP
    assert_one_says(_cap_problems(document), "<sent>: not a date and time this program can use")


def test_deeply_nested_cap_is_refused() -> None:
    document = BASE_CAP.replace(PARAMETER, b"<x>" * 300 + b"</x>" * 300 + PARAMETER)
    assert_one_says(_cap_problems(document), "alert.xml", "cannot be read within the limits")


def test_cap_over_the_size_limit_is_refused_unparsed() -> None:
    huge = BASE_CAP.replace(b"<headline>", b"<headline>" + b"x" * (11 * 1024 * 1024))
    assert_one_says(_cap_problems(huge), "larger than the limit")


def test_schema_errors_do_not_quote_the_value() -> None:
    document = BASE_CAP.replace(b"<status>Actual</status>", b"<status>SECRET-VALUE</status>")
    found = _cap_problems(document)
    assert_one_says(found, "not valid CAP 1.2", "status")
    assert not any("SECRET-VALUE" in p for p in found), found


def test_a_file_that_is_not_xml_is_named_not_quoted(tmp_path: Path) -> None:
    found = _cap_problems(b"PASSWORD=hunter2\nTOKEN=abc\n")
    assert_one_says(found, "not well-formed XML")
    assert not any("hunter2" in p for p in found), found


# --- Municipality tables ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ("code,population\n02201,caf\xe9\n".encode("latin-1"), ("towns.csv", "not UTF-8 text (byte 25)")),
        (b"code,population\n02201," + b"9" * 200_000 + b"\n", ("towns.csv", "not a CSV table")),
        (b"code,population,name\n02201,10," + b"n" * 300 + b"\n", ("line 2: name", "longer than 200 characters")),
        (b"code,population\n02201,1e999\n", ("line 2: population", "must be between 0 and 50000000")),
        (b"code,population\n02201,nan\n", ("line 2: population", "must be between")),
        (b"code,population,lat\n02201,10,inf\n", ("line 2: lat", "must be between -90 and 90")),
        (b"code,population\n02201,10,11,12\n", ("line 2", "more cells than the header has columns")),
        (b"SECRET=1\x00TOKEN=2\n", ("unknown column number 1",)),
        (b"code,population\n" + b"02201,10\n" * 5_001, ("more than 5,000 rows",)),
    ],
    ids=[
        "latin-1",
        "huge-field",
        "long-name",
        "infinite",
        "nan",
        "infinite-latitude",
        "extra-cells",
        "not-a-table",
        "too-many-rows",
    ],
)
def test_bad_tables_are_clear_errors(tmp_path: Path, table: bytes, words: tuple[str, ...]) -> None:
    (tmp_path / "towns.csv").write_bytes(table)
    found = problems_of(_with_table("towns.csv"), tmp_path)
    assert_one_says(found, *words)
    assert not any("SECRET" in p or "TOKEN" in p for p in found), found


@pytest.mark.parametrize("name", ["x" * 5000, "a\\0b"], ids=["5000-characters", "nul"])
@pytest.mark.parametrize("field", ["cap", "table"])
def test_unusable_paths_are_named_as_such(tmp_path: Path, name: str, field: str) -> None:
    if field == "cap":
        text = MINIMAL.replace("alerts:\n  - {", f'alerts:\n  - {{cap: "{name}"}}\n  - {{')
        where = "line 10: alerts[0].cap"
    else:
        text, where = _with_table(name).replace("'", '"'), "line 4: topology.municipality_table"
    found = problems_of(text, tmp_path)
    assert_one_says(found, where)
    assert any("not a usable path" in p or "at most 4096 characters" in p for p in found), found
    assert all(len(p) < 300 for p in found), found


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a: !!python/object/apply:os.system ['echo hi']\n", "could not determine a constructor"),
        ("? [a, b]\n: 1\n", "found unhashable key"),
        ("a: &a 1\nb: {<<: *a}\n", "expected a mapping or list of mappings for merging"),
    ],
)
def test_yaml_the_safe_loader_refuses_is_an_error_with_its_line(tmp_path: Path, text: str, words: str) -> None:
    assert_one_says(problems_of(text, tmp_path), "not valid YAML", words)


def test_a_directory_as_the_scenario_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="a directory; give a regular file"):
        load(tmp_path)


def test_alerts_times_reach_horizon_is_bounded(tmp_path: Path) -> None:
    alerts = "".join(f"  - {{id: a{i}, system: j_alert, category: test}}\n" for i in range(9))
    text = MINIMAL.replace("  - {id: a, system: j_alert, category: ballistic_missile}\n", alerts)
    text += "residents: {horizon_s: 43200}\n"
    assert_one_says(problems_of(text, tmp_path), "line 19: residents.horizon_s", "9 alerts", "at most 360,000 s")


def test_control_characters_are_named_by_code_and_position(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_bytes(b"HOME=/root\x00SECRET=xyz\x00")
    with pytest.raises(ScenarioError) as caught:
        load(path)
    assert str(caught.value) == f"{path}: not valid YAML: character #x0000 at position 10 is not allowed in YAML"


def test_a_kind_that_is_not_a_word_is_an_error_not_a_crash(tmp_path: Path) -> None:
    # Found by fuzzing: a mapping where a node's kind goes was looked up as if it were a name.
    text = MINIMAL.replace("kind: relay,", "kind: {relay: 1},")
    assert "kind: {relay: 1}," in text
    assert_one_says(problems_of(text, tmp_path), "kind")


def test_a_carrier_name_that_cannot_be_part_of_an_id_is_refused_at_its_field(tmp_path: Path) -> None:
    # Found by fuzzing: the name went into generated ids (carrier/NAME/cbc) and failed there, as a traceback.
    text = TEMPLATE.replace("municipalities: 2}", 'municipalities: 2, carriers: [docomo, "k\\0ddi"]}')
    assert_one_says(problems_of(text, tmp_path), "carriers")

"""``impair:`` in a scenario: what it accepts, what it refuses (naming the field), how it reads in a report."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from lalert_sim.model.base import MAX_SECONDS
from lalert_sim.model.distributions import Constant, LogNormal, Uniform
from lalert_sim.model.field_nodes import Binding, FieldNodes
from lalert_sim.model.impairments import FROM_MEDIUM, Impairment, OutageWindow
from lalert_sim.model.network import Link


def field_nodes(*bindings: dict, **settings: object) -> FieldNodes:
    return FieldNodes.model_validate({"bindings": list(bindings), **settings})


def test_a_plain_number_is_a_constant_delay_and_the_rest_is_optional() -> None:
    impairment = Impairment.model_validate({"delay": 0.27})
    assert impairment.delay == Constant(value=0.27)
    assert (impairment.bandwidth_bps, impairment.outages) == (None, [])
    assert Impairment().describe() == "none"


def test_every_scenario_distribution_is_a_delay() -> None:
    impairment = Impairment.model_validate({"delay": {"kind": "lognormal", "median": 0.3, "sigma": 0.5}})
    assert impairment.delay == LogNormal(median=0.3, sigma=0.5)


def test_the_report_notation_names_every_condition() -> None:
    impairment = Impairment(
        delay=Uniform(low=0.24, high=0.285),
        bandwidth_bps=64_000,
        outages=[OutageWindow(start_s=0.5, end_s=20.5), OutageWindow(start_s=60, end_s=90)],
    )
    assert impairment.describe() == "delay=uniform(0.24,0.285)s bandwidth=64000bps outages=0.5-20.5s,60-90s"


@pytest.mark.parametrize(
    ("data", "field", "problem"),
    [
        ({"delay": -1}, "delay.constant.value", "greater than or equal to 0"),
        ({"bandwidth_bps": 0}, "bandwidth_bps", "greater than or equal to 100"),
        ({"outages": [{"start_s": 5, "end_s": 5}]}, "outages.0", "end_s (5) must be after start_s (5)"),
        ({"outages": [{"start_s": 10, "end_s": 20}, {"start_s": 15, "end_s": 30}]}, "", "in order, without overlap"),
        ({"jitter": 0.1}, "jitter", "Extra inputs are not permitted"),
    ],
)
def test_bad_conditions_name_the_field_and_the_problem(data: dict, field: str, problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Impairment.model_validate(data)
    error = caught.value.errors()[0]
    assert ".".join(str(p) for p in error["loc"]) == field and problem in error["msg"]


def test_a_binding_takes_conditions_or_from_medium_and_nothing_else() -> None:
    settings = field_nodes(
        {"node": "a", "field_node": "pi-01", "impair": {"delay": 0.1}},
        {"node": "b", "field_node": "pi-02", "impair": "from_medium"},
        {"node": "c", "field_node": "pi-03"},
    )
    assert [settings.impair_of(b) for b in settings.bindings] == [Impairment(delay=0.1), FROM_MEDIUM, None]
    with pytest.raises(ValidationError, match="from_medium"):
        field_nodes({"node": "a", "field_node": "pi-01", "impair": "from_satellite"})


def test_a_field_node_bound_twice_has_one_link_to_the_broker() -> None:
    same = {"delay": 0.1}
    field_nodes(
        {"node": "a", "field_node": "pi-01", "impair": same}, {"node": "b", "field_node": "pi-01", "impair": same}
    )
    with pytest.raises(ValidationError, match="pi-01 is bound more than once with different impair settings"):
        field_nodes({"node": "a", "field_node": "pi-01", "impair": same}, {"node": "b", "field_node": "pi-01"})


def test_groups_carry_conditions_under_a_group_name() -> None:
    settings = field_nodes({"node": "a", "field_node": "pi-01"}, groups={"m-02203": {"impair": {"delay": 0.5}}})
    assert settings.groups["m-02203"].impair == Impairment(delay=0.5)
    with pytest.raises(ValidationError, match="groups"):
        field_nodes({"node": "a", "field_node": "pi-01"}, groups={"a/b": {"impair": "from_medium"}})


def test_a_simulated_links_conditions_become_wall_clock_ones() -> None:
    link = Link.model_validate(
        {
            "id": "sat",
            "medium": "satellite_geo",
            "source": "centre",
            "target": "receiver",
            "outages": [{"start_s": 100, "end_s": 160}, {"start_s": 200}],  # the second never ends
        }
    )
    impairment = Impairment.of_link(link, speed=10)
    assert impairment.delay == Uniform(low=0.24, high=0.285) and impairment.bandwidth_bps == 64_000
    assert impairment.outages == [OutageWindow(start_s=10, end_s=16), OutageWindow(start_s=20, end_s=MAX_SECONDS)]
    fibre = Link.model_validate({"id": "f", "medium": "fibre", "source": "a", "target": "b", "latency_s": 0})
    assert Impairment.of_link(fibre, speed=1) == Impairment()  # no delay, no limit: nothing to impair


@pytest.mark.skipif(not hasattr(Binding, "group_name"), reason="needs group delivery's Binding.group")
def test_a_binding_without_its_own_conditions_takes_its_groups() -> None:
    settings = field_nodes(
        {"node": "a", "field_node": "pi-01", "group": "hachinohe"},
        {"node": "b", "field_node": "pi-02", "group": "hachinohe", "impair": {"delay": 0.1}},
        {"node": "c", "field_node": "pi-03", "group": "misawa"},
        groups={"hachinohe": {"impair": {"delay": 0.27}}},
    )
    assert [settings.impair_of(b) for b in settings.bindings] == [Impairment(delay=0.27), Impairment(delay=0.1), None]

"""topology.media: a scenario's own defaults for every link of a medium, generated or explicit."""

from __future__ import annotations

import yaml

from lalert_sim.model.distributions import Constant
from lalert_sim.model.loader import read_yaml
from lalert_sim.model.media import MEDIUM_DEFAULTS, Medium
from lalert_sim.montecarlo.replicate import run_batch
from lalert_sim.prepare import load_text
from tests.conftest import SCENARIOS

FLAGSHIP = SCENARIOS / "jalert_missile_drill_aomori.yaml"


def _flagship(media: dict[str, object], links: list[dict[str, object]] | None = None) -> str:
    data, _ = read_yaml(FLAGSHIP)
    data["topology"]["media"] = media
    if links is not None:
        data["topology"]["links"] = links
    return yaml.safe_dump(data)


def test_generated_and_explicit_links_take_the_scenarios_media_defaults() -> None:
    usual = load_text(FLAGSHIP.read_text(encoding="utf-8"), str(FLAGSHIP)).topology.links
    text = _flagship({"terrestrial_gov": {"loss": 0.2, "latency_s": 3}, "mca": {"loss": 0.3}})
    links = load_text(text, str(FLAGSHIP)).topology.links
    terrestrial = [link for link in links if link.medium is Medium.TERRESTRIAL_GOV]
    assert len(terrestrial) > 1 and "national/command-line" in {link.id for link in terrestrial}  # explicit too
    assert all(link.loss == 0.2 and link.latency_s == Constant(value=3.0) for link in terrestrial)
    assert all(
        link.retry.max_attempts == MEDIUM_DEFAULTS[Medium.TERRESTRIAL_GOV].retry_attempts for link in terrestrial
    )
    others = [(link.id, link.loss, link.latency_s) for link in links if link.medium is not Medium.TERRESTRIAL_GOV]
    assert others == [
        (link.id, link.loss, link.latency_s) for link in usual if link.medium is not Medium.TERRESTRIAL_GOV
    ]


def test_a_link_that_gives_the_field_keeps_its_own() -> None:
    own = {"id": "national/command-line", "medium": "terrestrial_gov", "loss": 0.01}
    text = _flagship(
        {"terrestrial_gov": {"loss": 0.2}},
        [{**own, "source": "national/launch-decision", "target": "jalert/centre"}],
    )
    links = {link.id: link for link in load_text(text, str(FLAGSHIP)).topology.links}
    assert links["national/command-line"].loss == 0.01
    assert links["jalert/ground-02"].loss == 0.2  # a generated one takes the setting


def test_a_disaster_radio_that_loses_every_broadcast_sounds_no_loudspeaker() -> None:
    # Known answer: with loss 1 on the municipal disaster radio no loudspeaker ever sounds (lost copies of a
    # broadcast are not retried), while cell broadcast is untouched.
    seeds = [(0, 11), (1, 12)]
    usual = run_batch(FLAGSHIP.read_text(encoding="utf-8"), str(FLAGSHIP), seeds)
    silent = run_batch(_flagship({"municipal_disaster_radio": {"loss": 1.0}}), str(FLAGSHIP), seeds)
    for before, after in zip(usual, silent, strict=True):
        assert before["missile-drill-1.reached_by.outdoor_loudspeaker"] > 0.05
        assert after["missile-drill-1.reached_by.outdoor_loudspeaker"] == 0.0
        assert after["missile-drill-1.unwarned_at_deadline"] > before["missile-drill-1.unwarned_at_deadline"]
        assert after["missile-drill-1.reached_by.cell_broadcast"] == before["missile-drill-1.reached_by.cell_broadcast"]

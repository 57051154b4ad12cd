"""The report page: town names instead of node ids, one colour per meaning, progress told per step,
SVG plots for print, badges and the page's language, and the sentence read aloud."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import pytest

from lalert_sim.analysis.results import ChannelShares, ResidentsReach, SmartphoneSplit, WarnedFigures
from lalert_sim.i18n import Messages, catalogue
from lalert_sim.model.media import Medium
from lalert_sim.reach.model import ATTRIBUTED
from lalert_sim.reach.parameters import AGE_BANDS
from lalert_sim.report.columns import Columns
from lalert_sim.report.files import WARNED_COLUMNS
from lalert_sim.report.places import Places
from lalert_sim.report.plots import (
    CHANNEL_COLOURS,
    COHORT_COLOURS,
    MEDIUM_COLOURS,
    meaning_colours,
    rise_window,
    time_axis,
)
from lalert_sim.report.story import story, worst_band
from lalert_sim.topology.reference import Municipality, MunicipalityTable
from tests.conftest import SCENARIOS, cli

pytest.importorskip("matplotlib")

EN, JA = Messages("en"), Messages("ja")


# Town names


def test_a_municipal_node_is_named_by_its_town_and_channel() -> None:
    places = Places()
    assert places.node("m-02206/loudspeakers", "02206", "outdoor_loudspeaker", EN) == "十和田市 outdoor loudspeakers"
    assert places.node("m-02206/loudspeakers", "02206", "outdoor_loudspeaker", JA) == "十和田市 屋外拡声子局"
    # The area comes from the id when the row has none (a node named in a failure's reason).
    assert places.node("m-02441/radio", None, None, JA) == "三戸町"


def test_a_prefecture_node_is_named_by_its_prefecture() -> None:
    assert Places().node("pref-02/tv", "02", None, JA) == "青森県"
    assert Places().area("47") == "沖縄県"


def test_a_node_without_an_area_gets_a_readable_name_from_its_id() -> None:
    places = Places()
    assert places.node("nhk/tv", None, None, EN) == "NHK TV"
    assert places.node("carrier/docomo/cbc", None, None, EN) == "NTT docomo CBC"
    assert places.node("national/launch-decision", None, None, EN) == "launch decision"
    # A prefecture's copy of a national part: its code at the end of the id.
    assert places.node("jalert/ground-17", None, None, JA) == "Jアラート 地上回線 (石川県)"
    assert places.node("jalert/ground-17", None, None, EN) == "J-Alert ground (石川県)"
    assert places.node("national/launch-decision", None, None, JA) == "発射情報の判断"


def test_the_runs_own_municipality_names_come_before_the_reference_list() -> None:
    renamed = Municipality("02206", "02", "青森県", "新十和田", "city", 40.6, 141.2, 60_000, False)
    table = MunicipalityTable.reference().replaced([renamed])
    assert Places(table=table).area("02206") == "新十和田"
    assert Places([("02206", "十和田（試験）")]).area("02206") == "十和田（試験）"
    assert Places().area("99999") == "99999"


# Colours


def test_no_colour_stands_for_two_meanings() -> None:
    colours = meaning_colours()
    seen: dict[str, str] = {}
    for meaning, colour in colours.items():
        assert colour.lower() not in seen, f"{meaning} and {seen[colour.lower()]} share {colour}"
        seen[colour.lower()] = meaning


def test_every_medium_channel_and_curve_has_its_colour() -> None:
    assert set(MEDIUM_COLOURS) == set(Medium)
    assert set(CHANNEL_COLOURS) == set(ATTRIBUTED)
    assert set(COHORT_COLOURS) <= set(WARNED_COLUMNS)


# The first minutes of the warned curves


def test_the_first_minutes_window_holds_the_rise_and_not_the_long_wait_before_it() -> None:
    times = np.arange(0, 3600, 20.0)
    overall = np.clip((times - 290) / 100, 0, 0.84)  # nobody until 290 s, most by 390 s
    start, end = rise_window(times, overall, deadline_s=600)
    assert 250 <= start < 290 and 380 <= end <= 700


def test_the_first_minutes_window_of_an_early_warning_is_seconds_long() -> None:
    times = np.arange(0, 600, 2.0)
    overall = np.clip(times / 20, 0, 0.8)
    start, end = rise_window(times, overall, deadline_s=30)
    assert start == 0 and 30 <= end <= 60


# Columns


def test_columns_read_a_file_once_and_give_numbers_with_nan_for_empty_cells(tmp_path: Path) -> None:
    path = tmp_path / "nodes.csv"
    path.write_text("alert,node,emitted_s\na,x,1.5\na,y,\nb,z,3\n", encoding="utf-8")
    columns = Columns.read(path)
    assert len(columns) == 3
    of_a = columns.of_alert("a")
    assert of_a["node"].tolist() == ["x", "y"]
    emitted = of_a.floats("emitted_s")
    assert emitted[0] == 1.5 and np.isnan(emitted[1])
    assert len(Columns.read(tmp_path / "absent.csv")) == 0


# The sentence read aloud


def _residents(
    unwarned: dict[str, float], first_via: dict[str, dict[str, float]], deadline_s: float = 600
) -> ResidentsReach:
    figures = {band: WarnedFigures({"50%": 300.0}, share) for band, share in unwarned.items()}
    shares = {group: ChannelShares(via, via) for group, via in first_via.items()}
    split = SmartphoneSplit(WarnedFigures({}, 0.1), WarnedFigures({}, 0.5))
    return ResidentsReach(1000, 1, 7.0, "weekday", deadline_s, {}, 0.2, figures, split, (), shares)


def test_the_story_names_the_worst_off_band_its_share_and_its_main_channel() -> None:
    residents = _residents(
        {"under_60": 0.12, "60s": 0.2, "70_plus": 0.41},
        {"70_plus": {"cell_broadcast": 0.1, "outdoor_loudspeaker": 0.4, "tv": 0.09}},
    )
    assert worst_band(residents) == "70_plus"
    assert story(residents, EN) == (
        "Of residents aged 70 and over, 41.0 % were still unwarned after 10 minutes. "
        "Most of those who were warned learned from outdoor loudspeakers."
    )
    assert story(residents, JA) == (
        "70歳以上の住民のうち、10分後もなお41.0 %が未伝達でした。伝達された人の多くは屋外拡声子局から知りました。"
    )


def test_the_story_picks_a_younger_band_when_it_is_worse_off_and_says_when_no_channel_has_most() -> None:
    residents = _residents(
        {"under_60": 0.3, "60s": 0.2, "70_plus": 0.1},
        {"under_60": {"cell_broadcast": 0.3, "tv": 0.25, "radio": 0.15}},
        deadline_s=30,
    )
    assert worst_band(residents) == "under_60"
    assert story(residents, EN) == (
        "Of residents aged under 60, 30.0 % were still unwarned after 30 seconds. "
        "More of those who were warned learned from emergency alert mail than from any other channel."
    )
    assert story(residents, JA) == (
        "60歳未満の住民のうち、30秒後もなお30.0 %が未伝達でした。"
        "伝達された人が最も多く知った手段は緊急速報メールでした。"
    )


def test_the_story_when_everyone_was_warned() -> None:
    residents = _residents(dict.fromkeys(AGE_BANDS, 0.0), {})
    assert story(residents, EN) == "Every resident was warned within 10 minutes."


# The page, from a real run


@pytest.fixture(scope="module")
def drill(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("drill")
    done = cli("run", SCENARIOS / "jalert_missile_drill_aomori.yaml", "--out", out, "--no-report", "-q", timeout=300)
    assert done.returncode == 0, done.stderr
    return out


def test_progress_is_told_each_step_of_the_report(drill: Path) -> None:
    from lalert_sim.report.html import build_report

    steps: list[str] = []
    path = build_report(drill, lang="en", progress=steps.append)
    assert path.is_file()
    assert steps[0] == EN("page.progress_reading") and steps[-1] == EN("page.progress_writing")
    for plot in ("page.timeline", "page.residents_warned", "page.first_learned", "page.map"):
        assert EN("page.progress_step", alert="missile-drill-1", step=EN(plot)) in steps


def test_plots_are_vectors_for_print(drill: Path) -> None:
    from lalert_sim.report.html import render_page

    page = render_page(drill, None, "en", "svg")
    svgs = re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", page)
    assert len(svgs) >= 3  # timeline, warned curves, first learned via
    assert all(b"<svg" in base64.b64decode(data)[:2000] for data in svgs)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_page_speaks_one_language_with_badges_and_town_names(drill: Path, lang: str) -> None:
    from lalert_sim.report.html import render_page

    m = Messages(lang)
    page = render_page(drill, None, lang, "png")
    assert f'<html lang="{lang}">' in page
    # The flagship misses one objective and meets the others.
    assert page.count("class='badge not-met'") == 1 and page.count("class='badge met'") == 2
    assert f">{m('page.not_met')}</span>" in page
    for heading in ("page.objectives", "page.timeline", "page.residents_warned", "page.first_learned", "page.map"):
        assert m(heading) in page
    text = re.sub(r"<[^>]+>|data:[^'\"]+", " ", page)
    keys = {k for k in catalogue() if k.startswith("page.")}
    assert not [k for k in keys if k in text], "a message key left untranslated"
    assert not re.search(r"\bm-\d{5}/", text), "a node id where a person reads"
    assert "十和田市" in text or "三戸町" in text
    if lang == "ja":
        english = [EN(k) for k in ("page.objectives", "page.timeline", "page.latest_emitters", "page.never_reached")]
        assert not [h for h in english if f">{h}<" in page]
        assert "2026年11月22日 07:00 JST" in text


@pytest.mark.parametrize(
    ("span_s", "key"),
    [(90, "page.time_after_issue_s"), (1800, "page.time_after_issue_min"), (21_600, "page.time_after_issue_h")],
)
def test_a_time_axis_is_labelled_in_the_unit_its_span_reads_in(span_s: float, key: str) -> None:
    from lalert_sim.report.plotting import pyplot

    fig, ax = pyplot().subplots()
    ax.set_xlim(0, span_s)
    time_axis(ax, span_s, JA)
    fig.canvas.draw()
    assert ax.get_xlabel() == JA(key)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert all(float(label) == int(float(label)) for label in labels if label), labels

"""Control requests become the scenario actions a drill.yaml's ``actions:`` holds (console/recording.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lalert_sim.console.recording import action_from_control
from lalert_sim.engine.actions import ActionError
from lalert_sim.model.alert_files import ALERT_FILE_MAX_BYTES


def test_issue_cancel_and_incident_keep_their_fields_with_the_time(tmp_path: Path) -> None:
    issue = action_from_control({"action": "issue", "alert": "a1"}, 12.5, tmp_path)
    assert (issue.do, issue.at_s, issue.alert) == ("issue", 12.5, "a1")
    cancel = action_from_control({"action": "cancel", "alert": "a1", "headline": "誤報"}, 3.0, tmp_path)
    assert (cancel.do, cancel.headline) == ("cancel", "誤報")
    incident = action_from_control({"action": "incident", "type": "outage", "nodes": {"ids": ["x"]}}, 1.0, tmp_path)
    assert incident.do == "incident" and incident.incident.type == "outage"
    assert incident.at_s == 1.0 and incident.incident.nodes is not None and incident.incident.nodes.ids == ["x"]


def test_the_time_of_an_action_is_the_consoles_not_the_requests(tmp_path: Path) -> None:
    issue = action_from_control({"action": "issue", "alert": "a", "at_s": 0}, 7.25, tmp_path)
    assert issue.at_s == 7.25


def test_an_uploaded_alert_file_is_kept_in_the_results_folder_under_a_safe_name(tmp_path: Path) -> None:
    up = tmp_path / "up"
    first = action_from_control({"action": "cap", "name": "../../etc/passwd", "content": "<alert/>"}, 9.0, up)
    path = Path(first.file)
    assert path.parent == up.resolve() and path.read_text() == "<alert/>"
    assert "/" not in path.name and path.name.startswith("cap-1-")
    second = action_from_control({"action": "cap", "name": "../../etc/passwd", "content": "<b/>"}, 9.5, up)
    assert Path(second.file).name.startswith("cap-2-") and path.read_text() == "<alert/>"  # never over the first
    assert not (tmp_path / "etc").exists()


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({"action": "issue"}, "alert"),
        ({"action": "incident", "type": "meteor"}, "meteor"),
        ({"action": "cap", "name": "x.xml"}, "content"),
        ({"action": "cap", "name": "x.xml", "content": "x" * (ALERT_FILE_MAX_BYTES + 1)}, "over"),
        ({"action": "fly"}, "fly|do"),
        ([1, 2], "JSON object"),
    ],
)
def test_requests_that_are_no_scenario_action_are_refused(tmp_path: Path, body: object, said: str) -> None:
    with pytest.raises(ActionError, match=said):
        action_from_control(body, 1.0, tmp_path)  # type: ignore[arg-type]

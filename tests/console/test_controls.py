"""Control requests become scenario actions' fields (what a drill.yaml's ``actions:`` holds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lalert_sim.console.controls import MAX_UPLOAD_BYTES, action_fields, upload_name


def test_issue_update_cancel_and_incident_keep_their_fields_with_the_time(tmp_path: Path) -> None:
    assert action_fields({"action": "issue", "alert": "a1"}, 12.5, tmp_path) == {
        "at_s": 12.5,
        "do": "issue",
        "alert": "a1",
    }
    cancel = action_fields({"action": "cancel", "alert": "a1", "headline": "誤報"}, 3.0, tmp_path)
    assert cancel == {"at_s": 3.0, "do": "cancel", "alert": "a1", "headline": "誤報"}
    incident = {"type": "node_outage", "nodes": ["x"], "start_s": 0}
    assert action_fields({"action": "incident", "incident": incident}, 1.0, tmp_path)["incident"] == incident


def test_an_uploaded_alert_file_is_written_and_named_by_its_path(tmp_path: Path) -> None:
    fields = action_fields({"action": "cap", "name": "../../etc/passwd", "content": "<alert/>"}, 9.0, tmp_path / "up")
    path = Path(fields["file"])
    assert path.parent == (tmp_path / "up").resolve() and path.read_text() == "<alert/>"
    assert ".." not in path.name and path.name.startswith("001-")
    second = action_fields({"action": "cap", "name": "../../etc/passwd", "content": "<b/>"}, 9.5, tmp_path / "up")
    assert Path(second["file"]).name.startswith("002-")  # never over the first


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({"action": "pause"}, "steers the clock"),
        ({"action": "seek", "sim_s": 1}, "steers the clock"),
        ({"action": "issue", "alert": "a", "at_s": 0}, r"unknown field\(s\) at_s"),
        ({"action": "cap", "name": "x.xml"}, "content must be"),
        ({"action": "cap", "content": "x" * (MAX_UPLOAD_BYTES + 1)}, "at most"),
        ({"action": "fly"}, "unknown action"),
    ],
)
def test_requests_that_are_no_scenario_action_are_refused(tmp_path: Path, body: dict, said: str) -> None:
    with pytest.raises(ValueError, match=said):
        action_fields(body, 1.0, tmp_path)


def test_upload_names_keep_only_safe_letters() -> None:
    assert upload_name("warn ing;rm -rf.xml", 3) == "003-warn_ing_rm_-rf.xml"
    assert upload_name(None, 1) == "001-alert.xml" and upload_name("...", 2) == "002-alert.xml"

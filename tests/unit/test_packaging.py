"""The wheel a user installs holds the package and its data, and nothing else of the repository."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT


def _build_wheel(tmp_path: Path) -> zipfile.ZipFile:
    """A real (not editable) wheel built from the tracked files, as pip builds it for a user."""
    source = tmp_path / "source"
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=30
    ).stdout.split(b"\0")
    for name in filter(None, tracked):
        path = Path(name.decode())
        if (ROOT / path).is_file():
            (source / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / path, source / path)
    out = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = out.glob("lalert_sim-*.whl")
    return zipfile.ZipFile(wheel)


def test_wheel_installs_only_the_top_level_package_with_its_data(tmp_path: Path) -> None:
    names = _build_wheel(tmp_path).namelist()
    top_level = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top_level == {"lalert_sim"}
    packaged = set(names)
    jma = [
        f"lalert_sim/data/jma/{name}" for name in ("jmx.xsd", "jmx_mete.xsd", "tsunami_regions.csv", "eew_regions.csv")
    ]
    for data in (
        "lalert_sim/data/municipalities.csv",
        "lalert_sim/data/CAP-v1.2.xsd",
        "lalert_sim/data/SOURCES.md",
        *jma,
    ):
        assert data in packaged
    package_dirs = {p.parent.relative_to(ROOT).as_posix() for p in (ROOT / "lalert_sim").rglob("__init__.py")}
    assert {f"{d}/__init__.py" for d in package_dirs} <= packaged


def test_package_lives_at_the_repository_top_level() -> None:
    assert (ROOT / "lalert_sim" / "__init__.py").is_file()
    assert not (ROOT / "src").exists()

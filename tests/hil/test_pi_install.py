"""hardware/provision-pi.sh installs a node into a scratch root, and the agent started as
lalert-node.service starts it (its User, Group and SupplementaryGroups, through setpriv) reads its
configuration and connects to a broker over mutual TLS; the unit's writable paths are the node's.

Switching users needs root (CI runs the tests as root): without it the test is skipped, and it
fails under CI=true. The script creates the service's user and groups on this system, as on a Pi.
"""

from __future__ import annotations

import configparser
import grp
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lalert_sim.hil.agent import read_events
from lalert_sim.hil.node_config import load_node_config
from tests.conftest import ROOT as REPOSITORY
from tests.hil.tls_support import provisioned, running_broker

SCRIPT = REPOSITORY / "hardware" / "provision-pi.sh"
UNIT = "etc/systemd/system/lalert-node.service"
NODE = "pi-01"
CONNECT_S = 30.0  # start-up of a Python process and the TLS handshake, on a loaded machine


@pytest.fixture
def scratch_root() -> Iterator[Path]:
    """A folder the service user can walk into (pytest's own tmp folders are private to root)."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None or shutil.which("unshare") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI runs the tests as root with util-linux (setpriv, unshare)")
        pytest.skip("installing a node and switching to its user needs root, setpriv and unshare")
    root = Path(tempfile.mkdtemp(prefix="lalert-pi-root-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root)


def unit_settings(path: Path) -> dict[str, str]:
    """The [Service] section of a systemd unit."""
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(path.read_text())
    return dict(parser["Service"])


def service_groups(service: dict[str, str]) -> tuple[int, int, list[int]]:
    """(uid, gid, groups) as systemd sets them: Group, the groups listing User as a member
    (getgrouplist, as initgroups does) and SupplementaryGroups."""
    user = pwd.getpwnam(service["User"])
    gid = grp.getgrnam(service["Group"]).gr_gid if "Group" in service else user.pw_gid
    extra = [grp.getgrnam(name).gr_gid for name in service.get("SupplementaryGroups", "").split()]
    return user.pw_uid, gid, sorted(set(os.getgrouplist(user.pw_name, gid)) | set(extra))


def reachable_prefix(paths: list[Path], scratch: Path) -> str:
    """Shell commands (in a private mount namespace) making ``paths`` reachable by any user: a
    folder on their way that others may not enter (here /root, where the test's Python lives) is
    covered by an open tmpfs holding just the entries on those paths, bound from the original."""
    blocked: dict[Path, set[str]] = {}
    for path in paths:
        for parent in reversed(path.parents):
            if parent != Path("/") and not parent.stat().st_mode & stat.S_IXOTH:
                blocked.setdefault(parent, set()).add(path.relative_to(parent).parts[0])
                break
    commands = []
    for index, (folder, entries) in enumerate(blocked.items()):
        hidden = scratch / f"hidden-{index}"
        commands += [
            f"mkdir -p {hidden}",
            f"mount --bind {folder} {hidden}",
            f"mount -t tmpfs -o mode=755 tmpfs {folder}",
        ]
        commands += [f"mkdir -p {folder / e} && mount --bind {hidden / e} {folder / e}" for e in sorted(entries)]
    return " && ".join(commands)


def start_as_service(root: Path, service: dict[str, str], scratch: Path) -> subprocess.Popen[bytes]:
    """The unit's ExecStart as its User with its groups (no capabilities left, NoNewPrivileges as the
    unit says), the test's code importable."""
    uid, gid, groups = service_groups(service)
    python = Path(os.path.realpath(sys.executable))
    prefix = reachable_prefix(
        [python, Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), REPOSITORY], scratch
    )
    no_new_privileges = " --no-new-privs" if service.get("NoNewPrivileges") == "true" else ""
    command = (
        f"setpriv --reuid={uid} --regid={gid} --groups={','.join(map(str, groups))} --inh-caps=-all{no_new_privileges} "
        f"--reset-env -- env PYTHONPATH={REPOSITORY} {service['ExecStart']}"
    )
    log = (scratch / "agent.log").open("wb")
    shell = f"{prefix} && exec {command}" if prefix else f"exec {command}"
    unshare = ["unshare", "--mount", "--propagation", "private"] if prefix else []  # only to open a way in
    process = subprocess.Popen(
        [*unshare, "sh", "-c", shell], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    log.close()
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.kill(process.pid, 15)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, 9)
            process.wait()


def install(root: Path, tmp_path: Path) -> tuple[Path, object]:
    """Provision one node for mutual TLS and install it under ``root`` with the script; the provisioning."""
    done = provisioned(tmp_path / "field", [NODE], mutual=True)
    installed = subprocess.run(
        ["bash", str(SCRIPT), NODE],
        cwd=tmp_path / "field" / "nodes",
        env={"PATH": os.environ["PATH"], "ROOT": str(root), "VENV": sys.prefix},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert installed.returncode == 0, installed.stderr
    return root / "etc" / "lalert-node" / "node.toml", done


def test_the_installed_service_reads_its_configuration_and_connects(scratch_root: Path, tmp_path: Path) -> None:
    config_path, done = install(scratch_root, tmp_path)
    service = unit_settings(scratch_root / UNIT)
    # The configuration is private to root and the service's group, as the script promises.
    for path in [config_path.parent, *config_path.parent.iterdir()]:
        info = path.stat()
        assert (pwd.getpwuid(info.st_uid).pw_name, grp.getgrgid(info.st_gid).gr_name) == ("root", "lalert"), path
        assert stat.S_IMODE(info.st_mode) == (0o750 if path.is_dir() else 0o640), path
    assert {p.name for p in config_path.parent.iterdir()} == {"node.toml", "ca.pem", "client.crt", "client.key"}
    # The sandbox: what the node writes (its state_dir) is the unit's StateDirectory and among its
    # ReadWritePaths (ProtectSystem=strict makes everything else read-only), and owned by its user.
    config = load_node_config(config_path)
    state = scratch_root / "var" / "lib" / service["StateDirectory"]
    assert config.state_dir == state and str(state) in service["ReadWritePaths"].split()
    assert pwd.getpwuid(state.stat().st_uid).pw_name == service["User"]
    assert service["ProtectSystem"] == "strict" and service["ProtectHome"] == "true"
    executable = Path(service["ExecStart"].split()[0])
    assert not executable.is_relative_to("/home") and not config_path.is_relative_to("/home")  # ProtectHome

    with running_broker(done, [NODE]):  # type: ignore[arg-type]
        process = start_as_service(scratch_root, service, tmp_path)
        try:
            deadline = time.monotonic() + CONNECT_S
            while time.monotonic() < deadline and process.poll() is None:
                if any(e["event"] == "connected" for e in read_events(state)):
                    break
                time.sleep(0.2)
            log = (tmp_path / "agent.log").read_text(errors="replace")
            assert any(e["event"] == "connected" for e in read_events(state)), log[-2000:]
        finally:
            stop(process)
    written = list(state.iterdir())
    assert written and all(pwd.getpwuid(p.stat().st_uid).pw_name == service["User"] for p in written)


def test_the_old_unit_could_not_read_its_configuration(scratch_root: Path, tmp_path: Path) -> None:
    """The same install run as the unit used to (Group=gpio, no SupplementaryGroups) fails with
    permission denied: what the fix is for, and proof the test above can fail."""
    config_path, _ = install(scratch_root, tmp_path)
    service = unit_settings(scratch_root / UNIT)
    old = {key: value for key, value in service.items() if key != "SupplementaryGroups"} | {"Group": "gpio"}
    assert grp.getgrnam("lalert").gr_gid not in service_groups(old)[2]
    process = start_as_service(scratch_root, old, tmp_path)
    try:
        process.wait(CONNECT_S)
    finally:
        stop(process)
    log = (tmp_path / "agent.log").read_text(errors="replace")
    assert process.returncode == 2 and "permission denied" in log.lower(), log[-2000:]


def test_without_root_the_script_installs_files_and_touches_no_users(scratch_root: Path, tmp_path: Path) -> None:
    """Run as nobody: the files land under ROOT owned by that user, with the same modes, and no
    user, group or ownership change is tried (which would fail)."""
    provisioned(tmp_path / "field", [NODE], mutual=True)
    nodes = scratch_root / "from"
    shutil.copytree(tmp_path / "field" / "nodes", nodes)
    target = scratch_root / "target"
    target.mkdir()
    nobody = pwd.getpwnam("nobody")
    for path in [nodes, *nodes.rglob("*"), target]:
        os.chown(path, nobody.pw_uid, nobody.pw_gid)
    installed = subprocess.run(
        [
            "setpriv",
            f"--reuid={nobody.pw_uid}",
            f"--regid={nobody.pw_gid}",
            "--clear-groups",
            "--",
            "bash",
            str(SCRIPT),
            NODE,
        ],
        cwd=nodes,
        env={"PATH": os.environ["PATH"], "ROOT": str(target), "VENV": sys.prefix},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert installed.returncode == 0, installed.stderr
    config = target / "etc" / "lalert-node" / "node.toml"
    assert config.stat().st_uid == nobody.pw_uid and stat.S_IMODE(config.stat().st_mode) == 0o640
    assert f'state_dir = "{target}/var/lib/lalert-node"' in config.read_text()
    assert (target / UNIT).exists() and os.path.realpath(target / "opt" / "lalert-node" / "venv") == os.path.realpath(
        sys.prefix
    )

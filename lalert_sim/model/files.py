"""Reading the files an input names: regular files only, bounded in size, inside the scenario's folder.

A FIFO, a device (``/dev/zero``) or a directory is refused before a byte is read,
so no input can make a command hang or read without end; a path that leaves the
scenario's folder is refused unless the user allows it (``--allow-outside-paths``).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from lalert_sim.errors import Problem, ScenarioError, shown

KIB = 1024
MIB = 1024 * KIB
SCENARIO_MAX_BYTES = 256 * KIB
"""Largest scenario file (YAML) read; the shipped ones are under 16 KiB."""
CAP_MAX_BYTES = 1 * MIB
"""Largest CAP 1.2 file read; real alerts are a few KiB."""
TABLE_MAX_BYTES = 4 * MIB
"""Largest municipality table (CSV) read; a row for every municipality of Japan is about 150 KiB."""
MAX_PATH_CHARS = 4096
"""Longest path a scenario may name."""
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)


def read_bounded(path: Path, limit_bytes: int, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``limit_bytes``; ScenarioError naming the file otherwise.

    The file is opened without blocking and checked with ``fstat`` before any read,
    so what is checked is what is read.
    """
    where = str(path)
    try:
        descriptor = os.open(path, _READ_FLAGS)
    except FileNotFoundError:
        raise ScenarioError([Problem(f"{what} not found", file=where)]) from None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a usable path"
        raise ScenarioError([Problem(f"cannot read {what}: {reason}", file=where)]) from None
    try:
        return _read_regular(descriptor, limit_bytes, what, where)
    finally:
        os.close(descriptor)


def _read_regular(descriptor: int, limit_bytes: int, what: str, where: str) -> bytes:
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file (a pipe, device or socket)"
        raise ScenarioError([Problem(f"cannot read {what}: {kind}; give a regular file", file=where)])
    too_big = Problem(f"cannot read {what}: larger than the limit of {limit_bytes // KIB} KiB", file=where)
    if info.st_size > limit_bytes:
        raise ScenarioError([too_big])
    chunks: list[bytes] = []
    size = 0
    while size <= limit_bytes:  # st_size may lie (files under /proc say 0): the read itself is bounded
        try:
            chunk = os.read(descriptor, limit_bytes + 1 - size)
        except OSError as exc:
            raise ScenarioError([Problem(f"cannot read {what}: {exc.strerror or 'read failed'}", file=where)]) from None
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
    raise ScenarioError([too_big])


def referenced_path(name: str, base: Path | None, allow_outside: bool) -> Path:
    """The file a scenario names, relative to the scenario's folder ``base`` (none: the working folder).

    ValueError when it lies outside that folder (after following links) and ``allow_outside`` is false.
    """
    if len(name) > MAX_PATH_CHARS or "\0" in name:
        raise ValueError(f"not a usable path: at most {MAX_PATH_CHARS} characters and no NUL character")
    folder = base if base is not None else Path.cwd()
    path = Path(name)
    if not path.is_absolute():
        path = folder / path
    if allow_outside:
        return path
    try:
        inside = path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError, ValueError):  # a link loop or an unusable name: refuse it
        inside = False
    if not inside:
        raise ValueError(
            f"{shown(name, 80)} lies outside the scenario's folder; move the file beside the scenario "
            "or pass --allow-outside-paths"
        )
    return path

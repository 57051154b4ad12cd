"""Results folders: written beside ``--out`` and moved into place whole, so none is ever half-written or mixed.

A results folder carries ``.lalert-sim.json`` naming the command that wrote it;
only such a folder (or an empty one) is replaced by a later run. A resumable run
(a sweep) writes into ``.OUT.partial`` beside ``--out``, which outlives a crash
or a kill so that ``--resume`` finds the finished batches there.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from lalert_sim.atomic import share
from lalert_sim.errors import LalertError

MANIFEST = ".lalert-sim.json"


class InvalidInput(LalertError, ValueError):
    """An input the command cannot use as given (exit code 2); the message says which and how to fix it."""


def is_results_folder(folder: Path) -> bool:
    """True when lalert-sim wrote the folder (it carries the manifest)."""
    return (folder / MANIFEST).is_file()


def check_out(out: Path) -> None:
    """Refuse an ``--out`` a run must not replace: a file, or a folder of files lalert-sim did not write."""
    if out.exists() and not out.is_dir():
        raise InvalidInput(f"--out {out}: this is a file, not a folder; give a folder path")
    if out.is_dir() and not is_results_folder(out) and any(out.iterdir()):
        raise InvalidInput(
            f"--out {out}: this folder holds files lalert-sim did not write (it has no {MANIFEST}); "
            "it is left as it is: give a new or empty folder"
        )


def partial_folder(out: Path) -> Path:
    """Where a resumable run into ``out`` keeps its work until it completes."""
    return out.parent / f".{out.name}.partial"


@contextmanager
def results_folder(out: Path, command: str, resumable: bool = False, resume: bool = False) -> Iterator[Path]:
    """A new folder to write a run's results into; it replaces ``out`` as a whole when the block succeeds.

    ``resumable``: the folder is ``partial_folder(out)`` and is kept when the block fails,
    reused when ``resume`` and started afresh otherwise. A failure says what was kept.
    """
    check_out(out)
    staging = _staging(out, resumable, resume)
    try:
        _write_manifest(staging, command)
        yield staging
        check_out(out)  # someone may have filled the folder meanwhile
        _replace(out, staging)
    except BaseException as exc:
        if resumable and _holds_work(staging):
            exc.add_note(f"finished work is kept in {staging}: run the same command with --resume to go on")
        else:
            shutil.rmtree(staging, ignore_errors=True)
            exc.add_note(f"nothing was written: {out} is as it was")
        raise


def _holds_work(folder: Path) -> bool:
    return any(path.is_file() and path.name != MANIFEST for path in folder.rglob("*"))


def _staging(out: Path, resumable: bool, resume: bool) -> Path:
    try:
        return _new_staging(out, resumable, resume)
    except OSError as exc:
        where = str(out.parent.resolve())
        raise OSError(exc.errno, f"cannot write results here ({exc.strerror}); choose another --out", where) from exc


def _new_staging(out: Path, resumable: bool, resume: bool) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    if not resumable:
        staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp"))
        share(staging, 0o777)  # results are for sharing
        return staging
    staging = partial_folder(out)
    if staging.exists() and not resume:
        if not staging.is_dir() or not (is_results_folder(staging) or not any(staging.iterdir())):
            raise InvalidInput(f"{staging}: lalert-sim keeps unfinished work here, but did not write this; move it")
        shutil.rmtree(staging)
    staging.mkdir(exist_ok=True)
    return staging


def _write_manifest(folder: Path, command: str) -> None:
    try:
        written_by = f"lalert-sim {version('lalert-sim')}"
    except PackageNotFoundError:
        written_by = "lalert-sim"
    manifest = {"written_by": written_by, "command": command}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def _replace(out: Path, staging: Path) -> None:
    """Move ``staging`` to ``out``; an earlier results folder there goes as a whole."""
    if not out.exists():
        os.replace(staging, out)
        return
    retired = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".old"))
    os.replace(out, retired / out.name)
    os.replace(staging, out)
    shutil.rmtree(retired, ignore_errors=True)

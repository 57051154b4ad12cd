"""Results folders: written beside ``--out`` and moved into place whole, so none is ever half-written or mixed.

A results folder carries ``.lalert-sim.json`` naming the command that wrote it;
only such a folder (or an empty one) is replaced by a later run. A resumable run
(a sweep) writes into ``.OUT.partial`` beside ``--out``, which outlives a crash
or a kill so that ``--resume`` finds the finished batches there.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from lalert_sim.atomic import share
from lalert_sim.errors import InvalidInput, LalertError

MANIFEST = ".lalert-sim.json"


# What ``run`` wrote before folders carried the manifest: such a folder holds nothing else.
_EARLIER_RUN = frozenset(
    {"summary.json", "trace.csv", "trace.parquet", "nodes.csv", "warned.csv", "reach_municipalities.csv"}
    | {"outages.csv", "requests.csv", "report.html", "alerts"}
)


def is_results_folder(folder: Path) -> bool:
    """True when lalert-sim wrote the folder: it carries the manifest, or it is an earlier ``run``'s and only that."""
    if (folder / MANIFEST).is_file():
        return True
    names = {entry.name for entry in folder.iterdir()}
    return "summary.json" in names and names <= _EARLIER_RUN


def check_out(out: Path, inputs: Sequence[Path] = ()) -> None:
    """Refuse an ``--out`` a run must not replace: a file, the current folder, a folder lalert-sim did not write,
    one that holds the run's own inputs or another run's results folder."""
    if Path.cwd().resolve().is_relative_to(out.resolve()):
        raise InvalidInput(f"--out {out}: this is the current folder (or holds it); give a folder inside it")
    for given in inputs:
        if given.resolve().is_relative_to(out.resolve()):
            raise InvalidInput(f"--out {out}: it holds {given}, an input of this run; give another folder")
    if out.exists() and not out.is_dir():
        raise InvalidInput(f"--out {out}: this is a file, not a folder; give a folder path")
    if out.is_dir() and not is_results_folder(out) and any(out.iterdir()):
        raise InvalidInput(
            f"--out {out}: this folder holds files lalert-sim did not write (it has no {MANIFEST}); "
            "it is left as it is: give a new or empty folder"
        )
    if out.is_dir() and any((inner / MANIFEST).is_file() for inner in out.iterdir() if inner.is_dir()):
        raise InvalidInput(f"--out {out}: it holds another run's results folder; give another folder")


def partial_folder(out: Path) -> Path:
    """Where a resumable run into ``out`` keeps its work until it completes."""
    return out.parent / f".{out.name}.partial"


@contextmanager
def results_folder(
    out: Path,
    command: str,
    inputs: Sequence[Path] = (),
    resumable: bool = False,
    resume: bool = False,
    say: Callable[[str], object] = print,
) -> Iterator[Path]:
    """A new folder to write a run's results into; it replaces ``out`` as a whole when the block succeeds.

    ``inputs``: the scenario files, named in the manifest. ``resumable``: the folder is
    ``partial_folder(out)`` and is kept when the block fails; it is reused when ``resume``
    and it holds work of the same command on the same inputs, else started afresh (and
    ``say`` tells why). A failure says what was kept.
    """
    check_out(out, inputs)
    manifest = _manifest(command, inputs)
    with _alone(out) if resumable else nullcontext():
        staging = _staging(out, manifest, resumable, resume, say)
        try:
            (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
            yield staging
            check_out(out, inputs)  # someone may have filled the folder meanwhile
            _replace(out, staging)
        except BaseException as exc:
            if resumable and _holds_work(staging):
                exc.add_note(f"finished work is kept in {staging}: run the same command with --resume to go on")
            else:
                shutil.rmtree(staging, ignore_errors=True)
                exc.add_note(f"nothing was written: {out} is as it was")
            raise


@contextmanager
def _alone(out: Path) -> Iterator[None]:
    """One resumable run into ``out`` at a time: two would share, and clear, each other's unfinished work."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        handle = open(out.parent / f".{out.name}.lock", "a", encoding="utf-8")
    except OSError as exc:
        raise _cannot_write(out, exc) from exc
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LalertError(
                f"--out {out}: another lalert-sim is writing there now; wait for it or choose another --out"
            ) from None
        yield  # the lock file stays: removing it would let two runs lock two different files


def _holds_work(folder: Path) -> bool:
    return any(path.is_file() and path.name != MANIFEST for path in folder.rglob("*"))


def _staging(
    out: Path, manifest: dict[str, object], resumable: bool, resume: bool, say: Callable[[str], object]
) -> Path:
    try:
        return _new_staging(out, manifest, resumable, resume, say)
    except OSError as exc:
        raise _cannot_write(out, exc) from exc


def _cannot_write(out: Path, exc: OSError) -> OSError:
    where = str(out.parent.resolve())
    return OSError(exc.errno, f"cannot write results here ({exc.strerror}); choose another --out", where)


def _new_staging(
    out: Path, manifest: dict[str, object], resumable: bool, resume: bool, say: Callable[[str], object]
) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    if not resumable:
        staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp"))
        share(staging, 0o777)  # results are for sharing
        return staging
    staging = partial_folder(out)
    if staging.exists():
        if not staging.is_dir() or not (is_results_folder(staging) or not any(staging.iterdir())):
            raise InvalidInput(f"{staging}: lalert-sim keeps unfinished work here, but did not write this; move it")
        if resume and _read_manifest(staging) not in (manifest, None):
            say(f"{staging}: unfinished work of another command or other scenarios: started afresh")
            shutil.rmtree(staging)
        elif not resume:
            shutil.rmtree(staging)
    staging.mkdir(exist_ok=True)
    return staging


def _manifest(command: str, inputs: Sequence[Path]) -> dict[str, object]:
    try:
        written_by = f"lalert-sim {version('lalert-sim')}"
    except PackageNotFoundError:
        written_by = "lalert-sim"
    return {"written_by": written_by, "command": command, "inputs": [str(path) for path in inputs]}


def _read_manifest(folder: Path) -> object:
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # an empty folder, or one killed before its manifest was whole


def _replace(out: Path, staging: Path) -> None:
    """Move ``staging`` to ``out``; an earlier results folder there goes as a whole."""
    if not out.exists():
        os.replace(staging, out)
        return
    retired = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".old"))
    os.replace(out, retired / out.name)
    os.replace(staging, out)
    shutil.rmtree(retired, ignore_errors=True)

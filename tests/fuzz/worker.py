"""A fuzz worker: a child process that takes jobs over a pipe, builds each input and feeds it to its
target under the campaign's limits (wall time per input, address space), and answers with the outcome.

Run as ``python -m tests.fuzz.worker JOB_FD RESULT_FD``; stdin is never read (an input may name /dev/stdin).
"""

from __future__ import annotations

import os
import pickle
import resource
import shutil
import signal
import struct
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import BinaryIO

LIMIT_S = 5.0
MEMORY_LIMIT_BYTES = 1 << 30
_HEADER = struct.Struct("!I")
LAST_STATUSES = ("timeout", "memory")  # after these the worker exits: the input may have left it in a bad state


class OverTime(BaseException):
    """Raised in the worker when an input has run for ``LIMIT_S`` (a BaseException: no ``except Exception``
    in the code under test may swallow it)."""


@dataclass(frozen=True)
class Job:
    """Input ``index`` of ``kind`` in the campaign seeded ``seed``."""

    kind: str
    seed: int
    index: int


@dataclass(frozen=True)
class Outcome:
    """What became of one job: ``status`` is ok, traceback, timeout, memory (or harness: the input could not be
    built); the input comes back unless ok."""

    job: Job
    status: str
    verdict: str
    elapsed_s: float
    peak_rss_bytes: int
    detail: str = ""
    data: bytes = b""
    origin: str = ""
    options: dict[str, str] | None = None


def send(stream: BinaryIO, message: object) -> None:
    """One framed message (both ends are this harness's own processes, so pickle is fine)."""
    body = pickle.dumps(message)
    stream.write(_HEADER.pack(len(body)) + body)
    stream.flush()


def receive(stream: BinaryIO) -> object | None:
    """The next framed message; None when the other end has gone."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    return pickle.loads(stream.read(size))


def peak_rss_bytes() -> int:
    """The most memory this process has held so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _over_time(signum: int, frame: FrameType | None) -> None:
    raise OverTime(f"over {LIMIT_S:g} s")


def run_job(job: Job, scratch: Path) -> Outcome:
    """Build and run one input; every exception becomes the outcome's status and traceback."""
    from tests.fuzz.inputs import Kind, make_input
    from tests.fuzz.targets import run_target

    kind = Kind(job.kind)
    try:
        item = make_input(kind, job.seed, job.index)
    except Exception:  # a bug of the harness, not of the project: said so, and the campaign goes on
        return Outcome(job, "harness", "", 0.0, peak_rss_bytes(), traceback.format_exc())
    workdir = Path(tempfile.mkdtemp(dir=scratch))
    started = time.perf_counter()
    status, verdict, detail = "ok", "", ""
    signal.setitimer(signal.ITIMER_REAL, LIMIT_S)
    try:
        try:
            verdict = run_target(kind, item, workdir)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)  # before the handlers: formatting a traceback takes time too
    except OverTime:
        status, detail = "timeout", traceback.format_exc()
    except MemoryError:
        status, detail = "memory", traceback.format_exc()
    except Exception:
        status, detail = "traceback", traceback.format_exc()
    elapsed_s = time.perf_counter() - started
    shutil.rmtree(workdir, ignore_errors=True)
    if status == "ok":
        return Outcome(job, status, verdict, elapsed_s, peak_rss_bytes())
    return Outcome(job, status, verdict, elapsed_s, peak_rss_bytes(), detail, item.data, item.origin, item.options)


def main(job_fd: int, result_fd: int) -> None:
    """Serve jobs until the pipe closes; exit after an input that ran out of time or memory (its state is suspect)."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    signal.signal(signal.SIGALRM, _over_time)
    import tests.fuzz.targets  # noqa: F401  # the imports before the first input, not inside its time

    jobs = os.fdopen(job_fd, "rb")
    results = os.fdopen(result_fd, "wb")
    scratch = Path(tempfile.mkdtemp(prefix="lalert-fuzz-"))
    try:
        while (job := receive(jobs)) is not None:
            assert isinstance(job, Job)
            outcome = run_job(job, scratch)
            send(results, outcome)
            if outcome.status in LAST_STATUSES:
                break
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    os._exit(0)  # at once: threads or handlers an input left behind must not hold the process


if __name__ == "__main__":
    from tests.fuzz import worker  # this module under its own name, so what it pickles unpickles in the campaign

    worker.main(int(sys.argv[1]), int(sys.argv[2]))

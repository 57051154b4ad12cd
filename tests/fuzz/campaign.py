"""The fuzz campaign: a few worker processes, each input under its limits, findings saved and summed up.

A finding is an input that raised anything but the project's documented errors, ran over 5 s or over
1 GiB, or killed its worker. Each is saved as ``KIND-N.bin`` (the input) and ``KIND-N.txt`` (how to
replay it, its traceback); findings with the same signature (kind, status, exception, where it was
raised) are counted together and the first few of each saved.
"""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from tests.fuzz.inputs import ROOT, Kind, make_input
from tests.fuzz.worker import LAST_STATUSES, LIMIT_S, Job, Outcome, receive, send

GRACE_S = 3.0  # past the worker's own alarm, for code that never returns to Python (then the worker is killed)
SAVED_PER_SIGNATURE = 5
PROGRESS_EVERY = 1000  # inputs between two progress lines
_QUOTED = re.compile(r"'[^']*('|$)|\"[^\"]*(\"|$)")  # the input's own value in a message (maybe cut short)
_NUMBERS = re.compile(r"\d+")  # line, column and sizes in a message: the same failure at another place
_FRAME = re.compile(r'File "([^"]+)", line (\d+), in (\S+)')


@dataclass
class Findings:
    """What the campaign found, by signature, and the numbers for its summary line."""

    folder: Path
    report: Callable[[str], None] = print
    inputs: Counter[Kind] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    verdicts: Counter[str] = field(default_factory=Counter)
    signatures: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    peak_rss_bytes: int = 0
    slowest_s: float = 0.0
    slowest: str = ""
    started: float = field(default_factory=time.monotonic)
    stopped_early: bool = False

    @property
    def failures(self) -> int:
        """Inputs that broke the documented behaviour (anything but ok)."""
        return sum(n for status, n in self.statuses.items() if status != "ok")

    def record(self, outcome: Outcome) -> None:
        """Count one outcome; save and print it if it is a finding."""
        kind = Kind(outcome.job.kind)
        self.inputs[kind] += 1
        self.statuses[outcome.status] += 1
        self.verdicts[f"{kind.value} {outcome.verdict or outcome.status}"] += 1
        self.peak_rss_bytes = max(self.peak_rss_bytes, outcome.peak_rss_bytes)
        if outcome.elapsed_s > self.slowest_s:
            self.slowest_s, self.slowest = outcome.elapsed_s, f"{kind.value} #{outcome.job.index}"
        if outcome.status != "ok":
            self._save(outcome)
        done = sum(self.inputs.values())
        if done % PROGRESS_EVERY == 0:
            self.report(f"... {done} inputs, {self.failures} findings, {time.monotonic() - self.started:.0f} s")

    def _save(self, outcome: Outcome) -> None:
        signature = signature_of(outcome)
        self.signatures[signature] += 1
        count = self.signatures[signature]
        if count > SAVED_PER_SIGNATURE:
            return
        job = outcome.job
        name = job.kind.replace(".", "-")  # node.toml-1.bin would lose its suffix
        number = sum(1 for _ in self.folder.glob(f"{name}-*.bin")) + 1
        stem = self.folder / f"{name}-{number}"
        stem.with_suffix(".bin").write_bytes(outcome.data)
        replay = f"python -m tests.fuzz --replay {job.kind} {job.seed} {job.index}"
        stem.with_suffix(".txt").write_text(
            f"{signature}\nfrom: {outcome.origin} {outcome.options or ''}\nreplay: {replay}\n"
            f"elapsed: {outcome.elapsed_s:.2f} s\n\n{outcome.detail}",
            encoding="utf-8",
            errors="backslashreplace",
        )
        self.examples.setdefault(signature, str(stem.with_suffix(".bin")))
        if count == 1:
            tail = "\n".join(outcome.detail.strip().splitlines()[-6:])
            self.report(f"FINDING {stem.name}.bin: {signature}\n  replay: {replay}\n{_indent(tail)}")
        else:
            self.report(f"finding {stem.name}.bin: {signature} (again)")

    def summary(self) -> str:
        """The campaign's summary line."""
        names = {Kind.SCENARIO: "scenarios", Kind.CAP: "cap", Kind.NODE_TOML: "node.toml", Kind.MQTT: "mqtt"}
        counts = ", ".join(f"{names[k]} {self.inputs[k]}" for k in Kind)
        crashed = f", {self.statuses['crash']} crashed workers" if self.statuses["crash"] else ""
        crashed += f", {self.statuses['harness']} inputs not built (harness)" if self.statuses["harness"] else ""
        stopped = " (stopped early)" if self.stopped_early else ""
        return (
            f"fuzz{stopped}: {counts} — {self.statuses['traceback']} tracebacks, {self.statuses['timeout']} over 5 s, "
            f"{self.statuses['memory']} over 1 GiB{crashed}; peak {self.peak_rss_bytes / 2**20:.0f} MiB; "
            f"slowest {self.slowest_s:.1f} s ({self.slowest})"
        )

    def table(self) -> str:
        """Each distinct finding with its count and an example input."""
        rows = [f"{n:6d}  {s}\n        e.g. {self.examples.get(s, '')}" for s, n in self.signatures.most_common()]
        return "\n".join(["distinct findings:", *rows]) if rows else "no findings"


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def signature_of(outcome: Outcome) -> str:
    """Kind, status, exception (quoted values and numbers left out) and the deepest project frame: inputs that
    fail the same way share it."""
    lines = outcome.detail.strip().splitlines()
    last_frame = max((i for i, line in enumerate(lines) if line.startswith("  File ")), default=-1)
    header = next((line for line in lines[last_frame + 1 :] if line and not line[0].isspace()), outcome.status)
    exception = _NUMBERS.sub("N", _QUOTED.sub("'…'", header))[:80]
    frames = _FRAME.findall(outcome.detail)
    ours = [f for f in frames if "/lalert_sim/" in f[0]] or frames
    where = ""
    if ours:
        path, line, function = ours[-1]
        where = f" at {path.split('/lalert_sim/')[-1] if '/lalert_sim/' in path else Path(path).name}:{function}"
    return f"{outcome.job.kind} {outcome.status}: {exception}{where}"


class Worker:
    """One worker process and the job it is running."""

    def __init__(self, log: Path) -> None:
        job_read, self._job_write = os.pipe()
        self._result_read, result_write = os.pipe()
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
        with log.open("ab") as errors:  # what the code under test logs, and why a worker died
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.fuzz.worker", str(job_read), str(result_write)],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                pass_fds=(job_read, result_write),
            )
        os.close(job_read)
        os.close(result_write)
        self.jobs: BinaryIO = os.fdopen(self._job_write, "wb")
        self.results: BinaryIO = os.fdopen(self._result_read, "rb")
        self.job: Job | None = None
        self.deadline = 0.0

    def start(self, job: Job) -> None:
        """Hand the worker one job."""
        self.job, self.deadline = job, time.monotonic() + LIMIT_S + GRACE_S + 5.0  # + building the input
        send(self.jobs, self.job)

    def finish(self, answered: bool) -> Outcome:
        """The running job's outcome: the worker's answer, or made here when it hung (``answered`` False) or died."""
        assert self.job is not None
        job, self.job = self.job, None
        outcome = receive(self.results) if answered else None
        if isinstance(outcome, Outcome):
            return outcome
        self.stop()
        status = "crash" if answered else "timeout"
        item = make_input(Kind(job.kind), job.seed, job.index)  # the worker built it without error: so does this
        detail = f"worker died (exit {self.process.returncode})" if answered else "worker killed after the time limit"
        return Outcome(job, status, "", 0.0, 0, detail, item.data, item.origin, item.options)

    @property
    def alive(self) -> bool:
        """Whether the process still runs (it exits itself after running out of time or memory)."""
        return self.process.poll() is None

    def stop(self) -> None:
        """End the worker: one at rest exits when its pipe closes; one busy, or slow to go, is killed."""
        if not self.jobs.closed:
            self.jobs.close()
        try:
            self.process.wait(0 if self.job is not None else 2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if not self.results.closed:
            self.results.close()


def jobs(counts: dict[Kind, int], seed: int) -> Iterator[Job]:
    """The campaign's jobs, kinds interleaved so a short run still covers every kind."""
    queues = {kind: iter(range(n)) for kind, n in counts.items()}
    while queues:
        for kind in list(queues):
            index = next(queues[kind], None)
            if index is None:
                del queues[kind]
            else:
                yield Job(kind.value, seed, index)


def campaign(
    counts: dict[Kind, int], seed: int, folder: Path, workers: int = 2, report: Callable[[str], None] = print
) -> Findings:
    """Run every job on ``workers`` processes; the findings, saved under ``folder``."""
    findings = Findings(folder, report)
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "workers.log"
    pending = jobs(counts, seed)
    pool: list[Worker] = []
    try:
        pool = [Worker(log) for _ in range(workers)]
        busy: dict[int, Worker] = {}
        for worker in pool:
            if (job := next(pending, None)) is not None:
                worker.start(job)
                busy[worker.results.fileno()] = worker
        try:
            while busy:
                timeout = max(0.0, min(w.deadline for w in busy.values()) - time.monotonic())
                ready, _, _ = select.select(list(busy), [], [], timeout)
                due = ready or [fd for fd, w in busy.items() if time.monotonic() >= w.deadline]
                for fd in due:
                    worker = busy.pop(fd)
                    outcome = worker.finish(answered=fd in ready)
                    findings.record(outcome)
                    if outcome.status in LAST_STATUSES or not worker.alive:
                        worker.stop()
                        pool[pool.index(worker)] = worker = Worker(log)
                    if (job := next(pending, None)) is not None:
                        worker.start(job)
                        busy[worker.results.fileno()] = worker
        except KeyboardInterrupt:  # Ctrl-C: what was found so far still gets its table and summary line
            findings.stopped_early = True
    finally:
        for worker in pool:
            worker.stop()
    return findings

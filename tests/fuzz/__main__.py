"""``python -m tests.fuzz``: the fuzz campaign from the command line (``make fuzz`` runs the full one)."""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from tests.fuzz.campaign import campaign
from tests.fuzz.inputs import Kind, make_input


def replay(kind: Kind, seed: int, index: int) -> int:
    """Run one input in this process, without limits, and show what happens (a finding's ``replay:`` line)."""
    import tempfile

    from tests.fuzz.targets import run_target

    item = make_input(kind, seed, index)
    print(f"{kind.value} #{index} (seed {seed}) from {item.origin}, {len(item.data)} bytes {item.options}")
    with tempfile.TemporaryDirectory() as workdir:
        try:
            print("verdict:", run_target(kind, item, Path(workdir)))
        except Exception:
            traceback.print_exc()
            return 1
    return 0


def main() -> int:
    """Parse the options, run the campaign (or one replay), print the findings and the summary line."""
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    parser.add_argument("--scenarios", type=int, default=10_000)
    parser.add_argument("--cap", type=int, default=2_000)
    parser.add_argument("--node-toml", type=int, default=1_000)
    parser.add_argument("--mqtt", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=20260)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("results/fuzz/findings"))
    parser.add_argument("--replay", nargs=3, metavar=("KIND", "SEED", "INDEX"), help="rerun one input and stop")
    args = parser.parse_args()
    if args.replay:
        kind, seed, index = args.replay
        return replay(Kind(kind), int(seed), int(index))
    counts = {Kind.SCENARIO: args.scenarios, Kind.CAP: args.cap, Kind.NODE_TOML: args.node_toml, Kind.MQTT: args.mqtt}
    findings = campaign(counts, args.seed, args.out, args.workers)
    print("verdicts:", ", ".join(f"{name} {n}" for name, n in sorted(findings.verdicts.items())))
    print(findings.table())
    print(findings.summary())
    return 1 if findings.failures else 0


if __name__ == "__main__":
    sys.exit(main())

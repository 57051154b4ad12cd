"""Correction times: how long an update or cancel takes to reach the residents who got the alert it corrects
(the Hawaii false alert of 2018 took 38 minutes to correct)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from lalert_sim.analysis.figures import rounded
from lalert_sim.analysis.reach_metrics import time_to_warned
from lalert_sim.analysis.results import CorrectionTimes
from lalert_sim.engine.simulation import RunResult
from lalert_sim.engine.state import AlertState
from lalert_sim.model.alerts import MessageKind
from lalert_sim.prepare import Prepared
from lalert_sim.reach.model import Reach, compute_reach

CORRECTING = frozenset({MessageKind.UPDATE, MessageKind.CORRECTION, MessageKind.CANCEL})
"""Kinds of message that correct an earlier one (a lift says the hazard is over; the original was right)."""


def corrected_pairs(result: RunResult) -> list[tuple[AlertState, AlertState]]:
    """(original, correction) for every correcting message of the run and each alert of it that it references."""
    by_id = {state.spec.id: state for state in result.alerts}
    pairs: list[tuple[AlertState, AlertState]] = []
    for state in result.alerts:
        chain = state.spec.chain
        if chain is None or chain.kind not in CORRECTING:
            continue
        pairs.extend((by_id[ref], state) for ref in chain.references if ref in by_id)
    return pairs


def correction_times(result: RunResult, reaches: Mapping[int, Reach]) -> tuple[CorrectionTimes, ...]:
    """Each correction's times, given the reaches (by alert index) of the alerts ``corrected_pairs`` names;
    a pair where either concerns no residents has none."""
    times = []
    for original, correction in corrected_pairs(result):
        before, after = reaches.get(original.index), reaches.get(correction.index)
        if before is None or after is None:
            continue
        times.append(_times(original, correction, before, after))
    return tuple(times)


def corrections_so_far(prepared: Prepared, result: RunResult) -> tuple[CorrectionTimes, ...]:
    """Correction times of a run, reaches computed here for the alerts they need only (the console's live view:
    ``result`` the run so far, ``prepared`` the scenario as the actions left it, e.g. ``Steering.prepared``)."""
    needed = {state.index: state for pair in corrected_pairs(result) for state in pair}
    reaches = {index: compute_reach(prepared, result, state, curves=False) for index, state in needed.items()}
    return correction_times(result, {index: reach for index, reach in reaches.items() if reach is not None})


def recipients_reached(before: Reach, after: Reach) -> tuple[np.ndarray, float]:
    """Share of the original's recipients that have the correction, on the correction's time grid, and how
    many they are. Per municipality the correction reaches them first: min(its warned, the original's)."""
    got_original = before.by_municipality[:, -1] * before.population  # (M,) residents who got it
    where = {m.code: i for i, m in enumerate(after.municipalities)}
    got_both = np.zeros(len(after.times_s))
    for i, municipality in enumerate(before.municipalities):
        j = where.get(municipality.code)
        if j is not None:
            got_both += np.minimum(after.by_municipality[j] * after.population[j], got_original[i])
    recipients = float(got_original.sum())
    return (got_both / recipients if recipients > 0 else got_both), recipients


def _times(original: AlertState, correction: AlertState, before: Reach, after: Reach) -> CorrectionTimes:
    curve, recipients = recipients_reached(before, after)
    kind = correction.spec.chain.kind.value if correction.spec.chain is not None else MessageKind.UPDATE.value
    return CorrectionTimes(
        alert=original.spec.id,
        correction=correction.spec.id,
        kind=kind,
        issue_s=correction.spec.issue_s,
        after_original_s=round(correction.spec.issue_s - original.spec.issue_s, 3),
        recipients=round(recipients, 1),
        t50_s=rounded(time_to_warned(after.times_s, curve, 0.5), 1) if recipients > 0 else None,
        t95_s=rounded(time_to_warned(after.times_s, curve, 0.95), 1) if recipients > 0 else None,
        got_share=round(float(curve[-1]), 4),
    )

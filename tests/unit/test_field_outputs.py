"""A virtual node's outputs: mock pins over a long run (the levels follow every switch, the history stays
short), and the pattern player's steps, preemption and stop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import cast

import pytest

pytest.importorskip("gpiozero")

from lalert_sim.hil.node_config import OutputPins
from lalert_sim.hil.outputs import MOCK_STATES_KEPT, Output, OutputDriver, PatternPlayer, Step


def test_a_mock_pin_switched_thousands_of_times_keeps_a_short_history_and_the_right_level() -> None:
    driver = OutputDriver(OutputPins(mock=True))
    try:
        for k in range(5_000):
            driver.set(siren=k % 2 == 0, light=k % 3 == 0, buzzer=False)
            assert driver.pin_level(Output.SIREN) is (k % 2 == 0)
            assert driver.pin_level(Output.LIGHT) is (k % 3 == 0)
        siren = driver.devices[Output.SIREN].pin
        assert len(siren.states) <= MOCK_STATES_KEPT + 1  # gpiozero's own MockPin would hold 5,001
        assert siren.states[-1].state is False  # the last switch (k = 4,999: off) is the last recorded
    finally:
        driver.close()


class _Recorder:
    """A driver stand-in that records each switch with the loop's time."""

    def __init__(self) -> None:
        self.switches: list[tuple[float, tuple[bool, bool, bool]]] = []

    def set(self, siren: bool, light: bool, buzzer: bool) -> None:
        self.switches.append((asyncio.get_running_loop().time(), (siren, light, buzzer)))

    def off(self) -> None:
        self.set(False, False, False)


def _play(
    script: Callable[[PatternPlayer], Awaitable[None]],
) -> tuple[float, list[tuple[float, tuple[bool, bool, bool]]]]:
    recorder = _Recorder()

    async def run() -> float:
        player = PatternPlayer(cast(OutputDriver, recorder))
        started = asyncio.get_running_loop().time()
        await script(player)
        return started

    started = asyncio.run(run())
    return started, [(t - started, state) for t, state in recorder.switches]


def test_a_pattern_plays_each_step_for_its_duration_then_switches_everything_off() -> None:
    steps = (Step(0.05, siren=True, light=True), Step(0.1, light=True), Step(0.05, buzzer=True))

    async def script(player: PatternPlayer) -> None:
        player.start(steps)
        assert player.playing
        await asyncio.sleep(0.4)
        assert not player.playing

    _, switches = _play(script)
    assert [state for _, state in switches] == [(True, True, False), (False, True, False), (False, False, True)] + [
        (False, False, False)
    ]
    starts = [t for t, _ in switches]
    for at, expected in zip(starts, (0.0, 0.05, 0.15, 0.2), strict=True):
        assert expected - 0.001 <= at <= expected + 0.05  # never early; late by at most a loop turn on a busy machine


def test_a_new_pattern_preempts_the_one_playing_without_the_old_one_switching_it_off() -> None:
    first = (Step(0.05, siren=True), Step(0.05, light=True))
    second = (Step(0.2, buzzer=True),)

    async def script(player: PatternPlayer) -> None:
        player.start(first)
        await asyncio.sleep(0.07)  # the first pattern is in its second step
        player.start(second)
        await asyncio.sleep(0.1)  # the first pattern's end (0.1 s) passes: nothing of it may switch
        player.stop()

    _, switches = _play(script)
    assert [state for _, state in switches] == [
        (True, False, False),
        (False, True, False),
        (False, False, True),  # the second pattern's first step, at once
        (False, False, False),  # stop(), not the first pattern's end
    ]
    assert switches[-1][0] >= 0.17

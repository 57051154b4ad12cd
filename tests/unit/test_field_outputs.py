"""A virtual node's mock pins over a long run: the levels follow every switch, the history stays short."""

from __future__ import annotations

import pytest

pytest.importorskip("gpiozero")

from lalert_sim.hil.node_config import OutputPins
from lalert_sim.hil.outputs import MOCK_STATES_KEPT, Output, OutputDriver


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

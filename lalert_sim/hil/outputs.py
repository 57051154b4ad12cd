"""A field node's outputs (siren relay, light, buzzer) through gpiozero, and the pattern per alert category."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

from lalert_sim.errors import BridgeError
from lalert_sim.hil.node_config import OutputPins
from lalert_sim.model.alerts import AlertCategory


class Output(StrEnum):
    """What a field node can switch: each is a pin in ``OutputPins`` and a switch of a pattern ``Step``."""

    SIREN = "siren"
    LIGHT = "light"
    BUZZER = "buzzer"


@dataclass(frozen=True)
class Step:
    """Which outputs are on for how long (seconds, before scaling)."""

    duration_s: float
    siren: bool = False
    light: bool = False
    buzzer: bool = False


def _repeat(steps: list[Step], times: int) -> tuple[Step, ...]:
    return tuple(steps * times)


_TSUNAMI = _repeat([Step(3.0, siren=True, light=True), Step(2.0, light=True)], 12)
_EVACUATION = _repeat([Step(5.0, siren=True, light=True), Step(6.0, light=True)], 3)

# Patterns by alert category. A relay can only switch a siren on and off, so tones become rhythms.
PATTERNS: dict[AlertCategory, tuple[Step, ...]] = {
    # National-protection siren (国民保護サイレン) for missiles: sounded about a minute; light flashing.
    AlertCategory.BALLISTIC_MISSILE: _repeat([Step(0.5, siren=True, light=True), Step(0.5, siren=True)], 60),
    # JMA's tsunami-warning signal: about 3 s on, 2 s off, repeated.
    AlertCategory.MAJOR_TSUNAMI_WARNING: _TSUNAMI,
    AlertCategory.TSUNAMI_WARNING: _TSUNAMI,
    AlertCategory.TSUNAMI_ADVISORY: _TSUNAMI,
    # Earthquake early warning: the chime is short and urgent: fast buzzer and light, no motor siren.
    AlertCategory.EARTHQUAKE_EARLY_WARNING: _repeat([Step(0.2, buzzer=True, light=True), Step(0.2)], 15),
    # Evacuation orders: siren bursts (5 s on, 6 s off) with the light steady.
    AlertCategory.EVACUATION_ORDER: _EVACUATION,
    AlertCategory.EMERGENCY_SAFETY_ASSURANCE: _EVACUATION,
    AlertCategory.SHELTER_OPENING: (Step(1.0, buzzer=True, light=True), Step(29.0, light=True)),
    AlertCategory.TEST: (Step(0.5, buzzer=True, light=True), Step(0.5, light=True)),
    AlertCategory.OTHER: (Step(10.0, light=True),),
}


def pattern_for(category: str) -> tuple[Step, ...]:
    """The pattern of ``category`` as it came on the wire (categories this node does not know get OTHER's)."""
    try:
        return PATTERNS[AlertCategory(category)]
    except ValueError:
        return PATTERNS[AlertCategory.OTHER]


@lru_cache(maxsize=64)
def limited(pattern: tuple[Step, ...], scale: float, max_total_s: float, siren_max_on_s: float) -> tuple[Step, ...]:
    """The pattern scaled in time and cut to the safety limits: total length and continuous siren time."""
    steps: list[Step] = []
    total = siren_run = 0.0
    for step in pattern:
        duration = min(step.duration_s * scale, max_total_s - total)
        if duration <= 0:
            break
        siren = step.siren and siren_run < siren_max_on_s
        if siren and siren_run + duration > siren_max_on_s:  # split: siren off once its continuous limit is met
            first = siren_max_on_s - siren_run
            steps.append(Step(first, True, step.light, step.buzzer))
            steps.append(Step(duration - first, False, step.light, step.buzzer))
            siren_run = siren_max_on_s
        else:
            steps.append(Step(duration, siren, step.light, step.buzzer))
            siren_run = siren_run + duration if siren else 0.0
        total += duration
    return tuple(steps)


MOCK_STATES_KEPT = 64
"""Changes a mock pin keeps in its history (gpiozero's MockPin appends one per change, for ever)."""


class OutputDriver:
    """gpiozero devices for the fitted outputs; each driver has its own pin factory so many
    virtual nodes can share one process."""

    def __init__(self, pins: OutputPins, on_change: Callable[[Output, bool], None] | None = None) -> None:
        device_classes = gpio_device_classes()
        factory = _mock_factory() if pins.mock else None
        self._mock = factory is not None
        self._on_change = on_change
        self.devices: dict[Output, Any] = {}
        self.pins: dict[Output, int] = {}
        try:
            for name, device_class in device_classes.items():
                pin = getattr(pins, name)
                if pin is None:
                    continue
                self.devices[name] = device_class(
                    pin, active_high=pins.active_high, initial_value=False, pin_factory=factory
                )
                self.pins[name] = pin
        except Exception as exc:  # gpiozero raises its own hierarchy (no pins, pin in use, no permission)
            self.close()
            raise BridgeError(f"cannot open output pins {self.pins or pins.model_dump()}: {exc}") from None
        self.state = {name: False for name in self.devices}

    def set(self, siren: bool, light: bool, buzzer: bool) -> None:
        """Switch the fitted outputs (absent ones are ignored)."""
        wanted = {Output.SIREN: siren, Output.LIGHT: light, Output.BUZZER: buzzer}
        for name, on in wanted.items():
            device = self.devices.get(name)
            if device is None or self.state[name] == on:
                continue
            device.on() if on else device.off()
            if self._mock and len(device.pin.states) > MOCK_STATES_KEPT:
                device.pin.clear_states()  # a mock pin records every change: a long-running virtual node keeps few
            self.state[name] = on
            if self._on_change is not None:
                self._on_change(name, on)

    def off(self) -> None:
        """Everything off."""
        self.set(False, False, False)

    def pin_level(self, name: Output) -> bool:
        """The physical level of an output's pin now (True = high)."""
        return bool(self.devices[name].pin.state)

    def close(self) -> None:
        """Switch off and release the pins."""
        for device in getattr(self, "devices", {}).values():
            try:
                device.off()
            finally:
                device.close()


def gpio_device_classes() -> dict[Output, type[Any]]:
    """The gpiozero device class driving each output (gpiozero is imported only here, on a node)."""
    try:
        from gpiozero import Buzzer, OutputDevice
    except ImportError as exc:
        raise BridgeError(f"the field node needs gpiozero (pip install 'lalert-sim[pi]'): {exc}") from None
    return {Output.SIREN: OutputDevice, Output.LIGHT: OutputDevice, Output.BUZZER: Buzzer}


def _mock_factory() -> object:
    from gpiozero.pins.mock import MockFactory

    return MockFactory()


class PatternPlayer:
    """Plays one pattern at a time on a driver; a new alert preempts the one playing.

    Each later step is a timer of the event loop (``call_later``) that switches it and sets the
    next: cheaper than a task per pattern on a node's alert path, and a preempted pattern is cut by
    cancelling its one pending timer."""

    def __init__(self, driver: OutputDriver) -> None:
        self.driver = driver
        self._timer: asyncio.TimerHandle | None = None  # the playing pattern's next step

    def start(self, steps: tuple[Step, ...]) -> None:
        """Switch to the first step now (that is the actuation moment) and play the rest in the background.

        A pattern playing is cut without switching off first: outputs that stay on do not chatter.
        """
        self._cancel()
        if not steps:
            self.driver.off()
            return
        first = steps[0]
        self.driver.set(first.siren, first.light, first.buzzer)
        self._timer = asyncio.get_running_loop().call_later(first.duration_s, self._next, steps, 1)

    def _next(self, steps: tuple[Step, ...], index: int) -> None:
        """Switch to ``steps[index]`` (everything off after the last) and time the one after it."""
        self._timer = None
        if index == len(steps):
            self.driver.off()
            return
        step = steps[index]
        self.driver.set(step.siren, step.light, step.buzzer)
        self._timer = asyncio.get_running_loop().call_later(step.duration_s, self._next, steps, index + 1)

    @property
    def playing(self) -> bool:
        """True while a pattern has steps (or its final switch-off) still to come."""
        return self._timer is not None

    def stop(self) -> None:
        """Cut the pattern playing, if any, and switch everything off."""
        self._cancel()
        self.driver.off()

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

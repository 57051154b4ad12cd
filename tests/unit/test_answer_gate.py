"""The answer gate: node agents sharing a loop answer once a turn reads no new alert, in order, never
held past its bound, and one failing answer does not keep back the others."""

from __future__ import annotations

import asyncio
import gc
import weakref
from typing import Any

import pytest

from lalert_sim.hil import answer_gate
from lalert_sim.hil.answer_gate import gate_of


def test_answers_wait_while_alerts_keep_arriving_then_go_in_the_order_given() -> None:
    log: list[str] = []

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        gate = gate_of(loop)

        def alert(name: str, then: str | None = None) -> None:  # one loop turn reads one alert
            log.append(f"read {name}")
            gate.hold(lambda: log.append(f"answer {name}"))
            if then is not None:
                loop.call_soon(alert, then)

        loop.call_soon(alert, "a", "b")
        loop.call_soon(lambda: loop.call_soon(lambda: loop.call_soon(alert, "c")))  # turns 1-3 each read one
        await asyncio.sleep(0.05)

    asyncio.run(scenario())
    assert log == ["read a", "read b", "read c", "answer a", "answer b", "answer c"]


def test_a_node_alone_answers_in_the_next_turn() -> None:
    log: list[str] = []

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        gate_of(loop).hold(lambda: log.append("answer"))
        log.append("held")
        await asyncio.sleep(0)  # one turn: the answer's check runs after it
        await asyncio.sleep(0)
        log.append("two turns later")

    asyncio.run(scenario())
    assert log == ["held", "answer", "two turns later"]


def test_a_continuous_stream_of_alerts_does_not_hold_answers_past_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(answer_gate, "ANSWER_HOLD_MAX_S", 0.05)
    held = 0
    answered_after: list[int] = []  # alerts held so far when each answer went

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        gate = gate_of(loop)
        started = loop.time()

        def alert() -> None:  # an alert every turn, for a second: 20 times the bound
            nonlocal held
            held += 1
            gate.hold(lambda: answered_after.append(held))
            if loop.time() - started < 1.0:
                loop.call_soon(alert)

        loop.call_soon(alert)
        await asyncio.sleep(1.2)

    asyncio.run(scenario())
    assert len(answered_after) == held  # every alert answered once
    assert answered_after[0] < held  # the first answers went while alerts kept coming, not after the stream
    assert len(set(answered_after)) > 2  # in several releases, each at the bound


def test_a_failing_answer_is_reported_and_the_others_still_go() -> None:
    log: list[str] = []
    reported: list[dict[str, Any]] = []

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _loop, context: reported.append(context))
        gate = gate_of(loop)

        def broken() -> None:
            raise RuntimeError("no socket")

        gate.hold(lambda: log.append("first"))
        gate.hold(broken)
        gate.hold(lambda: log.append("third"))
        await asyncio.sleep(0.01)

    asyncio.run(scenario())
    assert log == ["first", "third"]
    assert isinstance(reported[0]["exception"], RuntimeError)


def test_a_gate_is_released_with_its_loop() -> None:
    loops: list[weakref.ref[asyncio.AbstractEventLoop]] = []

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        loops.append(weakref.ref(loop))
        gate_of(loop).hold(lambda: None)
        await asyncio.sleep(0.01)

    for _ in range(3):
        asyncio.run(scenario())
    gc.collect()
    assert [ref() for ref in loops] == [None, None, None]  # neither the gate nor the mapping keeps its loop

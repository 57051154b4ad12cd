"""What a node agent puts on the wire, read packet by packet by a stand-in broker, and a session's
writes when the socket is full (a real Mosquitto).

The agent answers a message inside the MQTT client's read callback and queues its Ack and the
alert's PUBACK without waiting for the broker; these tests hold it to the order that keeps an
answer from being lost: a broker that has an alert's PUBACK has already read its Ack.
"""

from __future__ import annotations

import asyncio
import json
import struct
from pathlib import Path

import pytest

pytest.importorskip("aiomqtt")

from lalert_sim.hil.agent import NodeAgent
from lalert_sim.hil.broker import BrokerAddress
from lalert_sim.hil.demo import virtual_config
from lalert_sim.hil.protocol import Ack, Outcome, Signer, TimePing, Topic, topic
from lalert_sim.hil.transport import Session
from tests.hil.conftest import WAIT_S, alert_payload

CONNECT, CONNACK, PUBLISH, PUBACK, SUBSCRIBE, SUBACK, PINGREQ, DISCONNECT = 1, 2, 3, 4, 8, 9, 12, 14


def _packet(kind: int, flags: int, body: bytes) -> bytes:
    length, encoded = len(body), bytearray()
    while True:
        byte, length = length % 128, length // 128
        encoded.append(byte | (0x80 if length else 0))
        if not length:
            return bytes([kind << 4 | flags]) + bytes(encoded) + body


def _publish(name: str, payload: bytes, packet_id: int) -> bytes:
    encoded = name.encode()
    return _packet(PUBLISH, 0x02, struct.pack("!H", len(encoded)) + encoded + struct.pack("!H", packet_id) + payload)


async def _read(reader: asyncio.StreamReader) -> tuple[int, int, bytes]:
    header = (await reader.readexactly(1))[0]
    length, shift = 0, 0
    while True:
        byte = (await reader.readexactly(1))[0]
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return header >> 4, header & 0x0F, await reader.readexactly(length)


def _published(flags: int, body: bytes) -> tuple[str, int | None, bytes]:
    """(topic, packet id or None for QoS 0, payload) of a PUBLISH."""
    name_length = struct.unpack_from("!H", body)[0]
    name, rest = body[2 : 2 + name_length].decode(), body[2 + name_length :]
    if (flags >> 1) & 3:
        return name, struct.unpack_from("!H", rest)[0], rest[2:]
    return name, None, rest


def test_an_ack_reaches_the_broker_before_the_puback_of_the_alert_it_answers(tmp_path: Path) -> None:
    """Alerts that come with the connection (a persistent session's backlog, before the SUBACK) and
    one after it: each Ack, in order, is on the wire before its alert's PUBACK, and a ping is answered."""
    signer = Signer.generate("drill")
    wires = [signer.sign(alert_payload("pi-01", msg_id=f"wire-{k:04d}", category="test")) for k in range(3)]
    seen: list[tuple[str, object]] = []  # ("ack", msg_id), ("puback", packet id), ("pong", seq), in wire order
    done = asyncio.Event()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        kind, _, _ = await _read(reader)
        assert kind == CONNECT
        writer.write(_packet(CONNACK, 0, b"\x00\x00"))
        writer.write(_publish(topic("pi-01", Topic.ALERT), wires[0], 1))  # queued for the node while it was away
        writer.write(_publish(topic("pi-01", Topic.ALERT), wires[1], 2))
        while True:
            kind, flags, body = await _read(reader)
            if kind == SUBSCRIBE:
                writer.write(_packet(SUBACK, 0, body[:2] + b"\x01" * (body[2:].count(b"\x00\x01") or 1)))
                writer.write(_publish(topic("pi-01", Topic.ALERT), wires[2], 3))
                ping = TimePing(seq=7, t1=0.0).model_dump_json().encode()
                name = topic("pi-01", Topic.TIME_PING).encode()
                writer.write(_packet(PUBLISH, 0, struct.pack("!H", len(name)) + name + ping))
            elif kind == PUBLISH:
                name, packet_id, payload = _published(flags, body)
                if packet_id is not None:
                    writer.write(_packet(PUBACK, 0, struct.pack("!H", packet_id)))
                if name.endswith("/ack"):
                    seen.append(("ack", Ack.model_validate_json(payload).msg_id))
                elif name.endswith("/time/pong"):
                    seen.append(("pong", json.loads(payload)["seq"]))
            elif kind == PUBACK:
                seen.append(("puback", struct.unpack("!H", body)[0]))
            elif kind == PINGREQ:
                writer.write(_packet(13, 0, b""))
            elif kind == DISCONNECT:
                break
            if len(seen) == 7:
                done.set()
        writer.close()

    async def scenario() -> None:
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        address = BrokerAddress.parse(f"mqtt://pi-01:secret@127.0.0.1:{port}")
        agent = NodeAgent(virtual_config("pi-01", address, signer, state_dir=str(tmp_path / "state")))
        task = asyncio.get_running_loop().create_task(agent.run())
        try:
            await asyncio.wait_for(done.wait(), WAIT_S)
            await asyncio.wait_for(agent.connected.wait(), WAIT_S)  # not stopped mid-start-up
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            agent.close()
            server.close()

    asyncio.run(scenario())
    acks = [msg for what, msg in seen if what == "ack"]
    assert acks == ["wire-0000", "wire-0001", "wire-0002"]  # every alert answered, in the order they came
    for k in range(3):
        assert seen.index(("ack", f"wire-{k:04d}")) < seen.index(("puback", k + 1)), seen
    assert ("pong", 7) in seen
    handled = (tmp_path / "state" / "handled.jsonl").read_text().splitlines()
    assert [json.loads(line)["id"] for line in handled] == acks  # journalled before the broker heard of them
    assert all(Ack.model_validate_json(json.loads(line)["answer"]).outcome is Outcome.ACTUATED for line in handled)


def test_a_burst_larger_than_the_socket_buffer_is_written_whole_and_in_order(broker_factory) -> None:
    """Published without waiting, far more than the socket takes at once: the session waits for the
    socket to drain and writes the rest; the other side gets every message, intact and in order."""
    broker = broker_factory(["pi-01"])
    count, size = 1500, 12_000  # 18 MB, in messages under the broker's limit: many times a socket's send buffer

    async def scenario() -> list[bytes]:
        received: list[bytes] = []
        async with (
            Session(broker.address("pi-01"), max_inflight=0) as sender,  # as a node answers
            Session(broker.address()) as receiver,
        ):
            await receiver.subscribe((topic("pi-01", Topic.ACK), 1))
            for k in range(count):
                sender.publish_now(topic("pi-01", Topic.ACK), k.to_bytes(4, "big") * (size // 4), 1)
            await sender.publish(topic("pi-01", Topic.STATUS), b"after the burst", 1)  # awaited, behind them
            async with asyncio.timeout(60):
                async for message in receiver.messages():
                    received.append(message.payload)
                    if len(received) == count:
                        break
        return received

    received = asyncio.run(scenario())
    assert [payload[:4] for payload in received] == [k.to_bytes(4, "big") for k in range(count)]
    assert all(payload == payload[:4] * (size // 4) for payload in received)

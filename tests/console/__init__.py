"""Tests of the live drill console and its replays (server, clock, feed; real uvicorn, real processes)."""

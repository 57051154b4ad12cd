"""The live drill console: the engine on a real-time clock, served to a browser page, and replays of finished runs."""

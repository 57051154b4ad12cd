"""Seeded fuzzing of every input the project reads: scenario YAML, CAP XML, node.toml, MQTT payloads.

``python -m tests.fuzz`` (``make fuzz``) runs the campaign; ``test_fuzz_fast.py`` runs a small one.
"""

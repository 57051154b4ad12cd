"""Builds the network graph from a scenario: reference data, templates, explicit parts."""

from lalert_sim.topology.graph import Topology, build_topology

__all__ = ["Topology", "build_topology"]

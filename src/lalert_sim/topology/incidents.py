"""Puts a scenario's outage incidents onto the links and nodes they select."""

from __future__ import annotations

from lalert_sim.errors import Problem
from lalert_sim.model.incidents import Incident
from lalert_sim.model.network import Window
from lalert_sim.topology.graph import Topology


def apply_incidents(topology: Topology, incidents: list[Incident], problems: list[Problem]) -> Topology:
    """A topology whose selected links and nodes carry the incidents' outage windows.

    A selector that matches nothing is a problem: it is almost always a typo.
    """
    nodes = dict(topology.nodes)
    links = {link.id: link for link in topology.links}
    for index, incident in enumerate(incidents):
        window = Window(start_s=incident.start_s, end_s=incident.end_s)
        if incident.links is not None:
            chosen = [link for link in links.values() if incident.links.matches(link, nodes)]
            if not chosen:
                problems.append(Problem("selects no link", ("incidents", index, "links")))
            for link in chosen:
                links[link.id] = link.model_copy(update={"outages": [*link.outages, window]})
        if incident.nodes is not None:
            chosen_nodes = [node for node in nodes.values() if incident.nodes.matches(node)]
            if not chosen_nodes:
                problems.append(Problem("selects no node", ("incidents", index, "nodes")))
            for node in chosen_nodes:
                nodes[node.id] = node.model_copy(update={"outages": [*node.outages, window]})
    return Topology(nodes=nodes, links=list(links.values()))

"""Lines built from phrases: a line breaks between two phrases, never within one (widths in terminal cells,
so a Japanese character counts two)."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

CONTINUED = "  "
"""Indent of a line's continuation."""


def width_of(markup: str) -> int:
    """Terminal cells a line of rich markup takes once printed."""
    return Text.from_markup(markup).cell_len


def pack_phrases(phrases: Iterable[str], width: int, separator: str = " · ", indent: str = "") -> list[str]:
    """Phrases (rich markup; empty ones skipped) joined by ``separator`` into lines of at most ``width``
    cells, continuation lines indented; a phrase wider than that by itself gets a line of its own."""
    lines: list[list[str]] = [[]]
    for phrase in (p for p in phrases if p):
        lead = indent if len(lines) == 1 else indent + CONTINUED
        if lines[-1] and width_of(lead + separator.join([*lines[-1], phrase]) + separator.rstrip()) > width:
            lines.append([])
        lines[-1].append(phrase)
    glue = separator.rstrip()
    return [
        (indent if number == 0 else indent + CONTINUED)
        + separator.join(line)
        + (glue if number < len(lines) - 1 else "")
        for number, line in enumerate(lines)
        if line
    ]

"""Map labels that never overlap: candidate positions around each point, placed greedily by priority.

Text boxes are estimated from the font size and the characters (CJK ~1 em wide,
Latin ~0.6 em) with the tall line metrics of Noto Sans CJK, so a box is never
smaller than what the browser draws; a label that fits nowhere is left out.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

ASCENT_EM: Final = 1.16  # Noto Sans CJK's ascent and descent: the largest of the fonts a page may use
DESCENT_EM: Final = 0.29
WIDE_EM: Final = 1.0
NARROW_EM: Final = 0.6
MARGIN_PX: Final = 2.0  # clear space kept between two labels and at the frame's edge

Anchor = Literal["start", "middle", "end"]


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle in pixels (y grows downwards, as in SVG)."""

    left: float
    top: float
    right: float
    bottom: float

    def overlaps(self, other: Box) -> bool:
        """Whether the two rectangles share any area."""
        return (
            self.left < other.right and other.left < self.right and self.top < other.bottom and other.top < self.bottom
        )

    def grown(self, by: float) -> Box:
        """The rectangle with ``by`` pixels added on every side."""
        return Box(self.left - by, self.top - by, self.right + by, self.bottom + by)

    def within(self, frame: Box) -> bool:
        """Whether the rectangle lies wholly inside ``frame``."""
        return (
            frame.left <= self.left
            and self.right <= frame.right
            and frame.top <= self.top
            and self.bottom <= frame.bottom
        )


@dataclass(frozen=True)
class Label:
    """A placed label: SVG text at (x, y) (y the baseline) with its anchor, the box it covers, its point."""

    text: str
    x: float
    y: float
    anchor: Anchor
    box: Box
    point: tuple[float, float]


def text_width_em(text: str) -> float:
    """Estimated width of ``text`` in em: full-width (CJK, kana) characters 1 em, others 0.6 em."""
    return sum(WIDE_EM if unicodedata.east_asian_width(c) in "WF" else NARROW_EM for c in text)


def text_box(text: str, x: float, y: float, anchor: Anchor, font_px: float) -> Box:
    """The box SVG text at (x, y) with baseline y and this anchor covers (an upper bound)."""
    width = text_width_em(text) * font_px
    left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    return Box(left, y - ASCENT_EM * font_px, left + width, y + DESCENT_EM * font_px)


def _candidates(text: str, px: float, py: float, font_px: float, gap: float) -> Iterable[Label]:
    """Positions around a point, most readable first: right, left, above, below, then the diagonals."""
    middle = py + (ASCENT_EM - DESCENT_EM) / 2 * font_px  # baseline that centres the box on the point
    above = py - gap - DESCENT_EM * font_px
    below = py + gap + ASCENT_EM * font_px
    diagonal = 0.7 * gap
    spots: list[tuple[float, float, Anchor]] = [
        (px + gap, middle, "start"),
        (px - gap, middle, "end"),
        (px, above, "middle"),
        (px, below, "middle"),
        (px + diagonal, above + gap - diagonal, "start"),
        (px + diagonal, below - gap + diagonal, "start"),
        (px - diagonal, above + gap - diagonal, "end"),
        (px - diagonal, below - gap + diagonal, "end"),
    ]
    for x, y, anchor in spots:
        yield Label(text, x, y, anchor, text_box(text, x, y, anchor, font_px), (px, py))


def place_labels(
    wanted: Sequence[tuple[str, float, float]],
    frame: Box,
    font_px: float,
    dot_px: float,
    limit: int | None = None,
) -> list[Label]:
    """Labels for (text, x, y) points in priority order, none overlapping another label or a labelled dot.

    Each label sits beside its dot (radius ``dot_px``) inside ``frame``; a point whose label
    fits nowhere, or whose dot would lie under a label already placed, gets none.
    """
    placed: list[Label] = []
    taken: list[Box] = []  # placed labels and their dots
    gap = dot_px + 0.3 * font_px
    for text, px, py in wanted:
        if limit is not None and len(placed) >= limit:
            break
        dot = Box(px - dot_px, py - dot_px, px + dot_px, py + dot_px)
        if any(dot.overlaps(t) for t in taken):
            continue
        for label in _candidates(text, px, py, font_px, gap):
            clear = label.box.grown(MARGIN_PX)
            if clear.within(frame) and not any(clear.overlaps(t) for t in taken):
                placed.append(label)
                taken.extend((label.box, dot))
                break
    return placed

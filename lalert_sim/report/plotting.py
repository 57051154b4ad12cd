"""matplotlib for the report: a Japanese-capable font, and figures embedded in the page."""

from __future__ import annotations

import base64
import io
import logging
import warnings
from typing import Any, Literal

from lalert_sim.errors import LalertError

ImageFormat = Literal["png", "svg"]
"""How plots are embedded: PNG for the screen, SVG (vectors) for print."""

CJK_FONTS = ("Noto Sans CJK JP", "Noto Sans JP", "IPAexGothic", "IPAGothic", "TakaoGothic", "VL Gothic")


def pyplot() -> Any:
    """matplotlib with a Japanese-capable font when the machine has one (falls back quietly)."""
    try:
        import matplotlib
    except ImportError:
        raise LalertError("the HTML report needs matplotlib: pip install 'lalert-sim[plots]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    available = {f.name for f in font_manager.fontManager.ttflist}
    if not any(name in available for name in CJK_FONTS):
        # Fonts installed after matplotlib built its cache are not in it yet: add any CJK font files found.
        for path in font_manager.findSystemFonts():
            if "CJK" in path or "IPA" in path:
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError):
                    continue
        available = {f.name for f in font_manager.fontManager.ttflist}
    cjk = [name for name in CJK_FONTS if name in available]
    plt.rcParams["font.family"] = ["DejaVu Sans", *cjk]
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="Glyph .* missing from font")
    return plt


def png(fig: Any) -> str:
    """The figure as base64 PNG text, for a data: URI."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    _close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def svg(fig: Any) -> str:
    """The figure as base64 SVG text (vectors, text as outlines so any font prints), for a data: URI."""
    buffer = io.BytesIO()
    with _svg_text_as_paths():
        fig.savefig(buffer, format="svg", bbox_inches="tight")
    _close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def data_uri(fig: Any, image_format: ImageFormat) -> str:
    """The figure as a ``data:`` URI in the given format (the figure is cleared)."""
    if image_format == "svg":
        return f"data:image/svg+xml;base64,{svg(fig)}"
    return f"data:image/png;base64,{png(fig)}"


def _svg_text_as_paths() -> Any:
    import matplotlib

    return matplotlib.rc_context({"svg.fonttype": "path"})


def _close(fig: Any) -> None:
    # pyplot keeps every figure it made until closed: a nationwide report makes dozens.
    import matplotlib.pyplot as plt

    plt.close(fig)

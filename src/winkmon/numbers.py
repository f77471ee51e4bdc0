"""How numbers are rounded for people: one rule, so every view shows the same figure.

The dashboard, the terminal report, the set header and the coaching notes all show a depth in
whole centimetres. Each rounds the value once from the figure the JSON report stores (0.1 cm),
half up, so a rep the report stores as 35.5 cm is "36 cm" everywhere and a rep of 35.46 cm
(stored 35.5) is not "35" in one view and "36" in another.
"""

from __future__ import annotations

import math


def whole_cm(depth_cm: float) -> int:
    """``depth_cm`` in whole centimetres: to 0.1 cm as stored, then half up."""
    return math.floor(round(depth_cm, 1) + 0.5)


def cm_text(depth_cm: float | None) -> str:
    """``"35 cm"``; ``"—"`` when the depth is unknown."""
    if depth_cm is None or not math.isfinite(depth_cm):
        return "—"
    return f"{whole_cm(depth_cm)} cm"


def plural(n: int, word: str, words: str | None = None) -> str:
    """``"1 rep"``, ``"2 reps"``."""
    return f"{n} {word if n == 1 else (words or word + 's')}"

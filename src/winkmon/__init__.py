"""winkmon: catch butt wink while it happens.

Two wearable IMUs (sacrum and upper lumbar spine) stream over Bluetooth LE; winkmon estimates
each sensor's orientation, computes the lumbopelvic flexion/extension angle relative to the
athlete's calibrated neutral, segments squat reps and alerts on lumbar flexion at depth.
"""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # ``__version__`` is looked up when first asked for: importlib.metadata takes longer to
    # import than the rest of a command's start-up.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("winkmon")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            value = "0.0.0+unknown"
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

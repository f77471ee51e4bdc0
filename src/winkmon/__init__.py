"""winkmon: catch butt wink while it happens.

Two wearable IMUs (sacrum and upper lumbar spine) stream over Bluetooth LE; winkmon estimates
each sensor's orientation, computes the lumbopelvic flexion/extension angle relative to the
athlete's calibrated neutral, segments squat reps and alerts on lumbar flexion at depth.
"""

from __future__ import annotations

#: The one place the version is written: ``pyproject.toml`` reads it from here (setuptools'
#: ``dynamic`` version), so commands need not import importlib.metadata to know it.
__version__ = "0.1.0"

__all__ = ["__version__"]

"""winkmon: catch butt wink while it happens.

Two wearable IMUs (sacrum and upper lumbar spine) stream over Bluetooth LE; winkmon estimates
each sensor's orientation, computes the lumbopelvic flexion/extension angle relative to the
athlete's calibrated neutral, segments squat reps and alerts on lumbar flexion at depth.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("winkmon")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]

"""Vendors' own app exports, read into the SI table winkmon's CSV importer consumes.

One module per vendor (:mod:`.polar_sensor_logger`, :mod:`.metabase`, :mod:`.movella_dot`,
:mod:`.witmotion`), each documenting the format it reads, the units it converts and where the
format was verified; :mod:`.join` joins a vendor's separate accelerometer and gyroscope
files; :mod:`.detect` tells the formats apart. winkmon's own CSV stays the default and is read
by :mod:`winkmon.recording.csv_format` exactly as before.
"""

from winkmon.recording.vendor_exports.detect import WINKMON, Detected, detect, open_sensor
from winkmon.recording.vendor_exports.source import ImuBlockSource, VendorSource

__all__ = ["WINKMON", "Detected", "ImuBlockSource", "VendorSource", "detect", "open_sensor"]

"""The BLE client: find, connect and stream winkmon sensors through bleak.

:class:`SensorHub` is a source of raw notifications for the session
(:mod:`winkmon.session.contract`).
"""

from winkmon.ble.config import HubConfig
from winkmon.ble.hub import SensorHub, open_hub
from winkmon.ble.link import IncompatibleSensorError, LinkCounters, SensorLink
from winkmon.ble.scan import FoundSensor, discover_sensors, read_battery, role_from_name

__all__ = [
    "FoundSensor",
    "HubConfig",
    "IncompatibleSensorError",
    "LinkCounters",
    "SensorHub",
    "SensorLink",
    "discover_sensors",
    "open_hub",
    "read_battery",
    "role_from_name",
]

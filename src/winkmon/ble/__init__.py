"""The BLE client: find, connect and stream two winkmon sensors through bleak.

:class:`SensorHub` is the API the app uses; :mod:`winkmon.ble.events` holds what it yields.
"""

from winkmon.ble.config import HubConfig
from winkmon.ble.events import (
    HubEvent,
    LinkState,
    LinkStateKind,
    Notification,
    StatusUpdate,
    TimeSync,
)
from winkmon.ble.hub import SensorCounters, SensorHub, open_hub
from winkmon.ble.link import IncompatibleSensorError, SensorLink
from winkmon.ble.scan import FoundSensor, discover_sensors, read_battery, role_from_name

__all__ = [
    "FoundSensor",
    "HubConfig",
    "HubEvent",
    "IncompatibleSensorError",
    "LinkState",
    "LinkStateKind",
    "Notification",
    "SensorCounters",
    "SensorHub",
    "SensorLink",
    "StatusUpdate",
    "TimeSync",
    "discover_sensors",
    "open_hub",
    "read_battery",
    "role_from_name",
]

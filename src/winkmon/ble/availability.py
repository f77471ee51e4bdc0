"""Telling "this machine has no usable Bluetooth" apart from "this sensor did not answer".

Without BlueZ (Linux) the system D-Bus socket or the ``org.bluez`` service is missing and bleak
lets a raw ``FileNotFoundError`` or a D-Bus error through; without an adapter, or with it
switched off, bleak raises :class:`~bleak.exc.BleakBluetoothNotAvailableError`. Either way no
sensor can ever be reached, so the user needs one line saying what is missing and what to do,
not a traceback and not a retry loop.
"""

from __future__ import annotations

import sys

from bleak.exc import (
    BleakBluetoothNotAvailableError,
    BleakBluetoothNotAvailableReason,
    BleakDBusError,
)

from winkmon.errors import BleError


class NoBluetoothError(BleError):
    """This machine cannot use Bluetooth at all (no stack, no adapter, switched off, denied)."""


_FIX = {
    "linux": "start it with `sudo systemctl start bluetooth` (Debian/Ubuntu: "
    "`sudo apt-get install bluez`), plug in a Bluetooth LE adapter, and check `bluetoothctl show`",
    "darwin": "switch Bluetooth on and allow this terminal to use it (System Settings > "
    "Privacy & Security > Bluetooth)",
    "win32": "switch Bluetooth on (Settings > Bluetooth & devices) or plug in an adapter",
}

_REASON = {
    BleakBluetoothNotAvailableReason.NO_BLUETOOTH: "no Bluetooth adapter found",
    BleakBluetoothNotAvailableReason.NO_BLE_CENTRAL_ROLE: "the Bluetooth adapter has no LE "
    "central role (a Bluetooth 4.0 LE adapter is needed)",
    BleakBluetoothNotAvailableReason.POWERED_OFF: "the Bluetooth adapter is switched off",
    BleakBluetoothNotAvailableReason.DENIED_BY_USER: "Bluetooth access was denied",
    BleakBluetoothNotAvailableReason.DENIED_BY_SYSTEM: "Bluetooth access was denied by the system",
    BleakBluetoothNotAvailableReason.DENIED_BY_UNKNOWN: "Bluetooth access was denied",
    BleakBluetoothNotAvailableReason.UNKNOWN: "Bluetooth is not available",
}

#: D-Bus errors meaning BlueZ itself is not there (the bus is, the service is not).
_NO_BLUEZ_DBUS = (
    "org.freedesktop.DBus.Error.ServiceUnknown",
    "org.freedesktop.DBus.Error.NameHasNoOwner",
    "org.freedesktop.DBus.Error.Spawn.ServiceNotFound",
)


def no_bluetooth(exc: BaseException, platform: str | None = None) -> NoBluetoothError | None:
    """The :class:`NoBluetoothError` that ``exc`` amounts to, or None if it is about one
    sensor rather than the machine's Bluetooth."""
    platform = sys.platform if platform is None else platform
    fix = _FIX.get(platform, _FIX["linux"])
    if isinstance(exc, BleakBluetoothNotAvailableError):
        reason = _REASON.get(exc.reason, "Bluetooth is not available")
    elif isinstance(exc, BleakDBusError) and exc.dbus_error in _NO_BLUEZ_DBUS:
        reason = "BlueZ (the Linux Bluetooth service) is not running"
    elif platform.startswith("linux") and isinstance(
        exc, FileNotFoundError | ConnectionRefusedError
    ):
        # The system D-Bus socket is missing or refuses: no D-Bus, hence no BlueZ.
        reason = "BlueZ is not running (no system D-Bus to reach it)"
    else:
        return None
    return NoBluetoothError(f"No Bluetooth: {reason}; {fix}")

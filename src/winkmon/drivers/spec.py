"""The host side of a vendor driver: how a link configures, starts and stops one device kind.

:class:`LinkDriver` is what :class:`~winkmon.ble.driver_link.DriverLink` needs from a device
kind; the link owns connecting, reconnecting, host time stamps, the order of events (a
:class:`~winkmon.session.contract.StreamStarted` before the segment's first notification) and
link-state changes. The driver only speaks the vendor's GATT protocol through bleak's public
API (``BleakClient``). A driver object is stateless between connections (one per link).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from bleak import BleakClient

#: Gets each DATA notification's bytes; the link stamps the host time (called on the loop).
DataCallback = Callable[[bytes], None]


@dataclass(frozen=True, slots=True)
class StreamSpec:
    """What a driver started: the decoder that reads it, the rate, the parameters the decoder
    needs (JSON-able: stored in recordings) and what the device said about itself."""

    decoder: str
    rate_hz: float
    params: Mapping[str, object] = field(default_factory=dict)
    info: Mapping[str, object] = field(default_factory=dict)


class LinkDriver(Protocol):
    """Configures and starts one device kind over a connected ``BleakClient``."""

    @property
    def kind(self) -> str:
        """The kind's name (``polar-verity``, ...), as profiles and ``--sensor-kind`` say it."""
        ...

    async def start(self, client: BleakClient, on_data: DataCallback) -> StreamSpec:
        """Subscribe, configure and start acc + gyro streaming; raises
        :class:`~winkmon.errors.BleError` with a clear message if the device refuses."""
        ...

    async def stop(self, client: BleakClient) -> None:
        """Stop streaming (best effort: the link may be going away)."""
        ...

    async def battery_pct(self, client: BleakClient) -> int | None:
        """The battery level, if the device offers one (None otherwise)."""
        ...


__all__ = ["DataCallback", "LinkDriver", "StreamSpec"]

"""Configuration of the BLE client (one dataclass; every field with unit and default)."""

from __future__ import annotations

from dataclasses import dataclass, field

from winkmon.errors import InputError
from winkmon.protocol.constants import Role
from winkmon.protocol.records import StartParams


@dataclass(frozen=True, slots=True)
class HubConfig:
    """How :class:`~winkmon.ble.hub.SensorHub` finds, connects and drives the two sensors."""

    #: The sensors this session uses: both, or the sacrum alone (an athlete with one sensor,
    #: or whose lumbar sensor is flat: reps, depth and pelvic tilt, no lumbopelvic angle).
    roles: tuple[Role, ...] = (Role.SACRUM, Role.LUMBAR)
    #: Bluetooth address of the sacrum sensor; None: discover it by its advertised role.
    sacrum: str | None = None
    #: Bluetooth address of the lumbar sensor; None: discover it by its advertised role.
    lumbar: str | None = None
    #: START parameters (rate, ranges, batching) sent to both sensors.
    start: StartParams = field(default_factory=StartParams)
    scan_timeout_s: float = 10.0  #: longest a discovery scan runs, s
    connect_timeout_s: float = 10.0  #: longest one connect (incl. service discovery) takes, s
    ctrl_timeout_s: float = 2.0  #: longest a CTRL request waits for its response, s
    reconnect_initial_s: float = 0.25  #: first delay before a reconnect attempt, s
    reconnect_max_s: float = 8.0  #: the delay doubles per failed attempt up to this, s
    #: give up reconnecting after this long (the link goes DISCONNECTED); None: never
    reconnect_give_up_s: float | None = None
    time_sync_pings: int = 5  #: TIME_SYNC round trips right after each connect
    time_sync_interval_s: float = 10.0  #: period of one further TIME_SYNC round trip, s
    #: write SET_ROLE when a sensor's stored role differs from the role it is bound to
    set_role: bool = True
    #: the kind of sensor bound to each role (``winkmon.drivers.KINDS``); missing: winkmon
    kinds: dict[Role, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.roles or len(set(self.roles)) != len(self.roles):
            raise InputError("roles must name one or both sensors, each once")
        if any(r not in (Role.SACRUM, Role.LUMBAR) for r in self.roles):
            raise InputError("roles may only be SACRUM and LUMBAR")

    def kind(self, role: Role) -> str:
        """The kind of sensor bound to ``role`` (default ``winkmon``)."""
        return self.kinds.get(role, "winkmon")

    def address(self, role: Role) -> str | None:
        if role is Role.SACRUM:
            return self.sacrum
        if role is Role.LUMBAR:
            return self.lumbar
        return None

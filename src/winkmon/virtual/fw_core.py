"""The firmware core (``firmware_protocol/core/``) built for this machine and driven from Python.

This is the "firmware in the loop" half of :mod:`winkmon.virtual.fw_sensor`: the very C code a
winkmon sensor board runs, compiled with the machine's C compiler into a shared library (once
per source version, into a cache directory) and loaded with :mod:`ctypes`. :class:`FirmwareCore`
plays the board: it hands the core a clock, an IMU, a flash record and a motor, and collects
the notifications the core sends in :attr:`FirmwareCore.outbox`.

Everything here is synchronous and quick; the C code never blocks and calls back only from
inside the :class:`FirmwareCore` methods, on the caller's thread.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from winkmon.errors import WinkmonError
from winkmon.protocol.constants import Capability, Role

#: ``firmware_protocol/`` of this checkout (the core is built from source, not installed).
FIRMWARE_DIR = Path(__file__).resolve().parents[3] / "firmware_protocol"
CORE_SOURCES = ("c/winkmon_protocol.c", "core/wm_core.c")
CORE_HEADERS = ("c/winkmon_protocol.h", "core/wm_core.h")
#: Flags of the host build: the same warnings as the board build, no floating point.
HOST_CFLAGS = (
    "-std=c99",
    "-O2",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-pedantic",
    "-DWM_NO_FLOAT",
    "-fPIC",
    "-shared",
)

# Notification channels (WM_CH_* in wm_core.h).
CH_DATA = 0
CH_CTRL = 1
CH_STATUS = 2
FLASH_RECORD_BYTES = 4


class FirmwareBuildError(WinkmonError):
    """The firmware core could not be built or loaded on this machine."""


# ---------------------------------------------------------------------- building
def _compiler() -> str:
    for name in (os.environ.get("CC", ""), "cc", "gcc", "clang"):
        if name and shutil.which(name):
            return name
    raise FirmwareBuildError(
        "the winkmon-fw sensor needs a C compiler to build the firmware core; "
        "install one (e.g. apt-get install gcc) or use --sensor-kind winkmon"
    )


def _source_digest(firmware_dir: Path) -> str:
    h = hashlib.sha256()
    for rel in (*CORE_SOURCES, *CORE_HEADERS):
        path = firmware_dir / rel
        if not path.is_file():
            raise FirmwareBuildError(
                f"the firmware sources are missing ({path}): winkmon-fw runs from a winkmon "
                "checkout; use --sensor-kind winkmon otherwise"
            )
        h.update(rel.encode() + b"\0" + path.read_bytes())
    h.update(" ".join(HOST_CFLAGS).encode())
    return h.hexdigest()[:16]


def build_core_library(
    out_dir: Path | None = None, firmware_dir: Path = FIRMWARE_DIR, extra_flags: Sequence[str] = ()
) -> Path:
    """Compile the core into a shared library; return its path.

    With ``out_dir`` None the library goes to a per-user cache directory named after a hash of
    the sources, so it is built once per source version (and rebuilt when they change).
    """
    digest = _source_digest(firmware_dir)
    if out_dir is None:
        uid = os.getuid() if hasattr(os, "getuid") else 0
        out_dir = Path(tempfile.gettempdir()) / f"winkmon-fw-{uid}" / digest
        lib = out_dir / "libwm_core.so"
        if lib.is_file() and not extra_flags:
            return lib
    lib = out_dir / "libwm_core.so"
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / f".libwm_core.{os.getpid()}.so"
    cmd = [
        _compiler(),
        *HOST_CFLAGS,
        *extra_flags,
        f"-I{firmware_dir / 'c'}",
        f"-I{firmware_dir / 'core'}",
        *(str(firmware_dir / s) for s in CORE_SOURCES),
        "-o",
        str(tmp),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise FirmwareBuildError(f"building the firmware core failed: {proc.stderr.strip()}")
    os.replace(tmp, lib)  # atomic: a concurrent build never sees half a library
    return lib


@cache
def load_core_library(path: Path | None = None) -> ctypes.CDLL:
    """The core as a :class:`ctypes.CDLL` (built first if needed), with its signatures set."""
    lib = ctypes.CDLL(str(path if path is not None else build_core_library()))
    core_p = ctypes.c_void_p
    u8p = ctypes.POINTER(ctypes.c_uint8)
    sigs: dict[str, tuple[object, list[object]]] = {
        "wm_core_init": (None, [core_p, ctypes.POINTER(_Board), ctypes.POINTER(_Config)]),
        "wm_core_connected": (None, [core_p, ctypes.c_uint16, ctypes.c_uint16]),
        "wm_core_set_mtu": (None, [core_p, ctypes.c_uint16]),
        "wm_core_disconnected": (None, [core_p]),
        "wm_core_ctrl_write": (None, [core_p, ctypes.c_char_p, ctypes.c_size_t]),
        "wm_core_push_samples": (
            None,
            [core_p, ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint, ctypes.c_uint],
        ),
        "wm_core_poll": (None, [core_p]),
        "wm_core_set_battery": (None, [core_p, ctypes.c_uint8, ctypes.c_int16]),
        "wm_core_info": (ctypes.c_size_t, [core_p, u8p, ctypes.c_size_t]),
        "wm_core_status": (ctypes.c_size_t, [core_p, u8p, ctypes.c_size_t]),
        "wm_core_role": (ctypes.c_uint8, [core_p]),
        "wm_core_streaming": (ctypes.c_int, [core_p]),
        "wm_core_stats": (ctypes.POINTER(CoreStats), [core_p]),
        "wm_core_state_bytes": (ctypes.c_size_t, []),
    }
    for name, (restype, argtypes) in sigs.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


# ---------------------------------------------------------------------- C structures
_NotifyFn = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.c_void_p, ctypes.c_uint8, ctypes.POINTER(ctypes.c_uint8), ctypes.c_uint16
)
_NowFn = ctypes.CFUNCTYPE(ctypes.c_uint32, ctypes.c_void_p)
_ImuStartFn = ctypes.CFUNCTYPE(
    ctypes.c_int,
    ctypes.c_void_p,
    ctypes.c_uint16,
    ctypes.c_uint8,
    ctypes.c_uint8,
    ctypes.c_uint8,
    ctypes.POINTER(ctypes.c_uint16),
)
_ImuStopFn = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_FlashFn = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(ctypes.c_uint8), ctypes.c_uint16
)
_MotorFn = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint8)


class _Board(ctypes.Structure):
    _fields_ = [
        ("ctx", ctypes.c_void_p),
        ("notify", _NotifyFn),
        ("now_us", _NowFn),
        ("imu_start", _ImuStartFn),
        ("imu_stop", _ImuStopFn),
        ("flash_read", _FlashFn),
        ("flash_write", _FlashFn),
        ("motor", _MotorFn),
    ]


class _Config(ctypes.Structure):
    _fields_ = [
        ("fw_major", ctypes.c_uint8),
        ("fw_minor", ctypes.c_uint8),
        ("fw_patch", ctypes.c_uint8),
        ("capabilities", ctypes.c_uint16),
        ("max_rate_hz", ctypes.c_uint16),
        ("acc_ranges_mask", ctypes.c_uint8),
        ("gyr_ranges_mask", ctypes.c_uint8),
        ("default_role", ctypes.c_uint8),
        ("imu_part", ctypes.c_char * 13),
        ("serial", ctypes.c_char * 15),
    ]


class CoreStats(ctypes.Structure):
    """``wm_core_stats_t``: the core's counters (all wrap at 2^32)."""

    _fields_ = [
        ("samples_in", ctypes.c_uint32),
        ("samples_queued", ctypes.c_uint32),
        ("samples_sent", ctypes.c_uint32),
        ("samples_dropped", ctypes.c_uint32),
        ("notifications_sent", ctypes.c_uint32),
        ("notify_busy", ctypes.c_uint32),
        ("ctrl_requests", ctypes.c_uint32),
        ("starts", ctypes.c_uint32),
        ("buzzes", ctypes.c_uint32),
        ("last_buzz_pattern", ctypes.c_uint8),
        ("last_buzz_ms", ctypes.c_uint16),
        ("identifies", ctypes.c_uint32),
        ("last_identify_s", ctypes.c_uint8),
        ("flash_writes", ctypes.c_uint32),
    ]


# ---------------------------------------------------------------------- the board, from Python
@dataclass(frozen=True, slots=True)
class CoreConfig:
    """What the sensor is (the fixed part of INFO), as the board gives it to the core."""

    fw_version: tuple[int, int, int] = (1, 0, 0)
    capabilities: Capability = (
        Capability.HAPTIC | Capability.LED | Capability.TIME_SYNC | Capability.COMPACT_FRAMES
    )
    max_rate_hz: int = 400  #: highest START rate accepted, Hz
    acc_ranges_mask: int = 0x0F  #: accelerometer range codes supported (bit c: code c)
    gyr_ranges_mask: int = 0x1F  #: gyroscope range codes supported
    default_role: Role = Role.UNASSIGNED  #: role when the flash holds none
    imu_part: str = "VIRTUAL"  #: ASCII, at most 12 characters
    serial: str = "VS000001"  #: ASCII, at most 14 characters

    def __post_init__(self) -> None:
        if len(self.imu_part) > 12 or len(self.serial) > 14:
            raise ValueError("imu_part holds 12 characters at most, serial 14")


class CoreBoard(Protocol):
    """The hardware a :class:`FirmwareCore` runs on (called from inside the core's calls)."""

    def now_us(self) -> int:
        """The device clock, µs (any integer; the core takes it modulo 2^32)."""
        ...

    def imu_start(self, rate_hz: int, acc_range: int, gyr_range: int, mag_on: bool) -> int | None:
        """Start the IMU; return the output data rate it runs at (Hz), or None if it cannot."""
        ...

    def imu_stop(self) -> None: ...

    def motor(self, on: bool) -> None: ...


def flash_record(role: Role) -> bytes:
    """The persistent record the core writes for ``role`` (to preload a board's flash)."""
    return bytes([0x77, 0x6D, 1, int(role)])


class FirmwareCore:
    """One instance of the C core with a Python board (see module doc).

    Notifications the core sends land in :attr:`outbox` as ``(channel, payload)``, channel
    :data:`CH_DATA`, :data:`CH_CTRL` or :data:`CH_STATUS`. ``tx_capacity`` models the radio's
    transmit buffers: while the outbox holds that many entries, the core's notify is refused
    (and the core keeps its samples, dropping the oldest when its queue is full).
    """

    def __init__(
        self,
        board: CoreBoard,
        config: CoreConfig,
        flash: bytes | None = None,
        tx_capacity: int | None = None,
        library: ctypes.CDLL | None = None,
    ) -> None:
        self._lib = library if library is not None else load_core_library()
        self.board = board
        self.config = config
        self.flash: bytes | None = flash  #: the persistent record (None: erased)
        self.tx_capacity = tx_capacity
        self.outbox: deque[tuple[int, bytes]] = deque()
        self.motor_log: list[tuple[int, bool]] = []  #: (device time µs, on)
        self._error: BaseException | None = None
        self._state = ctypes.create_string_buffer(int(self._lib.wm_core_state_bytes()))
        # Keep the callbacks alive as long as the core: C holds bare pointers to them.
        self._callbacks = _Board(
            None,
            _NotifyFn(self._notify),
            _NowFn(self._now_us),
            _ImuStartFn(self._imu_start),
            _ImuStopFn(self._imu_stop),
            _FlashFn(self._flash_read),
            _FlashFn(self._flash_write),
            _MotorFn(self._motor),
        )
        c_config = _Config(
            *config.fw_version,
            int(config.capabilities),
            config.max_rate_hz,
            config.acc_ranges_mask,
            config.gyr_ranges_mask,
            int(config.default_role),
            config.imu_part.encode("ascii"),
            config.serial.encode("ascii"),
        )
        self._call(
            self._lib.wm_core_init,
            ctypes.byref(self._callbacks),
            ctypes.byref(c_config),
        )

    # ------------------------------------------------------------------ callbacks (from C)
    def _guard(self, exc: BaseException) -> None:
        if self._error is None:
            self._error = exc

    def _notify(self, _ctx: object, channel: int, buf: Any, length: int) -> int:
        try:
            if self.tx_capacity is not None and len(self.outbox) >= self.tx_capacity:
                return 0
            self.outbox.append((int(channel), ctypes.string_at(buf, length)))
            return 1
        except BaseException as exc:  # an exception must not unwind through C
            self._guard(exc)
            return 0

    def _now_us(self, _ctx: object) -> int:
        try:
            return self.board.now_us() & 0xFFFFFFFF
        except BaseException as exc:
            self._guard(exc)
            return 0

    def _imu_start(
        self, _ctx: object, rate: int, acc: int, gyr: int, mag: int, odr_out: Any
    ) -> int:
        try:
            odr = self.board.imu_start(int(rate), int(acc), int(gyr), bool(mag))
            if odr is None:
                return 1
            odr_out[0] = odr
            return 0
        except BaseException as exc:
            self._guard(exc)
            return 1

    def _imu_stop(self, _ctx: object) -> None:
        try:
            self.board.imu_stop()
        except BaseException as exc:
            self._guard(exc)

    def _flash_read(self, _ctx: object, buf: Any, length: int) -> int:
        if self.flash is None or len(self.flash) < length:
            return 1
        ctypes.memmove(buf, self.flash, length)
        return 0

    def _flash_write(self, _ctx: object, buf: Any, length: int) -> int:
        self.flash = ctypes.string_at(buf, length)
        return 0

    def _motor(self, _ctx: object, on: int) -> None:
        try:
            self.motor_log.append((self.board.now_us(), bool(on)))
            self.board.motor(bool(on))
        except BaseException as exc:
            self._guard(exc)

    def _call(self, fn: Any, *args: object) -> Any:
        result = fn(self._state, *args)
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        return result

    # ------------------------------------------------------------------ the core's API
    def connected(self, att_mtu: int, conn_interval_1250us: int) -> None:
        self._call(self._lib.wm_core_connected, att_mtu, conn_interval_1250us)

    def set_mtu(self, att_mtu: int) -> None:
        self._call(self._lib.wm_core_set_mtu, att_mtu)

    def disconnected(self) -> None:
        self._call(self._lib.wm_core_disconnected)

    def ctrl_write(self, request: bytes) -> None:
        self._call(self._lib.wm_core_ctrl_write, request, len(request))

    def push_samples(self, raw: npt.ArrayLike, lost: int = 0) -> None:
        """IMU FIFO samples in: ``raw`` is (n, 6|9) int16 counts at the START ranges."""
        arr = np.ascontiguousarray(raw, dtype=np.int16)
        if arr.ndim != 2 or arr.shape[1] not in (6, 9):
            raise ValueError("raw samples must be (n, 6) or (n, 9) int16 counts")
        self._call(
            self._lib.wm_core_push_samples,
            arr.ctypes.data_as(ctypes.c_void_p),
            arr.shape[0],
            arr.shape[1],
            lost,
        )

    def poll(self) -> None:
        self._call(self._lib.wm_core_poll)

    def set_battery(self, battery_pct: int | None, temperature_C: float) -> None:
        pct = 255 if battery_pct is None else battery_pct
        self._call(self._lib.wm_core_set_battery, pct, round(temperature_C * 100))

    def info(self) -> bytes:
        buf = (ctypes.c_uint8 * 40)()
        n = int(self._call(self._lib.wm_core_info, buf, len(buf)))
        return bytes(buf[:n])

    def status(self) -> bytes:
        buf = (ctypes.c_uint8 * 14)()
        n = int(self._call(self._lib.wm_core_status, buf, len(buf)))
        return bytes(buf[:n])

    @property
    def role(self) -> Role:
        return Role(int(self._call(self._lib.wm_core_role)))

    @property
    def streaming(self) -> bool:
        return bool(self._call(self._lib.wm_core_streaming))

    @property
    def stats(self) -> CoreStats:
        """A copy of the core's counters now."""
        ptr = self._call(self._lib.wm_core_stats)
        return CoreStats.from_buffer_copy(ptr.contents)

    def take(self) -> list[tuple[int, bytes]]:
        """Everything in the outbox, oldest first (the outbox is emptied)."""
        out = list(self.outbox)
        self.outbox.clear()
        return out

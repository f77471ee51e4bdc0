"""Property tests of the Python codec: decoders raise nothing but FrameError on any input, and
every valid message survives an encode/decode round trip byte for byte."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from winkmon.errors import FrameError
from winkmon.protocol import (
    CtrlRequest,
    CtrlResponse,
    CtrlStatus,
    DataFrame,
    FrameFlags,
    FrameType,
    Op,
    Role,
    SensorInfo,
    SensorStatus,
    StartParams,
)
from winkmon.protocol.constants import Capability

FUZZ = settings(max_examples=400, deadline=None)

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
roles = st.sampled_from(list(Role))


def _prefixed(first: list[int]) -> st.SearchStrategy[bytes]:
    """Arbitrary bytes, often starting with a plausible type and version so decoders get past
    their first checks."""
    head = st.tuples(st.sampled_from(first), st.sampled_from([0, 1, 1, 1, 2])).map(bytes)
    return st.one_of(st.binary(max_size=80), st.builds(bytes.__add__, head, st.binary(max_size=80)))


def _decodes_or_frame_error(decode: Callable[[bytes], object], data: bytes) -> None:
    with contextlib.suppress(FrameError):
        decode(data)


# ---------------------------------------------------------------------- arbitrary bytes
@FUZZ
@given(_prefixed([0x01, 0x02, 0x03, 0x10]))
def test_data_frame_from_arbitrary_bytes_raises_only_frame_error(data: bytes) -> None:
    _decodes_or_frame_error(DataFrame.from_bytes, data)


@FUZZ
@given(_prefixed([0x10, 0x01]))
def test_status_from_arbitrary_bytes_raises_only_frame_error(data: bytes) -> None:
    _decodes_or_frame_error(SensorStatus.from_bytes, data)


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=60), st.binary(min_size=39, max_size=41).map(lambda b: b"\x01" + b[1:])
    )
)
def test_info_from_arbitrary_bytes_raises_only_frame_error(data: bytes) -> None:
    _decodes_or_frame_error(SensorInfo.from_bytes, data)


@FUZZ
@given(st.binary(max_size=40))
def test_ctrl_from_arbitrary_bytes_raises_only_frame_error(data: bytes) -> None:
    _decodes_or_frame_error(CtrlRequest.from_bytes, data)
    _decodes_or_frame_error(CtrlResponse.from_bytes, data)
    _decodes_or_frame_error(CtrlResponse.from_bytes, b"\xf0" + data)
    _decodes_or_frame_error(StartParams.from_bytes, data)


# ---------------------------------------------------------------------- DATA round trips
@st.composite
def full_frames(draw: st.DrawFn) -> DataFrame:
    mag = draw(st.booleans())
    n = draw(st.one_of(st.integers(0, 8), st.just(255)))
    flags = FrameFlags(draw(st.integers(0, 0x3F)) & ~FrameFlags.MAG_PRESENT)
    raw = draw(hnp.arrays(np.int16, (n, 9 if mag else 6)))
    return DataFrame(
        frame_type=FrameType.DATA,
        role=draw(roles),
        seq=draw(u16),
        first_index=draw(u32),
        t_dev_us=draw(u32),
        acc_range=draw(st.integers(0, 3)),
        gyr_range=draw(st.integers(0, 4)),
        flags=flags | (FrameFlags.MAG_PRESENT if mag else FrameFlags.NONE),
        raw=raw,
    )


@st.composite
def compact_frames(draw: st.DrawFn) -> DataFrame:
    n = draw(st.one_of(st.integers(1, 8), st.just(255)))
    return DataFrame(
        frame_type=FrameType.DATA_COMPACT,
        role=draw(roles),
        seq=draw(u16),
        first_index=draw(u16),
        t_dev_us=None,
        acc_range=None,
        gyr_range=None,
        flags=FrameFlags.NONE,
        raw=draw(hnp.arrays(np.int16, (n, 6))),
    )


def _same_frame(a: DataFrame, b: DataFrame) -> None:
    assert (a.frame_type, a.role, a.seq, a.first_index, a.t_dev_us) == (
        b.frame_type, b.role, b.seq, b.first_index, b.t_dev_us,
    )  # fmt: skip
    assert (a.acc_range, a.gyr_range, a.flags, a.version) == (
        b.acc_range, b.gyr_range, b.flags, b.version,
    )  # fmt: skip
    np.testing.assert_array_equal(a.raw, b.raw)
    assert a.raw.shape == b.raw.shape and a.raw.dtype == b.raw.dtype


@FUZZ
@given(st.one_of(full_frames(), compact_frames()))
def test_data_frame_round_trip(frame: DataFrame) -> None:
    wire = bytes(frame)
    header = 8 if frame.frame_type is FrameType.DATA_COMPACT else 16
    assert len(wire) == header + frame.n * (18 if frame.has_mag else 12)
    back = DataFrame.from_bytes(wire)
    _same_frame(back, frame)
    assert bytes(back) == wire


@FUZZ
@given(full_frames(), st.integers(1, 3))
def test_reserved_flag_bits_are_ignored(frame: DataFrame, reserved: int) -> None:
    wire = bytearray(bytes(frame))
    wire[15] |= reserved << 6
    back = DataFrame.from_bytes(bytes(wire))
    _same_frame(back, frame)


@FUZZ
@given(st.one_of(full_frames(), compact_frames()), st.data())
def test_truncated_or_extended_frames_are_rejected(frame: DataFrame, data: st.DataObject) -> None:
    wire = bytes(frame)
    cut = data.draw(st.integers(0, len(wire) - 1))
    extra = data.draw(st.binary(min_size=1, max_size=20))
    for bad in (wire[:cut], wire + extra):
        try:
            DataFrame.from_bytes(bad)
        except FrameError:
            continue
        # n and the flags fix the length, so no shorter or longer buffer is a valid frame.
        raise AssertionError(f"accepted {bad.hex()}")


# ---------------------------------------------------------------------- records round trips
@st.composite
def statuses(draw: st.DrawFn) -> SensorStatus:
    return SensorStatus(
        battery_pct=draw(st.one_of(st.none(), st.integers(0, 100))),
        temperature_C=draw(st.integers(-32768, 32767)) / 100.0,
        fifo_overflows=draw(u16),
        tx_dropped=draw(u16),
        conn_interval_ms=draw(u16) * 1.25,
        att_mtu=draw(u16),
    )


@FUZZ
@given(statuses())
def test_status_round_trip(status: SensorStatus) -> None:
    wire = bytes(status)
    assert len(wire) == 14
    back = SensorStatus.from_bytes(wire)
    assert back == status
    assert bytes(back) == wire


ascii_text = st.text(st.characters(min_codepoint=1, max_codepoint=127), max_size=12)


@st.composite
def infos(draw: st.DrawFn) -> SensorInfo:
    return SensorInfo(
        protocol_version=1,
        fw_version=(draw(u8), draw(u8), draw(u8)),
        capabilities=Capability(draw(st.integers(0, 0x1F))),
        max_rate_hz=draw(u16),
        acc_ranges_mask=draw(u8),
        gyr_ranges_mask=draw(u8),
        mag_lsb_nT=draw(u16),
        role=draw(roles),
        imu_part=draw(ascii_text),
        serial=draw(st.text(st.characters(min_codepoint=1, max_codepoint=127), max_size=14)),
    )


@FUZZ
@given(infos())
def test_info_round_trip(info: SensorInfo) -> None:
    wire = bytes(info)
    assert len(wire) == 40
    back = SensorInfo.from_bytes(wire)
    assert back == info
    assert bytes(back) == wire


@FUZZ
@given(st.sampled_from(list(Op)), u8, st.binary(max_size=30))
def test_ctrl_request_round_trip(op: Op, req_id: int, params: bytes) -> None:
    req = CtrlRequest(op, req_id, params)
    back = CtrlRequest.from_bytes(bytes(req))
    assert back == req and bytes(back) == bytes(req)


@FUZZ
@given(u8, u8, st.sampled_from(list(CtrlStatus)), st.binary(max_size=48))
def test_ctrl_response_round_trip(op: int, req_id: int, status: CtrlStatus, data: bytes) -> None:
    resp = CtrlResponse(op, req_id, status, data)
    back = CtrlResponse.from_bytes(bytes(resp))
    assert back == resp and bytes(back) == bytes(resp)


@FUZZ
@given(u16, u8, u8, st.booleans(), u8, u16)
def test_start_params_round_trip(
    rate: int, acc: int, gyr: int, mag: bool, batch: int, flush: int
) -> None:
    params = StartParams(rate, acc, gyr, mag, batch, flush)
    back = StartParams.from_bytes(bytes(params))
    assert back == params and bytes(back) == bytes(params)

"""The Python codec against the committed vectors in ``firmware_protocol/vectors/``."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from protocol_vectors import (
    DECODERS,
    VECTORS_DIR,
    Vector,
    data_vectors,
    frame_dict,
    ids,
    malformed_vectors,
    python_decode,
    record_vectors,
)

from winkmon.errors import FrameError, FrameErrorKind
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
    decode_frame,
)
from winkmon.protocol.constants import Capability

DATA = data_vectors()
RECORDS = record_vectors()
MALFORMED = malformed_vectors()


def _si(values: list[list[float]]) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).reshape(-1, 3)


# ---------------------------------------------------------------------- DATA frames
@pytest.mark.parametrize("vec", DATA, ids=ids(DATA))
def test_data_vector_decodes_to_expected_fields(vec: Vector) -> None:
    frame = decode_frame(bytes.fromhex(vec["hex"]))
    assert frame_dict(frame) == vec["expected"]
    assert frame.raw.dtype == np.int16
    assert frame.raw.shape == (vec["expected"]["n"], 9 if frame.has_mag else 6)


@pytest.mark.parametrize(
    "vec", [v for v in DATA if "si" in v], ids=ids(v for v in DATA if "si" in v)
)
def test_data_vector_si_values(vec: Vector) -> None:
    frame = decode_frame(bytes.fromhex(vec["hex"]))
    si = vec["si"]
    np.testing.assert_allclose(frame.acc_m_s2, _si(si["acc_m_s2"]), rtol=1e-15, atol=0)
    np.testing.assert_allclose(frame.gyr_rad_s, _si(si["gyr_rad_s"]), rtol=1e-15, atol=0)
    if si["mag_uT"] is None:
        assert frame.mag_uT is None
    else:
        assert frame.mag_uT is not None
        np.testing.assert_allclose(frame.mag_uT, _si(si["mag_uT"]), rtol=1e-15, atol=0)


@pytest.mark.parametrize("vec", DATA, ids=ids(DATA))
def test_data_vector_reencodes_byte_for_byte(vec: Vector) -> None:
    frame = decode_frame(bytes.fromhex(vec["hex"]))
    assert bytes(frame).hex() == vec.get("reencoded_hex", vec["hex"])


@pytest.mark.parametrize("vec", DATA, ids=ids(DATA))
def test_data_vector_encodes_from_fields(vec: Vector) -> None:
    """Encoding from the expected fields alone (not from a decoded frame) gives the bytes."""
    e = vec["expected"]
    width = 9 if e["flags"] & FrameFlags.MAG_PRESENT else 6
    frame = DataFrame(
        frame_type=FrameType(e["frame_type"]),
        role=Role(e["role"]),
        seq=e["seq"],
        first_index=e["first_index"],
        t_dev_us=e["t_dev_us"],
        acc_range=e["acc_range"],
        gyr_range=e["gyr_range"],
        flags=FrameFlags(e["flags"]),
        raw=np.asarray(e["raw"], dtype=np.int16).reshape(-1, width),
    )
    assert bytes(frame).hex() == vec.get("reencoded_hex", vec["hex"])


def test_hand_checked_frame() -> None:
    """The first vector of the README, spelled out."""
    frame = DataFrame.from_bytes(
        bytes.fromhex("01 01 01 01 0100 00000000 00000000 32 00 0000 0000 0010 0080 0000 0000")
    )
    assert (frame.role, frame.n, frame.seq, frame.acc_range, frame.gyr_range) == (
        Role.SACRUM, 1, 1, 2, 3,
    )  # fmt: skip
    assert frame.acc_m_s2[0].tolist() == [0.0, 0.0, 9.80665]  # 4096 counts at +-8 g is 1 g
    assert frame.gyr_rad_s[0, 0] == pytest.approx(-np.deg2rad(1000.0), rel=1e-15)


# ---------------------------------------------------------------------- records
def _record_object(kind: str, e: dict[str, Any]) -> Any:
    if kind == "status":
        return SensorStatus(
            None if e["battery_pct"] == 255 else e["battery_pct"],
            e["temperature_cC"] / 100.0,
            e["fifo_overflows"],
            e["tx_dropped"],
            e["conn_interval_1250us"] * 1.25,
            e["att_mtu"],
        )
    if kind == "info":
        return SensorInfo(
            e["protocol_version"],
            (e["fw_major"], e["fw_minor"], e["fw_patch"]),
            Capability(e["capabilities"]),
            e["max_rate_hz"],
            e["acc_ranges_mask"],
            e["gyr_ranges_mask"],
            e["mag_lsb_nT"],
            Role(e["role"]),
            e["imu_part"],
            e["serial"],
        )
    if kind == "ctrl_request":
        return CtrlRequest(Op(e["op"]), e["req_id"], bytes.fromhex(e["params"]))
    if kind == "ctrl_response":
        return CtrlResponse(e["op"], e["req_id"], CtrlStatus(e["status"]), bytes.fromhex(e["data"]))
    assert kind == "start_params"
    return StartParams(
        e["rate_hz"], e["acc_range"], e["gyr_range"], bool(e["mag_on"]), e["max_batch"],
        e["flush_ms"],
    )  # fmt: skip


@pytest.mark.parametrize(("kind", "vec"), RECORDS, ids=ids(RECORDS))
def test_record_vector_decodes_to_expected_fields(kind: str, vec: Vector) -> None:
    assert python_decode(kind, bytes.fromhex(vec["hex"])) == {"ok": True, **vec["expected"]}


@pytest.mark.parametrize(("kind", "vec"), RECORDS, ids=ids(RECORDS))
def test_record_vector_reencodes_byte_for_byte(kind: str, vec: Vector) -> None:
    from_bytes, _ = DECODERS[kind]
    obj = from_bytes(bytes.fromhex(vec["hex"]))
    assert bytes(obj).hex() == vec.get("reencoded_hex", vec["hex"])


@pytest.mark.parametrize(("kind", "vec"), RECORDS, ids=ids(RECORDS))
def test_record_vector_encodes_from_fields(kind: str, vec: Vector) -> None:
    obj = _record_object(kind, vec["expected"])
    assert bytes(obj).hex() == vec.get("reencoded_hex", vec["hex"])


def test_get_caps_response_carries_the_info_vector() -> None:
    resp = CtrlResponse.from_bytes(
        bytes.fromhex(next(v for k, v in RECORDS if v["name"] == "resp_get_caps")["hex"])
    )
    info = SensorInfo.from_bytes(resp.data)
    assert (info.imu_part, info.serial, info.role) == ("BMI270", "WM-0001A2B3", Role.SACRUM)
    assert info.capabilities == Capability(0x1F)


# ---------------------------------------------------------------------- malformed
@pytest.mark.parametrize("vec", MALFORMED, ids=ids(MALFORMED))
def test_malformed_vector_rejected_with_expected_kind(vec: Vector) -> None:
    from_bytes, _ = DECODERS[vec["decoder"]]
    with pytest.raises(FrameError) as info:
        from_bytes(bytes.fromhex(vec["hex"]))
    assert info.value.kind is FrameErrorKind(vec["error"]), info.value


def test_length_mismatch_message_says_short_or_long() -> None:
    by_name = {v["name"]: v for v in MALFORMED}
    for name, word in [("data_6d_truncated", "short by 1"), ("data_9d_one_long", "long by 1")]:
        with pytest.raises(FrameError, match=word):
            DataFrame.from_bytes(bytes.fromhex(by_name[name]["hex"]))


# ---------------------------------------------------------------------- the vector set itself
def test_vectors_cover_every_error_kind() -> None:
    assert {v["error"] for v in MALFORMED} == {k.value for k in FrameErrorKind}


def test_vectors_cover_the_required_cases() -> None:
    frames = [(v, bytes.fromhex(v["hex"])) for v in DATA]
    exp = [v["expected"] for v, _ in frames]
    assert any(e["frame_type"] == 1 and e["n"] and len(e["raw"][0]) == 6 for e in exp)
    assert any(e["frame_type"] == 1 and e["n"] and len(e["raw"][0]) == 9 for e in exp)
    assert any(e["frame_type"] == 1 and e["n"] == 0 for e in exp)  # anchor
    assert any(
        e["frame_type"] == 2 and len(b) == 23 - 3 for (v, b), e in zip(frames, exp, strict=True)
    )
    assert any(e["acc_range"] == 3 and e["gyr_range"] == 4 for e in exp)  # max ranges
    assert any(min(min(s) for s in e["raw"]) == -32768 for e in exp if e["n"])
    assert any(e["seq"] == 0xFFFF for e in exp)
    assert any(e["first_index"] == 0xFFFFFFFF and e["t_dev_us"] == 0xFFFFFFFF for e in exp)
    assert any(b[15] & 0xC0 for (v, b), e in zip(frames, exp, strict=True) if e["frame_type"] == 1)
    names = {v["name"] for v in MALFORMED}
    assert {"data_6d_truncated", "data_6d_one_long", "compact_truncated"} <= names


def test_vector_files_match_their_generator() -> None:
    proc = subprocess.run(
        [sys.executable, str(VECTORS_DIR / "make_vectors.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


# ---------------------------------------------------------------------- encoder edge cases
def test_encoder_sends_reserved_flag_bits_as_zero() -> None:
    frame = DataFrame(
        FrameType.DATA, Role.SACRUM, 0, 0, 0, 2, 3, FrameFlags(0xC8), np.zeros((0, 6), np.int16)
    )
    assert bytes(frame)[15] == 0x08


def test_raw_counts_outside_int16_are_refused_not_wrapped() -> None:
    raw = np.array([[40000, 0, 0, 0, 0, 0]])
    with pytest.raises(ValueError, match="int16"):
        DataFrame(FrameType.DATA, Role.SACRUM, 0, 0, 0, 2, 3, FrameFlags.NONE, raw)
    ok = np.array([[32767, -32768, 0, 0, 0, 0]])  # int64, but every count fits
    frame = DataFrame(FrameType.DATA, Role.SACRUM, 0, 0, 0, 2, 3, FrameFlags.NONE, ok)
    assert DataFrame.from_bytes(bytes(frame)).raw.tolist() == ok.tolist()

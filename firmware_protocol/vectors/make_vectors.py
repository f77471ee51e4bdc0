"""Write the protocol test vectors: ``data_frames.json``, ``records.json``, ``malformed.json``.

The frames are built here with :mod:`struct` straight from the tables in ``../PROTOCOL.md``, on
purpose without importing winkmon: the vectors check the codecs, not the other way round. The
JSON files are committed; run this again (``python make_vectors.py``) only when adding a case,
and check the diff. ``python make_vectors.py --check`` fails if the files are out of date.
"""

from __future__ import annotations

import json
import math
import re
import struct
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

G = 9.80665
ACC_G = (2, 4, 8, 16)
GYR_DPS = (125, 250, 500, 1000, 2000)
MAG_PRESENT = 0x10


def acc_lsb(code: int) -> float:
    return ACC_G[code] * G / 32768.0


def gyr_lsb(code: int) -> float:
    return GYR_DPS[code] * math.pi / 180.0 / 32768.0


def pack_samples(raw: list[list[int]]) -> bytes:
    return b"".join(struct.pack(f"<{len(s)}h", *s) for s in raw)


def full_frame(
    role: int,
    seq: int,
    first_index: int,
    t_dev_us: int,
    acc: int,
    gyr: int,
    flags: int,
    raw: list[list[int]],
    *,
    n: int | None = None,
    version: int = 1,
    ftype: int = 0x01,
    ranges: int | None = None,
) -> bytes:
    n = len(raw) if n is None else n
    ranges = (acc | (gyr << 4)) if ranges is None else ranges
    head = struct.pack("<BBBBHIIBB", ftype, version, role, n, seq, first_index, t_dev_us,
                       ranges, flags)  # fmt: skip
    return head + pack_samples(raw)


def compact_frame(
    role: int, seq: int, index_lo: int, raw: list[list[int]], *, n: int | None = None,
    version: int = 1,
) -> bytes:  # fmt: skip
    n = len(raw) if n is None else n
    return struct.pack("<BBBBHH", 0x02, version, role, n, seq, index_lo) + pack_samples(raw)


def full_expected(
    role: int, seq: int, first_index: int, t_dev_us: int, acc: int, gyr: int, flags: int,
    raw: list[list[int]],
) -> dict[str, Any]:  # fmt: skip
    return {
        "frame_type": 1, "version": 1, "role": role, "n": len(raw), "seq": seq,
        "first_index": first_index, "t_dev_us": t_dev_us, "acc_range": acc, "gyr_range": gyr,
        "flags": flags & 0x3F, "raw": raw,
    }  # fmt: skip


def si(acc: int, gyr: int, flags: int, raw: list[list[int]]) -> dict[str, Any]:
    return {
        "acc_m_s2": [[v * acc_lsb(acc) for v in s[0:3]] for s in raw],
        "gyr_rad_s": [[v * gyr_lsb(gyr) for v in s[3:6]] for s in raw],
        "mag_uT": [[v * 0.1 for v in s[6:9]] for s in raw] if flags & MAG_PRESENT else None,
    }


def data_vectors() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def full(name: str, note: str, *args: Any, with_si: bool = False, **kw: Any) -> None:
        role, seq, first_index, t_dev_us, acc, gyr, flags, raw = args
        frame = full_frame(*args, **kw)
        vec: dict[str, Any] = {"name": name, "note": note, "hex": frame.hex()}
        vec["expected"] = full_expected(*args)
        if with_si:
            vec["si"] = si(acc, gyr, flags, raw)
        if flags & ~0x3F:
            clean = full_frame(role, seq, first_index, t_dev_us, acc, gyr, flags & 0x3F, raw)
            vec["reencoded_hex"] = clean.hex()
        out.append(vec)

    def compact(name: str, note: str, role: int, seq: int, index_lo: int, raw: list[list[int]]):
        out.append({
            "name": name, "note": note, "hex": compact_frame(role, seq, index_lo, raw).hex(),
            "expected": {
                "frame_type": 2, "version": 1, "role": role, "n": len(raw), "seq": seq,
                "first_index": index_lo, "t_dev_us": None, "acc_range": None, "gyr_range": None,
                "flags": 0, "raw": raw,
            },
        })  # fmt: skip

    full("full_6d_one_g",
         "sacrum, seq 1, index 0, t 0, +-8 g / +-1000 dps (ranges 0x32), az = 4096 = 1 g, "
         "gx = -32768 = -1000 dps", 1, 1, 0, 0, 2, 3, 0, [[0, 0, 4096, -32768, 0, 0]],
         with_si=True)  # fmt: skip
    full("full_6d_three_samples_negative",
         "lumbar, +-2 g / +-125 dps, mixed signs", 2, 300, 123456, 987654321, 0, 0,
         0x04 | 0x20, [[-1, 2, -3, 4, -5, 6], [16384, -16384, 0, 100, -100, 32767],
                       [-32768, 32767, -2, 1, 0, -1]], with_si=True)  # fmt: skip
    full("full_9d_mag",
         "sacrum, magnetometer present (flags 0x30: MAG_PRESENT | TIME_SYNCED), +-16 g / "
         "+-2000 dps", 1, 42, 1000, 2_000_000, 3, 4, 0x30,
         [[2048, 0, -2048, 164, -164, 0, 250, -431, 1000],
          [2049, 1, -2047, 165, -163, 1, 251, -430, -1000]], with_si=True)  # fmt: skip
    full("anchor_n0", "anchor: n = 0, 16 bytes, states the next index and its time",
         1, 7, 400, 1_000_000, 2, 3, 0, [])  # fmt: skip
    full("anchor_n0_mag_flag", "anchor with MAG_PRESENT: still 16 bytes (0 x 18)",
         2, 8, 400, 1_000_000, 2, 3, MAG_PRESENT, [], with_si=True)  # fmt: skip
    full("full_wrap_max", "seq, first_index and t_dev_us at their maxima (next ones wrap)",
         0, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 2, 3, 0, [[1, 2, 3, 4, 5, 6]])  # fmt: skip
    full("full_max_ranges_extremes",
         "+-16 g / +-2000 dps (ranges 0x43), every count at full scale, ACC_CLIP | GYR_CLIP",
         1, 10, 20, 30, 3, 4, 0x03,
         [[32767, -32768, 32767, -32768, 32767, -32768],
          [-32768, 32767, -32768, 32767, -32768, 32767]], with_si=True)  # fmt: skip
    full("full_min_ranges", "+-2 g / +-125 dps (ranges 0x00), role unassigned",
         0, 0, 0, 0, 0, 0, 0, [[16384, 0, 0, 0, 0, 262]], with_si=True)  # fmt: skip
    full("full_all_known_flags", "flags 0x3F: every defined flag, so 18-byte samples",
         1, 5, 6, 7, 1, 2, 0x3F, [[1, 2, 3, 4, 5, 6, 7, 8, 9]])  # fmt: skip
    full("full_reserved_flags_ignored",
         "flags 0xC8: reserved bits 6-7 set with LOW_BATTERY; decoders ignore them, "
         "re-encoding sends them as 0 (reencoded_hex)",
         1, 9, 10, 11, 2, 3, 0xC8, [[10, 20, 30, 40, 50, 60]])  # fmt: skip
    full("full_reserved_bit7_with_mag",
         "flags 0x90: reserved bit 7 with MAG_PRESENT", 2, 12, 13, 14, 2, 3, 0x90,
         [[-10, -20, -30, -40, -50, -60, -70, -80, -90]])  # fmt: skip
    big6 = [[((k * 6 + a) * 257) % 65536 - 32768 for a in range(6)] for k in range(255)]
    big9 = [[((k * 9 + a) * 331) % 65536 - 32768 for a in range(9)] for k in range(255)]
    full("full_255_samples_6d", "the most samples a frame can hold, 6-axis: 3076 bytes",
         1, 100, 0xFFFFFF00, 123, 2, 3, 0, big6)  # fmt: skip
    full("full_255_samples_9d", "the largest DATA frame: 255 samples with magnetometer, 4606 "
         "bytes", 2, 101, 0xFFFFFF01, 456, 1, 1, MAG_PRESENT, big9)  # fmt: skip
    compact("compact_mtu23_one_sample",
            "compact frame at MTU 23: 8 + 12 = 20 bytes; seq and index_lo at 0xFFFF",
            1, 0xFFFF, 0xFFFF, [[0, 0, 4096, 0, 0, -1]])  # fmt: skip
    compact("compact_three_samples", "compact, lumbar, index_lo 0",
            2, 0, 0, [[-32768, 32767, 0, 1, -1, 2], [3, 4, 5, 6, 7, 8],
                      [-9, -10, -11, -12, -13, -14]])  # fmt: skip
    compact("compact_255_samples", "compact frame at its largest: 8 + 255 x 12 = 3068 bytes",
            0, 1234, 0x8000, big6)  # fmt: skip
    return out


def records() -> dict[str, list[dict[str, Any]]]:
    st = struct.Struct("<BBBBhHHHH")
    status = []
    for name, note, fields in [
        ("status_typical", "87 %, 23.45 degC, 3 dropped, 7.5 ms interval, MTU 247",
         (87, 2345, 0, 3, 6, 247)),
        ("status_unknown_battery_negative_temp", "battery 255 = unknown, -10.50 degC",
         (255, -1050, 1, 2, 12, 23)),
        ("status_wrapping_counters", "counters at 0xFFFF, temperature at the i16 extremes",
         (0, -32768, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF)),
        ("status_full_battery_hot", "100 %, +327.67 degC (i16 max)", (100, 32767, 5, 0, 24, 185)),
    ]:  # fmt: skip
        batt, temp, fifo, txd, ci, mtu = fields
        status.append({
            "name": name, "note": note, "hex": st.pack(0x10, 1, batt, 0, *fields[1:]).hex(),
            "expected": {
                "battery_pct": batt, "temperature_cC": temp, "fifo_overflows": fifo,
                "tx_dropped": txd, "conn_interval_1250us": ci, "att_mtu": mtu,
            },
        })  # fmt: skip
    # A STATUS with the reserved byte set: ignored, re-encoded as 0.
    status.append({
        "name": "status_reserved_byte_ignored", "note": "reserved byte 3 = 0xAA",
        "hex": st.pack(0x10, 1, 50, 0xAA, 0, 0, 0, 6, 23).hex(),
        "reencoded_hex": st.pack(0x10, 1, 50, 0, 0, 0, 0, 6, 23).hex(),
        "expected": {"battery_pct": 50, "temperature_cC": 0, "fifo_overflows": 0,
                     "tx_dropped": 0, "conn_interval_1250us": 6, "att_mtu": 23},
    })  # fmt: skip

    inf = struct.Struct("<BBBBHHBBHBB12s14s")
    info = []
    for name, note, f, reserved, clean_caps in [
        ("info_typical", "fw 1.2.3, every capability, 400 Hz, all ranges, BMI270",
         (1, 1, 2, 3, 0x1F, 400, 0x0F, 0x1F, 100, 1, "BMI270", "WM-0001A2B3"), 0, None),
        ("info_minimal", "no capabilities, role unassigned, empty strings",
         (1, 0, 0, 1, 0, 100, 0x04, 0x08, 100, 0, "", ""), 0, None),
        ("info_full_width_strings", "imu_part 12 and serial 14 characters: no NUL at all",
         (1, 255, 255, 255, 0x09, 1600, 0x0F, 0x1F, 100, 2, "ICM-42688-PX", "SERIAL-1234567"),
         0, None),
        ("info_reserved_bits_ignored",
         "capability bits 5-15 and reserved byte 13 set: ignored, re-encoded as 0",
         (1, 1, 0, 0, 0xFFE1, 200, 0x0F, 0x1F, 100, 1, "LSM6DSO", "X1"), 0x5A, 0x0001),
    ]:  # fmt: skip
        ver, fa, fb, fc, caps, rate, accm, gyrm, mag, role, part, serial = f
        enc = [ver, fa, fb, fc, caps, rate, accm, gyrm, mag, role, reserved,
               part.encode(), serial.encode()]  # fmt: skip
        vec: dict[str, Any] = {"name": name, "note": note, "hex": inf.pack(*enc).hex()}
        if clean_caps is not None or reserved:
            enc[4] = caps if clean_caps is None else clean_caps
            enc[10] = 0
            vec["reencoded_hex"] = inf.pack(*enc).hex()
        vec["expected"] = {
            "protocol_version": ver, "fw_major": fa, "fw_minor": fb, "fw_patch": fc,
            "capabilities": caps if clean_caps is None else clean_caps, "max_rate_hz": rate,
            "acc_ranges_mask": accm, "gyr_ranges_mask": gyrm, "mag_lsb_nT": mag, "role": role,
            "imu_part": part, "serial": serial,
        }  # fmt: skip
        info.append(vec)

    def req(name: str, note: str, op: int, req_id: int, params: bytes) -> dict[str, Any]:
        return {"name": name, "note": note, "hex": (bytes([op, req_id]) + params).hex(),
                "expected": {"op": op, "req_id": req_id, "params": params.hex()}}  # fmt: skip

    start_default = struct.pack("<HBBBBH", 200, 2, 3, 0, 40, 20)
    ctrl_request = [
        req("req_get_caps", "GET_CAPS, req_id 7", 0x01, 7, b""),
        req("req_start", "START 200 Hz, +-8 g, +-1000 dps, no mag, batch 40, flush 20 ms",
            0x02, 8, start_default),
        req("req_stop", "STOP, req_id 0xFF", 0x03, 0xFF, b""),
        req("req_set_role", "SET_ROLE lumbar", 0x04, 9, b"\x02"),
        req("req_time_sync", "TIME_SYNC t_host_lo 0xDEADBEEF", 0x05, 10,
            struct.pack("<I", 0xDEADBEEF)),
        req("req_identify", "IDENTIFY 5 s", 0x06, 11, b"\x05"),
        req("req_buzz", "BUZZ triple long, 600 ms", 0x07, 12, struct.pack("<BH", 2, 600)),
    ]  # fmt: skip

    def resp(name: str, note: str, op: int, req_id: int, status_: int, data: bytes):
        return {"name": name, "note": note,
                "hex": (bytes([0xF0, op, req_id, status_]) + data).hex(),
                "expected": {"op": op, "req_id": req_id, "status": status_,
                             "data": data.hex()}}  # fmt: skip

    ctrl_response = [
        resp("resp_get_caps", "GET_CAPS OK with the INFO record", 0x01, 7, 0,
             bytes.fromhex(info[0]["hex"])),
        resp("resp_start", "START OK: first_index 0, t_dev_us 123456", 0x02, 8, 0,
             struct.pack("<II", 0, 123456)),
        resp("resp_stop", "STOP OK, no data", 0x03, 0xFF, 0, b""),
        resp("resp_time_sync", "TIME_SYNC OK: echo and device time", 0x05, 10, 0,
             struct.pack("<II", 0xDEADBEEF, 0xFFFFFFFF)),
        resp("resp_unknown_op", "op 0x42 echoed with UNKNOWN_OP", 0x42, 13, 1, b""),
        resp("resp_busy", "BUSY", 0x02, 14, 4, b""),
        resp("resp_unsupported_buzz", "BUZZ on a sensor without haptics", 0x07, 15, 5, b""),
    ]  # fmt: skip

    sp = struct.Struct("<HBBBBH")
    start_params = []
    for name, fields in [
        ("start_default", (200, 2, 3, 0, 40, 20)),
        ("start_max", (0xFFFF, 3, 4, 1, 255, 0xFFFF)),
        ("start_mag_low_rate", (25, 0, 0, 1, 1, 0)),
    ]:
        rate, acc, gyr, mag, batch, flush = fields
        start_params.append({
            "name": name, "hex": sp.pack(*fields).hex(),
            "expected": {"rate_hz": rate, "acc_range": acc, "gyr_range": gyr, "mag_on": mag,
                         "max_batch": batch, "flush_ms": flush},
        })  # fmt: skip
    return {
        "status": status,
        "info": info,
        "ctrl_request": ctrl_request,
        "ctrl_response": ctrl_response,
        "start_params": start_params,
    }


def malformed() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def bad(decoder: str, name: str, frame: bytes, error: str, note: str) -> None:
        out.append({"name": name, "decoder": decoder, "hex": frame.hex(), "error": error,
                    "note": note})  # fmt: skip

    one = [[1, 2, 3, 4, 5, 6]]
    f6 = full_frame(1, 1, 0, 0, 2, 3, 0, one)
    f9 = full_frame(1, 1, 0, 0, 2, 3, MAG_PRESENT, [[1, 2, 3, 4, 5, 6, 7, 8, 9]])
    c1 = compact_frame(1, 1, 0, one)
    anchor = full_frame(1, 1, 0, 0, 2, 3, 0, [])

    # DATA. The checks run in this order: length < 2, type, version, header length, role,
    # then compact n == 0 / full ranges, then the exact length.
    bad("data", "data_empty", b"", "short", "no bytes at all")
    bad("data", "data_one_byte", b"\x01", "short", "type byte only")
    bad("data", "data_one_byte_unknown_type", b"\x07", "short",
        "fewer than 2 bytes is short before the type is looked at")  # fmt: skip
    bad("data", "data_type_zero", b"\x00\x01" + f6[2:], "unknown_type", "type 0x00")
    bad("data", "data_type_3", b"\x03\x01" + f6[2:], "unknown_type", "type 0x03")
    status_rec = struct.pack("<BBBBhHHHH", 0x10, 1, 87, 0, 2345, 0, 3, 6, 247)
    bad("data", "data_type_status", status_rec, "unknown_type",
        "a STATUS record on the DATA characteristic")  # fmt: skip
    bad("data", "data_version_0", full_frame(1, 1, 0, 0, 2, 3, 0, one, version=0),
        "bad_version", "version 0")  # fmt: skip
    bad("data", "data_version_2", full_frame(1, 1, 0, 0, 2, 3, 0, one, version=2),
        "bad_version", "version 2")  # fmt: skip
    bad("data", "data_version_2_two_bytes", b"\x01\x02", "bad_version",
        "version is checked before the header length")  # fmt: skip
    bad("data", "compact_version_2", compact_frame(1, 1, 0, one, version=2), "bad_version",
        "compact frame, version 2")  # fmt: skip
    bad("data", "data_header_15_bytes", f6[:15], "short", "full header truncated by one byte")
    bad("data", "data_header_2_bytes", f6[:2], "short", "type and version only")
    bad("data", "compact_header_7_bytes", c1[:7], "short", "compact header truncated")
    bad("data", "data_header_15_bytes_bad_role", full_frame(3, 1, 0, 0, 2, 3, 0, [])[:15],
        "short", "header length is checked before the role")  # fmt: skip
    bad("data", "data_role_3", full_frame(3, 1, 0, 0, 2, 3, 0, one), "bad_role", "role 3")
    bad("data", "data_role_255", full_frame(255, 1, 0, 0, 2, 3, 0, one), "bad_role", "role 255")
    bad("data", "data_bad_role_and_range", full_frame(3, 1, 0, 0, 9, 9, 0, one), "bad_role",
        "role is checked before the range codes")  # fmt: skip
    bad("data", "compact_role_3", compact_frame(3, 1, 0, one), "bad_role", "compact, role 3")
    bad("data", "compact_bad_role_and_n0", compact_frame(7, 1, 0, [], n=0), "bad_role",
        "role is checked before n")  # fmt: skip
    bad("data", "compact_n0", compact_frame(1, 1, 0, [], n=0), "bad_field",
        "compact frame with no samples (anchors are full frames)")  # fmt: skip
    bad("data", "compact_n0_with_payload", compact_frame(1, 1, 0, one, n=0), "bad_field",
        "n = 0 is refused before the length is looked at")  # fmt: skip
    bad("data", "data_acc_range_4", full_frame(1, 1, 0, 0, 4, 3, 0, one), "bad_range",
        "accelerometer code 4 (ranges 0x34)")  # fmt: skip
    bad("data", "data_gyr_range_5", full_frame(1, 1, 0, 0, 2, 5, 0, one), "bad_range",
        "gyroscope code 5 (ranges 0x52)")  # fmt: skip
    bad("data", "data_ranges_ff", full_frame(1, 1, 0, 0, 0, 0, 0, one, ranges=0xFF),
        "bad_range", "ranges 0xFF")  # fmt: skip
    bad("data", "data_bad_range_and_length", full_frame(1, 1, 0, 0, 2, 15, 0, one)[:-1],
        "bad_range", "range codes are checked before the length")  # fmt: skip
    bad("data", "data_6d_truncated", f6[:-1], "length_mismatch", "6D frame one byte short")
    bad("data", "data_6d_one_long", f6 + b"\x00", "length_mismatch", "6D frame one byte long")
    bad("data", "data_9d_truncated", f9[:-1], "length_mismatch", "9D frame one byte short")
    bad("data", "data_9d_one_long", f9 + b"\x00", "length_mismatch", "9D frame one byte long")
    bad("data", "compact_truncated", c1[:-1], "length_mismatch", "compact frame one byte short")
    bad("data", "compact_one_long", c1 + b"\x00", "length_mismatch", "compact frame one byte long")
    bad("data", "anchor_one_long", anchor + b"\x00", "length_mismatch", "n = 0 with a tail")
    bad("data", "data_mag_flag_6d_payload",
        full_frame(1, 1, 0, 0, 2, 3, MAG_PRESENT, one), "length_mismatch",
        "MAG_PRESENT set but the sample is 12 bytes")  # fmt: skip
    bad("data", "data_n_too_large", full_frame(1, 1, 0, 0, 2, 3, 0, one, n=2), "length_mismatch",
        "n = 2, one sample present")  # fmt: skip

    # STATUS
    st = struct.pack("<BBBBhHHHH", 0x10, 1, 87, 0, 2345, 0, 3, 6, 247)
    bad("status", "status_empty", b"", "short", "no bytes")
    bad("status", "status_one_byte", st[:1], "short", "type only")
    bad("status", "status_wrong_type", b"\x01" + st[1:], "unknown_type", "a DATA type byte")
    bad("status", "status_wrong_type_short", b"\x11\x01", "unknown_type",
        "type is checked before the length")  # fmt: skip
    bad("status", "status_version_2", st[:1] + b"\x02" + st[2:], "bad_version", "version 2")
    bad("status", "status_truncated", st[:-1], "short", "13 bytes")
    bad("status", "status_one_long", st + b"\x00", "long", "15 bytes")

    # INFO: the version byte is checked first, so an incompatible sensor is named as such.
    inf = struct.Struct("<BBBBHHBBHBB12s14s")
    good = [1, 1, 2, 3, 0x1F, 400, 0x0F, 0x1F, 100, 1, 0, b"BMI270", b"WM-0001A2B3"]
    info = inf.pack(*good)

    def info_with(**changes: Any) -> bytes:
        keys = ["ver", "fa", "fb", "fc", "caps", "rate", "accm", "gyrm", "mag", "role", "res",
                "part", "serial"]  # fmt: skip
        vals = dict(zip(keys, good, strict=True))
        vals.update(changes)
        return inf.pack(*(vals[k] for k in keys))

    bad("info", "info_empty", b"", "short", "no bytes")
    bad("info", "info_version_2_short", b"\x02" + info[1:10], "bad_version",
        "protocol_version 2 on a 10-byte record: named as a version problem")  # fmt: skip
    bad("info", "info_version_0", info_with(ver=0), "bad_version", "protocol_version 0")
    bad("info", "info_truncated", info[:-1], "short", "39 bytes")
    bad("info", "info_one_long", info + b"\x00", "long", "41 bytes")
    bad("info", "info_role_3", info_with(role=3), "bad_role", "role 3")
    bad("info", "info_imu_part_not_ascii", info_with(part=b"BMI\xc3\xa9"), "bad_field",
        "imu_part holds UTF-8 bytes")  # fmt: skip
    bad("info", "info_serial_not_ascii", info_with(serial=b"\xff"), "bad_field",
        "serial byte 0xFF")  # fmt: skip
    bad("info", "info_bad_role_and_text", info_with(role=9, part=b"\x80"), "bad_role",
        "role is checked before the text fields")  # fmt: skip

    # CTRL
    bad("ctrl_request", "req_empty", b"", "short", "no bytes")
    bad("ctrl_request", "req_one_byte", b"\x01", "short", "op without req_id")
    bad("ctrl_request", "req_one_byte_unknown_op", b"\x99", "short",
        "length is checked before the op")  # fmt: skip
    bad("ctrl_request", "req_op_0", b"\x00\x01", "unknown_type", "op 0x00")
    bad("ctrl_request", "req_op_8", b"\x08\x01\x00", "unknown_type", "op 0x08")
    bad("ctrl_request", "req_response_tag", b"\xf0\x01\x07\x00", "unknown_type",
        "a response where a request was expected")  # fmt: skip
    bad("ctrl_response", "resp_empty", b"", "short", "no bytes")
    bad("ctrl_response", "resp_three_bytes", b"\xf0\x01\x07", "short", "no status byte")
    bad("ctrl_response", "resp_wrong_tag", b"\xf1\x01\x07\x00", "unknown_type", "tag 0xF1")
    bad("ctrl_response", "resp_request_bytes", b"\x02\x08" + struct.pack("<HBBBBH", 200, 2, 3,
        0, 40, 20), "unknown_type", "a START request where a response was expected")  # fmt: skip
    bad("ctrl_response", "resp_status_6", b"\xf0\x01\x07\x06", "bad_field", "status 6")
    bad("ctrl_response", "resp_status_ff", b"\xf0\x02\x07\xff\x00", "bad_field", "status 255")
    bad("ctrl_response", "resp_wrong_tag_and_status", b"\x00\x01\x07\x06", "unknown_type",
        "tag is checked before the status")  # fmt: skip
    sp = struct.pack("<HBBBBH", 200, 2, 3, 0, 40, 20)
    bad("start_params", "start_empty", b"", "length_mismatch", "no bytes")
    bad("start_params", "start_truncated", sp[:-1], "length_mismatch", "7 bytes")
    bad("start_params", "start_one_long", sp + b"\x00", "length_mismatch", "9 bytes")
    return out


HEADER = "winkmon protocol v1 test vectors; generated by make_vectors.py, committed; see README.md"


def render() -> dict[str, str]:
    files = {
        "data_frames.json": {"comment": HEADER, "vectors": data_vectors()},
        "records.json": {"comment": HEADER, **records()},
        "malformed.json": {"comment": HEADER, "vectors": malformed()},
    }
    return {name: _one_line_lists(json.dumps(doc, indent=1)) + "\n" for name, doc in files.items()}


_NUMBER_LIST = re.compile(r"\[\s*(-?[0-9][0-9.eE+-]*(?:,\s*-?[0-9][0-9.eE+-]*)*)\s*\]")


def _one_line_lists(text: str) -> str:
    """Put each innermost list of numbers (one sample) on one line."""
    return _NUMBER_LIST.sub(
        lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]", text
    )


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name, text in render().items():
        path = HERE / name
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
    if stale:
        print("out of date: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

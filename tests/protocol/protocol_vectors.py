"""Shared helpers of the protocol tests: the vector files, the Python codec as plain dicts, and
building and running the C codec's host driver (``firmware_protocol/c/wm_vectors.c``).

Decoded values are compared as wire-level dicts (the fields as they are on the wire: raw counts,
centi-degrees, 1.25 ms units), the format of the vector files and of ``wm_vectors``' output.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from winkmon.errors import FrameError
from winkmon.protocol import (
    CtrlRequest,
    CtrlResponse,
    DataFrame,
    FrameType,
    SensorInfo,
    SensorStatus,
    StartParams,
)

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL_DIR = ROOT / "firmware_protocol"
VECTORS_DIR = PROTOCOL_DIR / "vectors"
C_DIR = PROTOCOL_DIR / "c"

# The C codec must compile cleanly with these flags (and so must the host driver).
C_FLAGS = ("-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic")

Vector = dict[str, Any]


@cache
def load(name: str) -> dict[str, Any]:
    with (VECTORS_DIR / name).open() as f:
        doc: dict[str, Any] = json.load(f)
    return doc


def data_vectors() -> list[Vector]:
    return list(load("data_frames.json")["vectors"])


def record_vectors() -> list[tuple[str, Vector]]:
    """(decoder, vector) for every valid record vector."""
    doc = load("records.json")
    kinds = ("status", "info", "ctrl_request", "ctrl_response", "start_params")
    return [(kind, vec) for kind in kinds for vec in doc[kind]]


def malformed_vectors() -> list[Vector]:
    return list(load("malformed.json")["vectors"])


def ids(vectors: Iterable[Any]) -> list[str]:
    return [v[1]["name"] if isinstance(v, tuple) else v["name"] for v in vectors]


# ---------------------------------------------------------------------- Python codec as dicts
def frame_dict(f: DataFrame) -> dict[str, Any]:
    return {
        "frame_type": int(f.frame_type),
        "version": f.version,
        "role": int(f.role),
        "n": f.n,
        "seq": f.seq,
        "first_index": f.first_index,
        "t_dev_us": f.t_dev_us,
        "acc_range": f.acc_range,
        "gyr_range": f.gyr_range,
        "flags": int(f.flags),
        "raw": f.raw.tolist(),
    }


def status_dict(s: SensorStatus) -> dict[str, Any]:
    return {
        "battery_pct": 255 if s.battery_pct is None else s.battery_pct,
        "temperature_cC": round(s.temperature_C * 100),
        "fifo_overflows": s.fifo_overflows,
        "tx_dropped": s.tx_dropped,
        "conn_interval_1250us": round(s.conn_interval_ms / 1.25),
        "att_mtu": s.att_mtu,
    }


def info_dict(i: SensorInfo) -> dict[str, Any]:
    return {
        "protocol_version": i.protocol_version,
        "fw_major": i.fw_version[0],
        "fw_minor": i.fw_version[1],
        "fw_patch": i.fw_version[2],
        "capabilities": int(i.capabilities),
        "max_rate_hz": i.max_rate_hz,
        "acc_ranges_mask": i.acc_ranges_mask,
        "gyr_ranges_mask": i.gyr_ranges_mask,
        "mag_lsb_nT": i.mag_lsb_nT,
        "role": int(i.role),
        "imu_part": i.imu_part,
        "serial": i.serial,
    }


def ctrl_request_dict(r: CtrlRequest) -> dict[str, Any]:
    return {"op": int(r.op), "req_id": r.req_id, "params": r.params.hex()}


def ctrl_response_dict(r: CtrlResponse) -> dict[str, Any]:
    return {"op": r.op, "req_id": r.req_id, "status": int(r.status), "data": r.data.hex()}


def start_dict(p: StartParams) -> dict[str, Any]:
    return {
        "rate_hz": p.rate_hz,
        "acc_range": p.acc_range,
        "gyr_range": p.gyr_range,
        "mag_on": int(p.mag_on),
        "max_batch": p.max_batch,
        "flush_ms": p.flush_ms,
    }


DECODERS: dict[str, tuple[Callable[[bytes], Any], Callable[[Any], dict[str, Any]]]] = {
    "data": (DataFrame.from_bytes, frame_dict),
    "status": (SensorStatus.from_bytes, status_dict),
    "info": (SensorInfo.from_bytes, info_dict),
    "ctrl_request": (CtrlRequest.from_bytes, ctrl_request_dict),
    "ctrl_response": (CtrlResponse.from_bytes, ctrl_response_dict),
    "start_params": (StartParams.from_bytes, start_dict),
}


def python_decode(decoder: str, data: bytes) -> dict[str, Any]:
    """The Python codec's verdict in ``wm_vectors``' format (without the SI values)."""
    from_bytes, as_dict = DECODERS[decoder]
    try:
        obj = from_bytes(data)
    except FrameError as e:
        return {"ok": False, "error": e.kind.value}
    return {"ok": True, **as_dict(obj)}


# ---------------------------------------------------------------------- wm_vectors commands
def _hex(b: bytes) -> str:
    return b.hex() if b else "-"


def decode_command(decoder: str, data: bytes) -> str:
    return f"{decoder} {_hex(data)}"


def encode_command(decoder: str, fields: dict[str, Any], wire: bytes | None = None) -> str:
    """The ``enc_*`` command that encodes a vector's expected fields.

    ``wire`` (the vector's bytes) supplies what the decoded fields no longer hold, such as the
    reserved flag bits, so the C encoder is shown to clear them.
    """
    f = fields
    if decoder == "data":
        compact = f["frame_type"] == int(FrameType.DATA_COMPACT)
        flags = f["flags"] if wire is None or compact else wire[15]
        head = [
            f["frame_type"], f["role"], f["n"], f["seq"], f["first_index"],
            0 if compact else f["t_dev_us"], 0 if compact else f["acc_range"],
            0 if compact else f["gyr_range"], flags,
        ]  # fmt: skip
        counts = [v for sample in f["raw"] for v in sample]
        return " ".join(map(str, ["enc_data", *head, *counts]))
    if decoder == "status":
        keys = ("battery_pct", "temperature_cC", "fifo_overflows", "tx_dropped")
        vals = [f[k] for k in keys] + [f["conn_interval_1250us"], f["att_mtu"]]
        return " ".join(map(str, ["enc_status", *vals]))
    if decoder == "info":
        keys = (
            "protocol_version", "fw_major", "fw_minor", "fw_patch", "capabilities",
            "max_rate_hz", "acc_ranges_mask", "gyr_ranges_mask", "mag_lsb_nT", "role",
        )  # fmt: skip
        texts = [_hex(f["imu_part"].encode("ascii")), _hex(f["serial"].encode("ascii"))]
        return " ".join(map(str, ["enc_info", *(f[k] for k in keys), *texts]))
    if decoder == "ctrl_request":
        return f"enc_ctrl_request {f['op']} {f['req_id']} {f['params'] or '-'}"
    if decoder == "ctrl_response":
        return f"enc_ctrl_response {f['op']} {f['req_id']} {f['status']} {f['data'] or '-'}"
    if decoder == "start_params":
        keys = ("rate_hz", "acc_range", "gyr_range", "mag_on", "max_batch", "flush_ms")
        return " ".join(map(str, ["enc_start", *(f[k] for k in keys)]))
    raise ValueError(f"no encoder for {decoder}")


# ---------------------------------------------------------------------- building and running C
def require_cc() -> str:
    """The C compiler; fails (does not skip) without one: CI has gcc, the C codec is tested."""
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        pytest.fail(
            "no C compiler (cc, gcc or clang) on PATH: the C protocol codec cannot be tested. "
            "Install gcc (e.g. apt-get install gcc).",
            pytrace=False,
        )
    return cc


def compile_c(
    out_dir: Path, name: str, sources: Sequence[str], extra: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    cmd = [require_cc(), *C_FLAGS, *extra, "-I", str(C_DIR)]
    cmd += [str(C_DIR / s) for s in sources]
    cmd += ["-o", str(out_dir / name)]
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


def build_driver(out_dir: Path, extra: Sequence[str] = ()) -> Path:
    """Compile ``wm_vectors`` into ``out_dir``; fail the test with the compiler's output."""
    proc = compile_c(out_dir, "wm_vectors", ["winkmon_protocol.c", "wm_vectors.c"], ["-O2", *extra])
    if proc.returncode != 0:
        pytest.fail(f"compiling the C codec failed:\n{proc.stderr}", pytrace=False)
    return out_dir / "wm_vectors"


def run_driver(binary: Path, commands: Sequence[str]) -> list[dict[str, Any]]:
    """Run ``wm_vectors`` on ``commands``; one decoded JSON object per command."""
    proc = subprocess.run(
        [str(binary)],
        input="".join(c + "\n" for c in commands),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if proc.returncode != 0 or proc.stderr:
        pytest.fail(f"wm_vectors exited {proc.returncode}:\n{proc.stderr[-4000:]}", pytrace=False)
    lines = proc.stdout.splitlines()
    assert len(lines) == len(commands), "wm_vectors must answer every command"
    return [json.loads(line) for line in lines]

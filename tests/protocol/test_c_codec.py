"""The C codec (``firmware_protocol/c/``) against the vectors and against the Python codec.

The C sources are compiled with the machine's ``cc`` into a temporary directory (nothing is
built in the tree). A missing compiler fails these tests instead of skipping them.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from protocol_vectors import (
    C_DIR,
    DECODERS,
    Vector,
    build_driver,
    compile_c,
    data_vectors,
    decode_command,
    encode_command,
    ids,
    malformed_vectors,
    python_decode,
    record_vectors,
    run_driver,
)

from winkmon.protocol import DataFrame, FrameFlags, FrameType, Role

DATA = data_vectors()
RECORDS = record_vectors()
MALFORMED = malformed_vectors()


@pytest.fixture(scope="session")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_driver(tmp_path_factory.mktemp("wm_c"))


@pytest.fixture(scope="session")
def c_decoded(driver: Path) -> dict[str, dict[str, Any]]:
    """Every vector decoded by C in one run, by vector name."""
    vecs: list[tuple[str, Vector]] = [("data", v) for v in DATA] + RECORDS
    vecs += [(v["decoder"], v) for v in MALFORMED]
    results = run_driver(driver, [decode_command(k, bytes.fromhex(v["hex"])) for k, v in vecs])
    return {v["name"]: r for (_, v), r in zip(vecs, results, strict=True)}


@pytest.fixture(scope="session")
def c_encoded(driver: Path) -> dict[str, dict[str, Any]]:
    """Every valid vector encoded by C from its expected fields, by vector name."""
    vecs: list[tuple[str, Vector]] = [("data", v) for v in DATA] + RECORDS
    cmds = [encode_command(k, v["expected"], bytes.fromhex(v["hex"])) for k, v in vecs]
    return {v["name"]: r for (_, v), r in zip(vecs, run_driver(driver, cmds), strict=True)}


# ---------------------------------------------------------------------- build
def test_codec_compiles_strictly_without_float_and_with_more_warnings(tmp_path: Path) -> None:
    """Firmware builds: no floating point, and clean under -Wconversion -Wshadow too."""
    for extra in (["-DWM_NO_FLOAT"], ["-Wconversion", "-Wshadow", "-Wcast-qual", "-O2"]):
        proc = compile_c(tmp_path, "wm.o", ["winkmon_protocol.c"], ["-c", *extra])
        assert proc.returncode == 0, proc.stderr


def test_header_has_no_dependencies_beyond_the_allowed() -> None:
    includes = {
        line.split()[1]
        for f in ("winkmon_protocol.h", "winkmon_protocol.c")
        for line in (C_DIR / f).read_text().splitlines()
        if line.startswith("#include")
    }
    assert includes <= {"<stdint.h>", "<stddef.h>", "<string.h>", '"winkmon_protocol.h"'}
    assert "malloc" not in (C_DIR / "winkmon_protocol.c").read_text()


# ---------------------------------------------------------------------- decode
@pytest.mark.parametrize("vec", DATA, ids=ids(DATA))
def test_c_decodes_data_vector(vec: Vector, c_decoded: dict[str, dict[str, Any]]) -> None:
    got = dict(c_decoded[vec["name"]])
    si = got.pop("si", None)
    assert got == {"ok": True, **vec["expected"]}
    frame = DataFrame.from_bytes(bytes.fromhex(vec["hex"]))
    if frame.frame_type is FrameType.DATA_COMPACT:
        assert si is None
        return
    assert si is not None
    for key, ours in [("acc_m_s2", frame.acc_m_s2), ("gyr_rad_s", frame.gyr_rad_s)]:
        np.testing.assert_allclose(np.reshape(si[key], (-1, 3)), ours, rtol=1e-15, atol=0)
        if "si" in vec:
            want = np.reshape(vec["si"][key], (-1, 3))
            np.testing.assert_allclose(np.reshape(si[key], (-1, 3)), want, rtol=1e-15, atol=0)
    if frame.mag_uT is None:
        assert si["mag_uT"] is None
    else:
        np.testing.assert_allclose(np.reshape(si["mag_uT"], (-1, 3)), frame.mag_uT, rtol=1e-15)


@pytest.mark.parametrize(("kind", "vec"), RECORDS, ids=ids(RECORDS))
def test_c_decodes_record_vector(
    kind: str, vec: Vector, c_decoded: dict[str, dict[str, Any]]
) -> None:
    assert c_decoded[vec["name"]] == {"ok": True, **vec["expected"]}


@pytest.mark.parametrize("vec", MALFORMED, ids=ids(MALFORMED))
def test_c_rejects_malformed_vector(vec: Vector, c_decoded: dict[str, dict[str, Any]]) -> None:
    assert c_decoded[vec["name"]] == {"ok": False, "error": vec["error"]}


# ---------------------------------------------------------------------- encode
@pytest.mark.parametrize("vec", DATA, ids=ids(DATA))
def test_c_encodes_data_vector(vec: Vector, c_encoded: dict[str, dict[str, Any]]) -> None:
    want = vec.get("reencoded_hex", vec["hex"])
    assert c_encoded[vec["name"]] == {"ok": True, "hex": want}
    assert bytes(DataFrame.from_bytes(bytes.fromhex(vec["hex"]))).hex() == want


@pytest.mark.parametrize(("kind", "vec"), RECORDS, ids=ids(RECORDS))
def test_c_encodes_record_vector(
    kind: str, vec: Vector, c_encoded: dict[str, dict[str, Any]]
) -> None:
    want = vec.get("reencoded_hex", vec["hex"])
    assert c_encoded[vec["name"]] == {"ok": True, "hex": want}
    from_bytes, _ = DECODERS[kind]
    assert bytes(from_bytes(bytes.fromhex(vec["hex"]))).hex() == want


def test_c_encoders_refuse_what_the_protocol_cannot_carry(driver: Path) -> None:
    cases = {
        "enc_data 3 1 0 0 0 0 2 3 0": "unknown_type",
        "enc_data 1 3 0 0 0 0 2 3 0": "bad_role",
        "enc_data 1 1 0 0 0 0 4 3 0": "bad_range",
        "enc_data 1 1 0 0 0 0 2 5 0": "bad_range",
        "enc_data 2 1 0 0 0 0 0 0 0": "bad_field",  # compact n = 0
        "enc_data 2 1 1 0 0 0 0 0 16 1 2 3 4 5 6": "bad_field",  # compact with MAG_PRESENT
        "enc_info 1 0 0 0 0 0 0 0 100 1 c3a9 -": "bad_field",
        "enc_info 1 0 0 0 0 0 0 0 100 3 - -": "bad_role",
        "enc_ctrl_request 8 1 -": "unknown_type",
        "enc_ctrl_response 1 1 6 -": "bad_field",
    }
    results = run_driver(driver, list(cases))
    assert [r.get("error") for r in results] == list(cases.values())


def test_c_compact_encoder_sends_the_low_16_bits_of_the_index(driver: Path) -> None:
    (res,) = run_driver(driver, ["enc_data 2 1 1 5 0x12345678 0 0 0 0 1 2 3 4 5 6"])
    assert DataFrame.from_bytes(bytes.fromhex(res["hex"])).first_index == 0x5678


def test_c_max_samples_per_mtu(driver: Path) -> None:
    cases = {
        "max_samples 23 2 0": 1,  # the default MTU: one 6-axis sample, compact
        "max_samples 23 1 0": 0,  # ... and no full frame with a sample
        "max_samples 19 1 0": 0,  # not even the full header
        "max_samples 247 1 0": 19,  # (244 - 16) // 12
        "max_samples 247 1 1": 12,  # (244 - 16) // 18
        "max_samples 65535 1 1": 255,
        "max_samples 65535 2 0": 255,
        "max_samples 2 2 0": 0,
    }
    assert [r["n"] for r in run_driver(driver, list(cases))] == list(cases.values())


def test_c_and_python_encode_random_frames_identically(driver: Path) -> None:
    rng = np.random.default_rng(1234)
    frames = []
    for _ in range(300):
        compact = rng.random() < 0.3
        n = int(rng.integers(1 if compact else 0, 256 if rng.random() < 0.1 else 12))
        mag = not compact and rng.random() < 0.4
        flags = FrameFlags(int(rng.integers(0, 64)) & ~FrameFlags.MAG_PRESENT)
        flags |= FrameFlags.MAG_PRESENT if mag else FrameFlags.NONE
        raw = rng.integers(-32768, 32768, size=(n, 9 if mag else 6)).astype(np.int16)
        frames.append(
            DataFrame(
                frame_type=FrameType.DATA_COMPACT if compact else FrameType.DATA,
                role=Role(int(rng.integers(0, 3))),
                seq=int(rng.integers(0, 1 << 16)),
                first_index=int(rng.integers(0, 1 << (16 if compact else 32))),
                t_dev_us=None if compact else int(rng.integers(0, 1 << 32)),
                acc_range=None if compact else int(rng.integers(0, 4)),
                gyr_range=None if compact else int(rng.integers(0, 5)),
                flags=FrameFlags.NONE if compact else flags,
                raw=raw,
            )
        )
    cmds = [encode_command("data", python_decode("data", bytes(f))) for f in frames]
    results = run_driver(driver, cmds)
    for frame, res in zip(frames, results, strict=True):
        assert res == {"ok": True, "hex": bytes(frame).hex()}


# ---------------------------------------------------------------------- differential fuzz
def _mutations(rng: random.Random, seeds: list[bytes], count: int) -> list[bytes]:
    out = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.25 or not seeds:
            out.append(rng.randbytes(rng.randrange(0, 64)))
            continue
        b = bytearray(rng.choice(seeds))
        if roll < 0.5 and b:  # flip bytes
            for _ in range(rng.randrange(1, 4)):
                b[rng.randrange(len(b))] = rng.randrange(256)
        elif roll < 0.7:  # truncate or extend
            cut = rng.randrange(0, len(b) + 1)
            b = b[:cut] if rng.random() < 0.5 else b + rng.randbytes(rng.randrange(1, 40))
        elif b:  # a header byte from an interesting set
            i = rng.randrange(min(len(b), 16))
            b[i] = rng.choice([0, 1, 2, 3, 0x10, 0x30, 0x3F, 0x40, 0x80, 0xC0, 0xF0, 0xFF])
        out.append(bytes(b))
    return out


def _normalise(kind: str, result: dict[str, Any]) -> dict[str, Any]:
    """The C decoder reports raw wire values; map them to what the Python codec keeps."""
    r = dict(result)
    r.pop("si", None)
    if kind == "status" and r.get("ok") and r["battery_pct"] != 255:
        r["battery_pct"] = min(r["battery_pct"], 100)  # SensorStatus clamps 101..254 to 100
    if kind == "start_params" and r.get("ok"):
        r["mag_on"] = int(bool(r["mag_on"]))  # StartParams.mag_on is a bool
    return r


@pytest.fixture(scope="session")
def sanitized_driver(tmp_path_factory: pytest.TempPathFactory, driver: Path) -> Path:
    """The driver with AddressSanitizer and UBSan when the toolchain has them, else plain."""
    out = tmp_path_factory.mktemp("wm_c_asan")
    flags = ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
    proc = compile_c(out, "wm_vectors", ["winkmon_protocol.c", "wm_vectors.c"], flags)
    return out / "wm_vectors" if proc.returncode == 0 else driver


@pytest.mark.parametrize("kind", list(DECODERS))
def test_c_and_python_agree_on_random_and_mutated_input(kind: str, sanitized_driver: Path) -> None:
    rng = random.Random(f"winkmon-{kind}")
    seeds = [bytes.fromhex(v["hex"]) for v in DATA if len(v["hex"]) < 400]
    seeds += [bytes.fromhex(v["hex"]) for _, v in RECORDS]
    seeds += [bytes.fromhex(v["hex"]) for v in MALFORMED]
    inputs = _mutations(rng, seeds, 2500)
    results = run_driver(sanitized_driver, [decode_command(kind, b) for b in inputs])
    for data, res in zip(inputs, results, strict=True):
        assert _normalise(kind, res) == python_decode(kind, data), data.hex()
    # The mutations reach past the first checks: both accept some and reject others.
    assert any(r["ok"] for r in results) or kind == "start_params"
    assert len({r.get("error") for r in results}) >= 2

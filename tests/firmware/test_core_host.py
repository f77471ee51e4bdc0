"""The firmware core's host tests in C (``firmware_protocol/core/test/wm_core_test.c``), its
build rules (strict warnings, no floating point, no allocation, no board headers) and its DATA
frames against the shared protocol vectors."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fw_build import CODEC, CORE, CORE_DIR, HOST_TEST, STRICT, build_host_tests, compile_c, run

from winkmon.protocol import DataFrame
from winkmon.protocol.constants import FrameFlags, FrameType

C_TESTS = re.findall(r"^\s+T\((test_\w+)\),$", HOST_TEST.read_text(), flags=re.MULTILINE)


@pytest.fixture(scope="module")
def host_tests(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_host_tests(tmp_path_factory.mktemp("wm_core"))


def test_the_c_test_list_is_read() -> None:
    assert len(C_TESTS) >= 24 and "test_queue_overflow_drops_oldest" in C_TESTS


@pytest.mark.parametrize("name", C_TESTS)
def test_core_host_test(name: str, host_tests: Path) -> None:
    proc = run(host_tests, name)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"ok {name}" in proc.stdout.splitlines()
    assert proc.stdout.rstrip().endswith(", 0 failures")


# ---------------------------------------------------------------------- build rules
def test_core_compiles_with_strict_warnings(tmp_path: Path) -> None:
    for extra in (["-O2"], ["-Os", "-DWM_NO_FLOAT", "-Wcast-qual"]):
        proc = compile_c(tmp_path / "core.o", [CORE], [*STRICT, "-c", *extra])
        assert proc.returncode == 0, proc.stderr


def test_core_uses_no_floating_point(tmp_path: Path) -> None:
    """With -mgeneral-regs-only, gcc refuses any float or double operation on x86-64."""
    for src in (CORE, CODEC):
        flags = [*STRICT, "-c", "-O2", "-DWM_NO_FLOAT", "-mgeneral-regs-only"]
        proc = compile_c(tmp_path / "x.o", [src], flags)
        assert proc.returncode == 0, proc.stderr


def test_core_has_no_allocation_and_no_board_headers() -> None:
    allowed = {"<stdint.h>", "<stddef.h>", "<string.h>", '"winkmon_protocol.h"', '"wm_core.h"'}
    for path in (CORE_DIR / "wm_core.h", CORE):
        text = path.read_text()
        includes = {ln.split()[1] for ln in text.splitlines() if ln.startswith("#include")}
        assert includes <= allowed, path
        code = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)
        for word in ("malloc", "calloc", "realloc", "free", "float", "double"):
            assert not re.search(rf"\b{word}\b", code), f"{word} in {path.name}"


def test_core_has_no_global_state(tmp_path: Path) -> None:
    """All state lives in the caller's wm_core_t: no .data or .bss symbols, only constants."""
    import shutil
    import subprocess

    nm = shutil.which("nm")
    assert nm is not None, "nm (binutils) is needed: apt-get install binutils"
    obj = tmp_path / "core.o"
    assert compile_c(obj, [CORE], [*STRICT, "-c", "-O2"]).returncode == 0
    symbols = subprocess.run([nm, str(obj)], capture_output=True, text=True, check=True).stdout
    kinds = {line.split()[-2] for line in symbols.splitlines() if len(line.split()) == 3}
    assert "T" in kinds and not kinds & {"B", "b", "D", "d", "C"}, symbols


# ---------------------------------------------------------------------- shared vectors
def _producible(vec: dict[str, Any]) -> bool:
    """Whether firmware built on the core would send this frame: flags it can set, clip flags
    that match the samples, and a length one notification of at most 244 bytes carries (a
    compact frame only when a full frame of one sample does not fit: one sample)."""
    e = vec["expected"]
    raw = np.asarray(e["raw"], dtype=np.int64).reshape(e["n"], -1 if e["n"] else 6)
    if e["frame_type"] == int(FrameType.DATA_COMPACT):
        return bool(e["n"] == 1)
    if len(vec["hex"]) // 2 > 244 or "reencoded_hex" in vec:
        return False
    flags = FrameFlags(e["flags"])
    if flags & FrameFlags.TIME_SYNCED:  # the core never adjusts its clock
        return False
    clipped = (raw == 32767) | (raw == -32768)
    acc_clip = bool(clipped[:, 0:3].any())
    gyr_clip = bool(clipped[:, 3:6].any())
    return acc_clip == bool(flags & FrameFlags.ACC_CLIP) and gyr_clip == bool(
        flags & FrameFlags.GYR_CLIP
    )


def _command(vec: dict[str, Any]) -> str:
    e = vec["expected"]
    size = len(vec["hex"]) // 2
    compact = e["frame_type"] == int(FrameType.DATA_COMPACT)
    mtu = 23 if compact else (247 if e["n"] == 0 else size + 3)
    head = [e["role"], e["seq"], e["first_index"], e["t_dev_us"] or 0]
    head += [e["acc_range"] or 0, e["gyr_range"] or 0, e["flags"], mtu, e["n"]]
    counts = [v for sample in e["raw"] for v in sample]
    return " ".join(map(str, ["vec", *head, *counts]))


def test_core_frames_equal_the_shared_vectors(host_tests: Path) -> None:
    from protocol_vectors import data_vectors

    vectors = [v for v in data_vectors() if _producible(v)]
    names = {v["name"] for v in vectors}
    # the frames a sensor sends: samples, magnetometer, anchors, wrap, flags, compact at MTU 23
    assert names == {
        "anchor_n0",
        "anchor_n0_mag_flag",
        "full_wrap_max",
        "full_max_ranges_extremes",
        "full_min_ranges",
        "compact_mtu23_one_sample",
    }
    assert {"full_max_ranges_extremes", "anchor_n0_mag_flag", "full_min_ranges"} <= names
    proc = run(host_tests, "vectors", stdin="".join(_command(v) + "\n" for v in vectors))
    assert proc.returncode == 0, proc.stderr
    got = proc.stdout.splitlines()
    assert len(got) == len(vectors)
    for vec, hex_ in zip(vectors, got, strict=True):
        assert hex_ == vec["hex"], vec["name"]
        DataFrame.from_bytes(bytes.fromhex(hex_))  # and the Python codec reads it back

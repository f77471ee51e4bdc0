"""Building the firmware core's host tests (``firmware_protocol/core/test/``) for these tests.

The C sources are compiled with the machine's ``cc`` into pytest's temporary directories;
nothing is built in the tree. A missing compiler fails the tests (``require_cc``) instead of
skipping them: the firmware core is a required part of the project.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "protocol"))
from protocol_vectors import require_cc

ROOT = Path(__file__).resolve().parents[2]
FW_DIR = ROOT / "firmware_protocol"
CORE_DIR = FW_DIR / "core"
CODEC = FW_DIR / "c" / "winkmon_protocol.c"
CORE = CORE_DIR / "wm_core.c"
HOST_TEST = CORE_DIR / "test" / "wm_core_test.c"

#: The flags the core must compile cleanly with (the board build adds the Cortex-M4F flags).
STRICT = ("-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-Wconversion", "-Wshadow")
SANITIZE = ("-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all")


def compile_c(
    out: Path, sources: Sequence[Path], flags: Sequence[str]
) -> subprocess.CompletedProcess[str]:
    cmd = [require_cc(), *flags, "-I", str(FW_DIR / "c"), "-I", str(CORE_DIR)]
    cmd += [*map(str, sources), "-o", str(out)]
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


def build_host_tests(out_dir: Path) -> Path:
    """``wm_core_test``, with AddressSanitizer and UBSan when the toolchain has them."""
    binary = out_dir / "wm_core_test"
    base = ("-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic")
    proc = compile_c(binary, [CODEC, CORE, HOST_TEST], [*base, *SANITIZE])
    if proc.returncode != 0:
        proc = compile_c(binary, [CODEC, CORE, HOST_TEST], [*base, "-O1", "-g"])
    if proc.returncode != 0:
        pytest.fail(f"compiling the core's host tests failed:\n{proc.stderr}", pytrace=False)
    return binary


def run(binary: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(binary), *args], input=stdin, capture_output=True, text=True, check=False, timeout=120
    )

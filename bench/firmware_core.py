"""The firmware core's cost: CPU time per sample, and its flash and RAM on a Cortex-M4F.

Three measurements, each printed with how it was made:

1. **Host time per sample.** ``firmware_protocol/core/test/wm_core_bench.c`` streams 200 Hz
   samples through the core (two samples per 10 ms poll, as a board's main loop hands it the
   IMU FIFO) with a board whose notify only counts bytes; built with ``cc -O2``, best of 5.
2. **Instructions per sample** (host, x86-64): the same program built with ``-Os`` (the board's
   optimisation) run under ``valgrind --tool=callgrind`` for two lengths; the difference of the
   instruction counts over the difference of the sample counts is the marginal cost of one
   sample (setup excluded).
3. **Cortex-M4F estimate.** Nothing here runs Thumb-2 code, so the host count is scaled with
   stated assumptions: Thumb-2 executes 1.0-1.5 instructions per x86-64 instruction on this
   kind of byte-shuffling integer code, at 1.1-1.5 cycles per instruction on a Cortex-M4 at
   64 MHz running from flash with the nRF52840's cache. The range is what is printed.
4. **Flash and RAM**, when ``arm-none-eabi-gcc`` is installed: the core and codec objects built
   with the board flags (``-mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard -mthumb -Os
   -DWM_NO_FLOAT``), and ``firmware_protocol/core/size_probe.c`` linked with
   ``--gc-sections`` to see what the linker keeps (libgcc's 64-bit division comes with the
   per-frame timestamp); stack from ``-fstack-usage``.

    python bench/firmware_core.py [--samples 400000] [--json OUT]

Not a test: nothing is asserted about speed.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FW = ROOT / "firmware_protocol"
SOURCES = [FW / "c" / "winkmon_protocol.c", FW / "core" / "wm_core.c"]
BENCH = FW / "core" / "test" / "wm_core_bench.c"
PROBE = FW / "core" / "size_probe.c"
INCLUDES = ["-I", str(FW / "c"), "-I", str(FW / "core")]
ARM_FLAGS = [
    "-mcpu=cortex-m4",
    "-mfpu=fpv4-sp-d16",
    "-mfloat-abi=hard",
    "-mthumb",
    "-Os",
    "-std=c99",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-pedantic",
    "-DWM_NO_FLOAT",
    "-ffunction-sections",
    "-fdata-sections",
]
RATE_HZ = 200
MCU_HZ = 64e6
THUMB_PER_X86 = (1.0, 1.5)
CPI = (1.1, 1.5)


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, check=True)


def _build_bench(out: Path, opt: str) -> Path:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        raise SystemExit("bench/firmware_core.py needs a C compiler (apt-get install gcc)")
    exe = out / f"wm_core_bench{opt}"
    flags = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-DWM_NO_FLOAT", opt]
    _run([cc, *flags, *INCLUDES, *map(str, SOURCES), str(BENCH), "-o", str(exe)])
    return exe


def host_time(exe: Path, samples: int) -> dict[str, float]:
    out = {}
    for mtu in (247, 23):
        line = _run([str(exe), str(samples), str(mtu), "5"]).stdout.split()
        out[f"mtu{mtu}_ns_per_sample"] = float(line[line.index("ns_per_sample") + 1])
    return out


def instructions_per_sample(exe: Path, samples: int) -> dict[str, float] | None:
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None

    def ir(n: int, mtu: int) -> int:
        cmd = [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null"]
        proc = subprocess.run(
            [*cmd, str(exe), str(n), str(mtu)],
            capture_output=True,
            text=True,
            check=True,
        )
        m = re.search(r"Collected\s*:\s*(\d+)", proc.stderr)
        if m is None:
            raise RuntimeError(f"no instruction count in callgrind's output:\n{proc.stderr}")
        return int(m.group(1))

    small = max(samples // 10, 2000)
    out = {}
    for mtu in (247, 23):
        out[f"mtu{mtu}_x86_instructions_per_sample"] = (ir(samples, mtu) - ir(small, mtu)) / (
            samples - small
        )
    return out


def arm_sizes(out: Path) -> dict[str, object] | None:
    gcc = shutil.which("arm-none-eabi-gcc")
    size = shutil.which("arm-none-eabi-size")
    if gcc is None or size is None:
        return None
    result: dict[str, object] = {}
    objs = []
    for src in SOURCES:
        obj = out / (src.stem + ".o")
        _run([gcc, *ARM_FLAGS, "-fstack-usage", *INCLUDES, "-c", str(src), "-o", str(obj)])
        objs.append(obj)
    text = _run([size, *map(str, objs)]).stdout.splitlines()[1:]
    result["objects"] = {
        Path(line.split()[-1]).name: {"text": int(line.split()[0]), "bss": int(line.split()[2])}
        for line in text
    }
    elf = out / "probe.elf"
    link = ["--specs=nano.specs", "--specs=nosys.specs", "-Wl,--gc-sections"]
    _run([gcc, *ARM_FLAGS, *INCLUDES, *map(str, SOURCES), str(PROBE), *link, "-o", str(elf)])
    nm = _run([shutil.which("arm-none-eabi-nm") or "arm-none-eabi-nm", "-S", str(elf)]).stdout
    symbols = {}
    for line in nm.splitlines():
        parts = line.split()
        if len(parts) == 4:
            symbols[parts[3]] = (parts[2], int(parts[1], 16))
    core_syms = _core_symbols(objs)
    kept_text = sum(
        sz for name, (kind, sz) in symbols.items() if name in core_syms and kind in "Tt"
    )
    libgcc = {n: sz for n, (kind, sz) in symbols.items() if n.startswith("__udivmoddi4")}
    result["linked_core_and_codec_text_bytes"] = kept_text
    result["libgcc_64bit_division_bytes"] = sum(libgcc.values())
    result["state_bytes"] = symbols.get("core", ("b", 0))[1]
    su = {}
    for f in out.glob("*.su"):
        for line in f.read_text().splitlines():
            loc, n, _kind = line.split("\t")
            su[loc.rsplit(":", 1)[-1]] = int(n)
    chain = ("wm_core_ctrl_write", "wm_core_info", "wm_info_encode")
    result["stack_bytes_deepest_chain"] = sum(su.get(f, 0) for f in chain)
    result["stack_chain"] = " -> ".join(chain)
    return result


def _core_symbols(objs: list[Path]) -> set[str]:
    nm = shutil.which("arm-none-eabi-nm") or "arm-none-eabi-nm"
    names = set()
    for obj in objs:
        for line in _run([nm, str(obj)]).stdout.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[-2] in "Tt":
                names.add(parts[-1])
    return names


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=400_000)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    report: dict[str, object] = {"rate_hz": RATE_HZ}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        fast = _build_bench(out, "-O2")
        small = _build_bench(out, "-Os")
        report["host"] = host_time(fast, args.samples)
        ipc = instructions_per_sample(small, min(args.samples, 200_000))
        report["instructions"] = ipc
        report["arm"] = arm_sizes(out)
    print(f"firmware core, 200 Hz stream, {args.samples} samples (bench/firmware_core.py)")
    host = report["host"]
    assert isinstance(host, dict)
    for mtu in (247, 23):
        print(f"  host -O2, MTU {mtu}: {host[f'mtu{mtu}_ns_per_sample']:.0f} ns per sample")
    if ipc is None:
        print("  instructions: valgrind not installed (apt-get install valgrind): not measured")
    else:
        est = {}
        for mtu in (247, 23):
            n = ipc[f"mtu{mtu}_x86_instructions_per_sample"]
            lo = n * THUMB_PER_X86[0] * CPI[0]
            hi = n * THUMB_PER_X86[1] * CPI[1]
            est[mtu] = (lo, hi)
            print(
                f"  host -Os, MTU {mtu}: {n:.0f} x86-64 instructions per sample (callgrind) -> "
                f"Cortex-M4 at 64 MHz: {lo:.0f}-{hi:.0f} cycles = "
                f"{lo / MCU_HZ * 1e6:.1f}-{hi / MCU_HZ * 1e6:.1f} us per sample, "
                f"{100 * hi * RATE_HZ / MCU_HZ:.2f} % of the CPU at {RATE_HZ} Hz at most"
            )
        report["cortex_m4_cycles_per_sample"] = {str(k): v for k, v in est.items()}
        report["assumptions"] = {"thumb_per_x86": THUMB_PER_X86, "cpi": CPI, "mcu_hz": MCU_HZ}
    arm = report["arm"]
    if arm is None:
        print(
            "  Cortex-M4F sizes: arm-none-eabi-gcc not installed "
            "(apt-get install gcc-arm-none-eabi): not measured"
        )
    else:
        assert isinstance(arm, dict)
        for name, sz in arm["objects"].items():
            print(f"  {name} (-Os, Cortex-M4F): {sz['text']} bytes of code, {sz['bss']} of bss")
        kept = arm["linked_core_and_codec_text_bytes"]
        print(
            f"  linked (size_probe, --gc-sections): core + codec {kept}"
            f" bytes of flash + {arm['libgcc_64bit_division_bytes']} bytes of libgcc 64-bit "
            f"division; RAM: the state {arm['state_bytes']} bytes + stack "
            f"{arm['stack_bytes_deepest_chain']} bytes ({arm['stack_chain']})"
        )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

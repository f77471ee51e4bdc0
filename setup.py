"""Build of winkmon: the metadata is in ``pyproject.toml``; this file only compiles the hot
Python modules with mypyc (the compiler that ships with mypy, as black and mypy itself are
built).

What is compiled: :data:`NATIVE_SOURCES`, pure Python that runs once per output sample (the rep
tracker). The compiled module replaces the ``.py`` at import and gives the same results (a test
runs both on the same input and compares them bit for bit); the ``.py`` stays the source of
truth. Next to each compiled module the build writes the SHA-256 of the source it was built
from (``<module>.<ext>.sha256``); :mod:`winkmon._native` imports the ``.py`` instead when the
source has changed since (an editable install after an edit) and says to rebuild.

No C compiler, or ``WINKMON_PURE_PYTHON=1``: winkmon installs as pure Python, with a message.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
#: Modules compiled with mypyc (paths under ``src/``).
NATIVE_SOURCES = ("winkmon/pipeline/squat.py",)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class BuildNative(build_ext):
    """build_ext that never fails the install and stamps each module with its source digest."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # no compiler, headers missing, ...
            print(
                f"winkmon: could not compile {', '.join(NATIVE_SOURCES)} ({exc}); "
                "installing the pure Python version (same results, slower reports). "
                "Install a C compiler (Debian: build-essential python3-dev) and reinstall "
                "to compile.",
                file=sys.stderr,
            )
            return
        for ext in self.extensions:
            src = HERE / "src" / (ext.name.replace(".", "/") + ".py")
            if not src.is_file():
                continue  # mypyc's shared runtime library, if any
            out = Path(self.get_ext_fullpath(ext.name))
            out.with_name(out.name + ".sha256").write_text(_digest(src) + "\n", encoding="ascii")


def _native_extensions() -> list[Any]:
    if os.environ.get("WINKMON_PURE_PYTHON") == "1":
        print("winkmon: WINKMON_PURE_PYTHON=1: not compiling", file=sys.stderr)
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        print("winkmon: mypyc is not available: installing pure Python", file=sys.stderr)
        return []
    # Paths as mypy sees them: the module is named from its folders with __init__.py.
    paths = [f"src/{p}" for p in NATIVE_SOURCES]
    try:
        return list(mypycify(paths, opt_level="3", target_dir=str(HERE / "build" / "mypyc")))
    except BaseException as exc:  # mypyc reports type errors with SystemExit
        print(f"winkmon: mypyc failed ({exc}): installing pure Python", file=sys.stderr)
        return []


setup(ext_modules=_native_extensions(), cmdclass={"build_ext": BuildNative})

"""Compiled copies of hot modules are used only while they match their source."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from winkmon import _native

MODULE = "winkmon.pipeline.squat"


def _copy_package(tmp_path: Path) -> Path:
    """A copy of the installed winkmon package (sources and compiled copies) to edit."""
    import shutil

    src = _native.source_path("winkmon.__init__").parent
    dst = tmp_path / "winkmon"
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def _which(root: Path, env_pure: bool = False) -> subprocess.CompletedProcess[str]:
    code = (
        "import winkmon.pipeline.squat as s, winkmon._native as n;"
        "print(s.__file__); print(n.is_compiled(s))"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)}
    if env_pure:
        env[_native.PURE_ENV] = "1"
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )


def test_a_source_edited_after_the_build_is_run_from_source(tmp_path: Path) -> None:
    if _native.compiled_path(MODULE) is None:
        pytest.fail("no compiled copy of the rep tracker: reinstall with a C compiler")
    root = _copy_package(tmp_path)
    fresh = _which(root)
    assert fresh.stdout.split()[1] == "True" and fresh.stderr == ""

    pure = _which(root, env_pure=True)
    assert pure.stdout.split()[1] == "False" and pure.stderr == ""

    src = root / "winkmon" / "pipeline" / "squat.py"
    src.write_text(src.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    stale = _which(root)
    assert stale.stdout.split() == [str(src), "False"]
    assert "squat.py changed after" in stale.stderr and "pip install -e ." in stale.stderr


def test_a_compiled_copy_without_its_stamp_is_not_trusted(tmp_path: Path) -> None:
    if _native.compiled_path(MODULE) is None:
        pytest.fail("no compiled copy of the rep tracker: reinstall with a C compiler")
    root = _copy_package(tmp_path)
    so = root / "winkmon" / "pipeline" / _native.compiled_path(MODULE).name  # type: ignore[union-attr]
    so.with_name(so.name + ".sha256").unlink()
    got = _which(root)
    assert got.stdout.split()[1] == "False"
    assert "saying which source it was built from" in got.stderr


def test_a_compiled_copy_that_does_not_load_is_replaced_by_its_source(tmp_path: Path) -> None:
    if _native.compiled_path(MODULE) is None:
        pytest.fail("no compiled copy of the rep tracker: reinstall with a C compiler")
    root = _copy_package(tmp_path)
    pipeline = root / "winkmon" / "pipeline"
    # mypyc puts the compiled code in a shared library next to the module's own: without
    # it the module cannot load (as with a mypyc runtime library too old for the build)
    shared = [p for p in pipeline.iterdir() if p.name.startswith("squat__mypyc")]
    assert shared, "expected mypyc's shared library next to the compiled tracker"
    for p in shared:
        p.unlink()
    got = _which(root)
    assert got.stdout.split() == [str(pipeline / "squat.py"), "False"]
    assert "does not load" in got.stderr and "pip install -e ." in got.stderr

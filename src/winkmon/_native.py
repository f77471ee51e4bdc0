"""Compiled copies of hot modules (``setup.py`` builds them with mypyc): used only while they
match their source.

A compiled module (``squat.cpython-311-x86_64-linux-gnu.so``) sits next to its ``.py`` and
Python imports it first. The build stamps it with the SHA-256 of the source it came from
(``<file>.sha256``). :func:`prefer_fresh` runs when a package is first imported, before any of
its compiled modules: a module whose source changed since the build (an editable install after
an edit), or whose stamp is missing, is imported from its ``.py`` instead, with a warning that
says how to rebuild; so is one whose compiled copy fails to load (mypyc's runtime library,
``librt``, older than the build's). ``WINKMON_PURE_PYTHON=1`` always imports the sources (no
warning).
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import logging
import os
import sys
from pathlib import Path
from types import ModuleType

log = logging.getLogger(__name__)

#: Set to 1: import the Python sources even where a fresh compiled copy exists.
PURE_ENV = "WINKMON_PURE_PYTHON"
#: The modules ``setup.py`` compiles.
NATIVE_MODULES = ("winkmon.pipeline.squat",)


def source_path(fullname: str) -> Path:
    """The ``.py`` of a winkmon module."""
    root = Path(__file__).resolve().parent
    parts = fullname.split(".")
    if parts[0] != "winkmon":
        raise ValueError(f"{fullname} is not a winkmon module")
    return root.joinpath(*parts[1:]).with_suffix(".py")


def compiled_path(fullname: str) -> Path | None:
    """The compiled copy of a module next to its source, if there is one."""
    src = source_path(fullname)
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        candidate = src.with_suffix(suffix)
        if candidate.is_file():
            return candidate
    return None


def stale_reason(fullname: str) -> str | None:
    """Why a module's compiled copy must not be used (None: it matches its source, or there
    is no compiled copy)."""
    so = compiled_path(fullname)
    if so is None:
        return None
    stamp = so.with_name(so.name + ".sha256")
    try:
        built_from = stamp.read_text(encoding="ascii").strip()
    except OSError:
        return f"{so.name} has no {stamp.name} saying which source it was built from"
    digest = hashlib.sha256(source_path(fullname).read_bytes()).hexdigest()
    if built_from != digest:
        return f"{source_path(fullname).name} changed after {so.name} was built"
    return None


def load_source(fullname: str, name: str | None = None) -> ModuleType:
    """Import a module from its ``.py`` (bypassing a compiled copy), as ``name`` (default:
    its own name, replacing it in :data:`sys.modules`)."""
    name = name or fullname
    spec = importlib.util.spec_from_file_location(name, source_path(fullname))
    if spec is None or spec.loader is None:  # pragma: no cover - a .py always has a loader
        raise ImportError(f"cannot load {fullname} from its source")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def is_compiled(module: ModuleType) -> bool:
    """Whether a module in use is a compiled copy."""
    path = getattr(module, "__file__", None) or ""
    return path.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))


def prefer_fresh(package: str) -> None:
    """Before the compiled modules of ``package`` are imported: import from source those
    that must not be used compiled (see the module docstring)."""
    pure = os.environ.get(PURE_ENV) == "1"
    for fullname in NATIVE_MODULES:
        parent, _, leaf = fullname.rpartition(".")
        if parent != package or fullname in sys.modules or compiled_path(fullname) is None:
            continue
        reason = None if pure else stale_reason(fullname)
        if not pure and reason is None:
            try:
                importlib.import_module(fullname)
                continue
            except Exception as exc:  # e.g. mypyc's runtime library (librt) too old for it
                sys.modules.pop(fullname, None)
                reason = f"its compiled copy does not load ({exc})"
        if reason is not None:
            log.warning(
                "%s: %s; running the Python source instead (same results, slower). "
                "Rebuild with `make venv` or `pip install -e .`",
                fullname,
                reason,
            )
        module = load_source(fullname)
        setattr(sys.modules[parent], leaf, module)


__all__ = [
    "NATIVE_MODULES",
    "PURE_ENV",
    "compiled_path",
    "is_compiled",
    "load_source",
    "prefer_fresh",
    "source_path",
    "stale_reason",
]

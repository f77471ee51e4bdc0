"""The session library: a folder of recordings, and whose session each one is.

The library folder is ``--library DIR``, else ``$WINKMON_LIBRARY``, else the per-user data
directory's ``sessions`` folder (like the profiles). Any layout works; recordings are found
recursively (``*.winkmon``). A session's athlete is the name in the recording (stored when it
was recorded with ``--athlete``), else the name of the folder it sits in below the library
root (``LIBRARY/Sam/2026-11-29.winkmon``), else none.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from winkmon.errors import WinkmonError

ENV_VAR = "WINKMON_LIBRARY"
SUFFIX = ".winkmon"


def resolve_library_dir(arg: str | os.PathLike[str] | None = None) -> Path:
    """``arg`` (``--library``) > ``$WINKMON_LIBRARY`` > per-user data dir / ``sessions``."""
    if arg:
        return Path(arg).expanduser()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("winkmon")) / "sessions"


@dataclass(frozen=True, slots=True)
class SessionRef:
    """A recording and whose it is (None: nobody's that we can tell)."""

    path: Path
    athlete: str | None
    recorded_utc: str


def find_recordings(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Recordings given directly, or found recursively in the given folders, sorted."""
    found: set[Path] = set()
    for arg in paths:
        p = Path(arg).expanduser()
        if p.is_dir():
            found.update(q.resolve() for q in p.rglob(f"*{SUFFIX}") if q.is_file())
        elif p.is_file():
            found.add(p.resolve())
        else:
            raise WinkmonError(f"{p}: no such file or folder")
    return sorted(found)


def athlete_name(meta_athlete: object, path: Path, root: Path | None) -> str | None:
    """Whose session: the recording's own athlete name, else the folder below ``root``."""
    if isinstance(meta_athlete, dict):
        name = meta_athlete.get("name")
        if isinstance(name, str) and name.strip():
            return name.strip()
    if root is not None:
        try:
            rel = path.resolve().relative_to(root.resolve())
        except ValueError:
            return None
        if len(rel.parts) >= 2:
            return rel.parts[0]
    return None


def scan(paths: Iterable[str | os.PathLike[str]], root: Path | None = None) -> list[SessionRef]:
    """Every readable recording under ``paths`` with its athlete and date (metadata only)."""
    import logging

    from winkmon.recording import Recording

    log = logging.getLogger(__name__)
    refs = []
    for path in find_recordings(paths):
        try:
            with Recording.open(path, partial_ok=True) as rec:
                meta = rec.meta
                base = root if root is not None else None
                refs.append(
                    SessionRef(path, athlete_name(meta.athlete, path, base), meta.created_utc)
                )
        except WinkmonError as exc:
            log.warning("skipping %s: %s", path, exc)
    return refs


def same_athlete(a: str | None, b: str) -> bool:
    """Names match exactly, as athlete profiles do ("Zoë" and "Zoé" are two athletes); a
    near miss is answered with the list of names there are."""
    return a is not None and a == b

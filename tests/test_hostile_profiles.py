"""Hostile and damaged athlete profiles, and athletes' names (issue 15, cases 2, 3, 5, 6, 9).

A profile is untrusted input: shared between people and embedded in recordings. Commands that
could hang or exhaust memory on main run in a subprocess with a timeout and a memory limit.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import winkmon
from winkmon.errors import ProfileError
from winkmon.pipeline.model import Mount
from winkmon.profiles import (
    AthleteProfile,
    CalibrationRecord,
    ProfileStore,
    SensorCalibration,
    SensorNeutral,
    SensorQuality,
    Window,
    legacy_file_name,
    profile_file_name,
)
from winkmon.protocol.constants import Role

SRC = str(Path(winkmon.__file__).resolve().parents[1])
SAMPLE = Path(__file__).resolve().parents[1] / "recordings" / "demo.winkmon"
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs, rlimits")


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def _winkmon(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=SRC)
    return subprocess.run(
        [sys.executable, "-m", "winkmon", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        preexec_fn=_limit_memory,
    )


def _sensor(seed: int) -> SensorCalibration:
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return SensorCalibration(
        mount=Mount(q),
        neutral=SensorNeutral((0.0, 0.0, 1.0), 20.0, 1.0, 0.5),
        quality=SensorQuality(0.5, 0.02, 40.0, (40.0, 41.0), 0.1, 89.0, 2.0, 1.5, 0.2),
    )


def make_profile(name: str) -> AthleteProfile:
    return AthleteProfile(
        name=name,
        sensors={Role.SACRUM: _sensor(1), Role.LUMBAR: _sensor(2)},
        calibration=CalibrationRecord(Window(1.0, 4.0), Window(5.0, 12.0)),
    )


def _doc(name: str = "Alex") -> dict[str, Any]:
    return json.loads(make_profile(name).to_json())  # type: ignore[no-any-return]


# ---------------------------------------------------------------- case 2 and 9: numbers
HOSTILE_EDITS = {
    "infinite mount (1e999)": lambda d: d["sensors"]["sacrum"]["mount"][0].__setitem__(0, 1e999),
    "mount of zeros": lambda d: d["sensors"]["sacrum"].__setitem__("mount", [[0.0] * 3] * 3),
    "1e308 diagonal": lambda d: d["sensors"]["lumbar"].__setitem__(
        "mount", [[1e308, 0, 0], [0, 1e308, 0], [0, 0, 1e308]]
    ),
    "reflection (det -1)": lambda d: d["sensors"]["sacrum"].__setitem__(
        "mount", [[-1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]]
    ),
    "boolean threshold": lambda d: d["thresholds"].__setitem__("loss_deg", True),
    "text threshold": lambda d: d["thresholds"].__setitem__("loss_deg", "5"),
    "NaN neutral": lambda d: d["sensors"]["sacrum"]["neutral"].__setitem__(
        "face_tilt_deg", float("nan")
    ),
    "number as boolean": lambda d: d["calibration"].__setitem__("automatic", 1),
    "huge integer": lambda d: d["sensors"]["sacrum"]["quality"].__setitem__("axis_ratio", 10**400),
    "string window": lambda d: d["calibration"].__setitem__("static_s", "0:1"),
    "name not text": lambda d: d.__setitem__("name", 7),
}


@pytest.mark.parametrize("edit", list(HOSTILE_EDITS))
def test_hostile_numbers_are_refused_before_any_maths(edit: str) -> None:
    doc = _doc()
    HOSTILE_EDITS[edit](doc)
    text = json.dumps(doc)
    with pytest.raises(ProfileError, match="damaged athlete profile"):
        AthleteProfile.from_json(text, origin="x.json")


def test_infinite_mount_does_not_hang_report_or_replay(tmp_path: Path) -> None:
    doc = _doc("Alex")
    doc["sensors"]["sacrum"]["mount"][0][0] = 1e999
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / profile_file_name("Alex")).write_text(json.dumps(doc).replace("Infinity", "1e999"))
    (profiles / "alex.json").write_text(json.dumps(doc).replace("Infinity", "1e999"))
    proc = _winkmon("report", str(SAMPLE), "--athlete", "Alex", "--profiles", str(profiles))
    assert proc.returncode != 0 and "must be a finite number" in proc.stderr
    assert "Traceback" not in proc.stderr
    # A recording that embeds such a profile (shared with someone): replay's model falls back.
    session = tmp_path / "s.winkmon"
    shutil.copy(SAMPLE, session)
    import sqlite3

    conn = sqlite3.connect(session)
    conn.execute(
        "UPDATE meta SET value = ? WHERE key = 'athlete'",
        (json.dumps(doc).replace("Infinity", "1e999"),),
    )
    conn.commit()
    conn.close()
    script = textwrap.dedent(
        f"""
        from winkmon.gui.sources import model_for_recording
        from winkmon.recording import Recording
        with Recording.open({str(session)!r}) as rec:
            print(model_for_recording(rec).name)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, PYTHONPATH=SRC, QT_QPA_PLATFORM="offscreen"),
        preexec_fn=_limit_memory,
    )
    assert done.returncode == 0, done.stderr


# ---------------------------------------------------------------- case 3: the folder
def test_unknown_athlete_in_a_hostile_profiles_folder(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    os.symlink("/dev/zero", profiles / "zero.json")
    os.mkfifo(profiles / "fifo.json")
    (profiles / "deep.json").write_text("[" * 200_000 + "]" * 200_000)
    (profiles / "bigint.json").write_text('{"schema_version": 1' + "9" * 4000 + "}")
    (profiles / "hugeint.json").write_text('{"schema_version": 2, "x": ' + "9" * 20_000 + "}")
    (profiles / "big.json").write_bytes(b" " * (8 << 20))
    (profiles / "latin1.json").write_bytes(b'{"name": "Zo\xeb"}')
    ProfileStore(profiles).save(make_profile("Real One"))
    proc = _winkmon("report", str(SAMPLE), "--athlete", "nobody", "--profiles", str(profiles))
    assert proc.returncode != 0
    assert "no profile for athlete 'nobody'" in proc.stderr and "Real One" in proc.stderr
    assert "Traceback" not in proc.stderr
    store = ProfileStore(profiles)
    assert store.names() == ["Real One"]
    for bad, why in [
        ("zero.json", "not a regular file"),
        ("fifo.json", "not a regular file"),
        ("deep.json", "nested too deeply"),
        ("big.json", "larger than a profile"),
        ("latin1.json", "not UTF-8"),
    ]:
        with pytest.raises(ProfileError, match=why):
            ProfileStore._read(profiles / bad)


# ---------------------------------------------------------------- case 5: links
def test_saving_a_profile_never_writes_through_a_link(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    store = ProfileStore(profiles)
    prof = make_profile("Alex")
    # Every temporary name an attacker could guess, and the legacy name, point at the victim.
    guesses = set()
    for name in (profile_file_name("Alex"), legacy_file_name("Alex") or "x"):
        guesses |= {name + ".tmp", Path(name).stem + ".json.tmp", Path(name).stem + ".tmp"}
    for guess in guesses:
        os.symlink(victim, profiles / guess)
    store.save(prof)
    assert victim.read_text() == "precious"
    # A link at the profile's own name is replaced, not followed.
    target = store.path_for("Alex")
    target.unlink()
    os.symlink(victim, target)
    store.save(prof)
    assert victim.read_text() == "precious" and not target.is_symlink()
    assert store.load("Alex").name == "Alex"
    assert not [p for p in profiles.iterdir() if p.name.startswith(".winkmon-tmp-")]


# ---------------------------------------------------------------- case 6: names
def test_names_are_kept_as_given_and_matched_exactly(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    names = ["Zoë", "Zoé", "Мария", "山田", "Alex B", "alex-b", "Zoe\u0308"]
    paths = {store.save(make_profile(n)) for n in names}
    assert len(paths) == len(names)  # one file per athlete
    for n in names:
        assert store.load(n).name == n
    assert sorted(store.names()) == sorted(names)
    assert profile_file_name("Мария").startswith("мария-")
    assert profile_file_name("山田").startswith("山田-")
    with pytest.raises(ProfileError, match="no profile"):
        store.load("zoë")
    for bad in ["", "   ", "a\nb", "x" * 101, "../"]:
        with pytest.raises(ProfileError):
            store.path_for(bad)


def test_legacy_profile_files_still_load(tmp_path: Path) -> None:
    prof = make_profile("Alex B")
    (tmp_path / "alex-b.json").write_text(prof.to_json())  # the old file name
    other = make_profile("alex b")
    (tmp_path / "zo.json").write_text(make_profile("Zoë").to_json())
    store = ProfileStore(tmp_path)
    assert store.load("Alex B").name == "Alex B"
    assert store.load("Zoë").name == "Zoë"
    with pytest.raises(ProfileError, match="no profile"):
        store.load("Zoé")  # the old file of another athlete is never taken
    with pytest.raises(ProfileError, match="no profile"):
        store.load(other.name)
    store.save(prof)  # saved under the new name, the legacy file removed
    assert not (tmp_path / "alex-b.json").exists()
    assert store.load("Alex B").name == "Alex B"

"""Audible cues, with a record of what was played (CI has no speaker: tests check *what*).

The athlete under the bar cannot look at a screen, so the cues are distinct by ear: butt wink
(flexion) is three fast, high, loud beeps; extension lost is one soft, lower tone. The tones
are synthesised once into WAV files in the user cache directory.

Backends, first that works wins:

1. QtMultimedia's ``QSoundEffect`` (low latency, all platforms). It ships in
   *PySide6-Addons*, not in *PySide6-Essentials*; on Linux it also needs ``libpulse0`` just to
   import.
2. Windows: the standard library's ``winsound`` (asynchronous, no extra dependency).
3. macOS ``afplay``; Linux ``pw-play``, ``paplay`` or ``aplay`` when an output is present.
4. None: :attr:`SoundPlayer.available` is False and :attr:`SoundPlayer.reason` says why; the
   window shows "Sound unavailable" and keeps every visual alert. Never a crash.

``WINKMON_SOUND=off`` forces the silent backend (tests, quiet rooms).
"""

from __future__ import annotations

import enum
import logging
import os
import shutil
import subprocess
import sys
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

log = logging.getLogger(__name__)

SAMPLE_RATE_HZ = 44100


class Cue(enum.StrEnum):
    FLEXION = "flexion"  #: butt wink: loud, urgent
    EXTENSION_LOST = "extension_lost"  #: softer
    REP = "rep"  #: a quiet tick at the end of a good rep (off by default)


@dataclass(frozen=True, slots=True)
class _Tone:
    freq_hz: float
    dur_s: float
    gap_s: float
    count: int
    volume: float  #: 0..1 of full scale
    square: float  #: 0 = pure sine, 1 = strong odd harmonics (harsher, more audible)


TONES = {
    Cue.FLEXION: _Tone(1760.0, 0.09, 0.045, 3, 0.9, 0.6),
    Cue.EXTENSION_LOST: _Tone(660.0, 0.22, 0.0, 1, 0.45, 0.0),
    Cue.REP: _Tone(1320.0, 0.04, 0.0, 1, 0.2, 0.0),
}


def synthesise(tone: _Tone, rate_hz: int = SAMPLE_RATE_HZ) -> np.ndarray:
    """The tone as 16-bit mono samples (short attack and release: no clicks)."""
    n = int(tone.dur_s * rate_hz)
    t = np.arange(n) / rate_hz
    w = 2 * np.pi * tone.freq_hz * t
    wave_ = np.sin(w) + tone.square * (np.sin(3 * w) / 3 + np.sin(5 * w) / 5)
    wave_ /= np.max(np.abs(wave_))
    ramp = min(n // 2, int(0.005 * rate_hz))
    env = np.ones(n)
    env[:ramp] = np.linspace(0, 1, ramp)
    env[n - ramp :] = np.linspace(1, 0, ramp)
    beep = wave_ * env * tone.volume
    gap = np.zeros(int(tone.gap_s * rate_hz))
    parts: list[np.ndarray] = []
    for i in range(tone.count):
        parts.append(beep)
        if i + 1 < tone.count:
            parts.append(gap)
    return (np.concatenate(parts) * 32767).astype(np.int16)


def write_cues(directory: Path) -> dict[Cue, Path]:
    """Write one WAV per cue into ``directory`` (kept if already there); return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths: dict[Cue, Path] = {}
    for cue, tone in TONES.items():
        path = directory / f"winkmon-{cue.value}-v1.wav"
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            with wave.open(str(tmp), "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(SAMPLE_RATE_HZ)
                w.writeframes(synthesise(tone).tobytes())
            tmp.replace(path)
        paths[cue] = path
    return paths


def cue_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("winkmon")) / "sounds"


class _Backend(Protocol):
    name: str

    def play(self, cue: Cue) -> None: ...


class _QtBackend:
    name = "QtMultimedia"

    def __init__(self, paths: dict[Cue, Path]) -> None:
        from PySide6.QtCore import QUrl
        from PySide6.QtMultimedia import QMediaDevices, QSoundEffect

        if not QMediaDevices.audioOutputs():
            raise RuntimeError("no audio output device")
        self._effects = {}
        for cue, path in paths.items():
            effect = QSoundEffect()
            effect.setSource(QUrl.fromLocalFile(str(path)))
            effect.setVolume(1.0)
            self._effects[cue] = effect

    def play(self, cue: Cue) -> None:
        self._effects[cue].play()


class _WinsoundBackend:
    name = "winsound"

    def __init__(self, paths: dict[Cue, Path]) -> None:
        import winsound

        self._ws: Any = winsound
        self._paths = paths

    def play(self, cue: Cue) -> None:
        flags = self._ws.SND_FILENAME | self._ws.SND_ASYNC | self._ws.SND_NODEFAULT
        self._ws.PlaySound(str(self._paths[cue]), flags)


class _CommandBackend:
    def __init__(self, paths: dict[Cue, Path], argv: list[str]) -> None:
        self.name = Path(argv[0]).name
        self._argv = argv
        self._paths = paths

    def play(self, cue: Cue) -> None:
        try:
            subprocess.Popen(
                [*self._argv, str(self._paths[cue])],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except OSError as exc:
            log.warning("could not play %s: %s", cue.value, exc)


def _command_backend(paths: dict[Cue, Path]) -> _CommandBackend | None:
    if sys.platform == "darwin" and shutil.which("afplay"):
        return _CommandBackend(paths, ["afplay"])
    if not sys.platform.startswith("linux"):
        return None
    for program in ("pw-play", "paplay"):
        exe = shutil.which(program)
        if exe and shutil.which("pactl") and _succeeds(["pactl", "info"]):
            return _CommandBackend(paths, [exe])
    aplay = shutil.which("aplay")
    if aplay and _succeeds([aplay, "-l"], must_print="card"):
        return _CommandBackend(paths, [aplay, "-q"])
    return None


def _succeeds(argv: list[str], must_print: str = "") -> bool:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=2, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return out.returncode == 0 and must_print in out.stdout


class SoundPlayer:
    """Plays cues on the first backend that works (see the module doc); never raises.

    :attr:`played` lists every cue it was asked to play while not muted, in order, whether or
    not a backend could make it heard: that is what tests check.
    """

    def __init__(self, enabled: bool | None = None, directory: Path | None = None) -> None:
        self.muted = False
        self.played: list[Cue] = []
        self.reason = ""
        self._backend: _Backend | None = None
        if enabled is None:
            enabled = os.environ.get("WINKMON_SOUND", "auto").lower() not in {"off", "0", "no"}
        if not enabled:
            self.reason = "Sound is off (WINKMON_SOUND=off)"
            return
        try:
            paths = write_cues(directory or cue_dir())
        except OSError as exc:
            self.reason = f"Sound unavailable: cannot write the tones ({exc})"
            log.warning("%s", self.reason)
            return
        self._backend = self._pick(paths)

    def _pick(self, paths: dict[Cue, Path]) -> _Backend | None:
        reasons = []
        try:
            return _QtBackend(paths)
        except ImportError as exc:
            reasons.append(f"QtMultimedia missing ({exc})")
        except Exception as exc:  # a broken audio stack must never stop the app
            reasons.append(f"QtMultimedia: {exc}")
        if sys.platform == "win32":
            try:
                return _WinsoundBackend(paths)
            except Exception as exc:
                reasons.append(f"winsound: {exc}")
        backend = _command_backend(paths)
        if backend is not None:
            return backend
        reasons.append("no audio output found")
        self.reason = "Sound unavailable: " + "; ".join(reasons)
        log.warning("%s", self.reason)
        return None

    @property
    def available(self) -> bool:
        return self._backend is not None

    @property
    def backend_name(self) -> str:
        return self._backend.name if self._backend else "none"

    def play(self, cue: Cue) -> None:
        if self.muted:
            return
        self.played.append(cue)
        if self._backend is None:
            return
        try:
            self._backend.play(cue)
        except Exception as exc:  # pragma: no cover - depends on the machine
            log.warning("sound backend %s failed: %s", self.backend_name, exc)

"""``winkmon calibrate`` end to end on a simulated recording."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from winkmon.cli import main
from winkmon.commands.simulate import write_simulated_recording
from winkmon.profiles import ProfileStore, profile_file_name
from winkmon.protocol.constants import Role
from winkmon.sim import Calibrate, SessionScript, SimConfig, Stand, Walk


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    path = tmp_path_factory.mktemp("cal") / "cal.winkmon"
    script = SessionScript((Stand(3.0), Calibrate(), Stand(2.0), Walk(3.0)))
    addresses = {Role.SACRUM: "D0:5E:AA:00:00:01", Role.LUMBAR: "D0:5E:AA:00:00:02"}
    info = write_simulated_recording(path, SimConfig.random(3), script, addresses=addresses)
    return path, info


def test_calibrate_saves_a_profile(
    session: tuple[Path, dict[str, object]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = session
    argv = ["calibrate", str(path), "--athlete", "Alex", "--profiles", str(tmp_path)]
    assert main([*argv, "--thresholds", "flexion=3,loss=6"]) == 0
    out = capsys.readouterr().out
    assert "found automatically" in out and f"saved: {tmp_path / profile_file_name('Alex')}" in out
    prof = ProfileStore(tmp_path).load("Alex")
    assert prof.thresholds.flexion_deg == 3.0 and prof.thresholds.loss_deg == 6.0
    assert prof.addresses == {Role.SACRUM: "D0:5E:AA:00:00:01", Role.LUMBAR: "D0:5E:AA:00:00:02"}
    assert prof.calibration.automatic and prof.calibration.source == str(path)
    from winkmon.sim.imu import make_mounts

    truth = make_mounts(SimConfig.random(3))
    for role in (Role.SACRUM, Role.LUMBAR):
        r = prof.mounts[role].matrix.T @ truth[role].matrix.T
        err = np.degrees(np.arccos(np.clip(0.5 * (np.trace(r) - 1), -1, 1)))
        stated = prof.sensors[role].quality.axis_uncertainty_deg
        assert stated is not None and err < 3.0 * stated + 0.5
    # the quality is shown: each axis's uncertainty and the effect at 30 deg of flexion
    assert "axis ±" in out and "at 30° of flexion" in out


def test_calibrate_with_windows_and_env_dir(
    session: tuple[Path, dict[str, object]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, info = session
    st, fn = info["static_s"], info["functional_s"]
    assert isinstance(st, list) and isinstance(fn, list)
    monkeypatch.setenv("WINKMON_PROFILES", str(tmp_path / "env"))
    argv = ["calibrate", str(path), "--athlete", "jo", "--static", f"{st[0]}:{st[1]}"]
    assert main([*argv, "--functional", f"{fn[0]}:{fn[1]}"]) == 0
    assert "(as given)" in capsys.readouterr().out
    assert ProfileStore(tmp_path / "env").load("jo").calibration.automatic is False


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--static", "5:3"], "bad --static window: window end"),
        (["--static", "x"], "bad --static window: expected START:END"),
        (["--static", "500:503", "--functional", "504:510"], "outside the recording"),
        (["--static", "17.5:20.5", "--functional", "8:14"], "not still enough"),
        (["--thresholds", "flexion=99"], "bad thresholds"),
        (["--method", "kalman"], "unknown orientation method"),
    ],
)
def test_bad_input_exits_2(
    session: tuple[Path, dict[str, object]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    path, _ = session
    argv = ["calibrate", str(path), "--athlete", "x", "--profiles", str(tmp_path), *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("winkmon: error: ") and message in err and err.count("\n") == 1
    assert not list(tmp_path.iterdir())  # nothing saved


def test_missing_recording_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["calibrate", str(tmp_path / "nope.winkmon"), "--athlete", "x"]
    assert main([*argv, "--profiles", str(tmp_path / "p")]) == 2
    assert "winkmon: error:" in capsys.readouterr().err


def test_calibrating_again_keeps_the_history(
    session: tuple[Path, dict[str, object]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = session
    argv = ["calibrate", str(path), "--athlete", "Kai", "--profiles", str(tmp_path)]
    assert main([*argv, "--thresholds", "flexion=4"]) == 0
    assert main(argv) == 0
    out = capsys.readouterr().out
    prof = ProfileStore(tmp_path).load("Kai")
    assert prof.revision == 2 and prof.history[0].reason.startswith("calibrated again")
    assert prof.thresholds.flexion_deg == 4.0  # kept: no --thresholds the second time
    assert "updated from calibration 1" in out
    assert np.allclose(
        prof.model(revision=1).mounts[Role.SACRUM].matrix,
        prof.mounts[Role.SACRUM].matrix,
        atol=0.05,
    )
    assert main([*argv, "--replace"]) == 0
    assert ProfileStore(tmp_path).load("Kai").revision == 1


def test_stand_then_squats_calibrates_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from winkmon.sim import SquatSet

    path = tmp_path / "squats.winkmon"
    write_simulated_recording(
        path, SimConfig.random(8), SessionScript((Stand(4.0), SquatSet(n_reps=5), Stand(2.0)))
    )
    argv = ["calibrate", str(path), "--athlete", "Lee", "--profiles", str(tmp_path / "p")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    prof = ProfileStore(tmp_path / "p").load("Lee")
    assert prof.calibration.neutral_source == "stand"
    assert "axis ±" in out


def test_sacrum_only_recording(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from winkmon.recording import RecordingWriter
    from winkmon.sim import SimStream

    path = tmp_path / "solo.winkmon"
    stream = SimStream(SimConfig.random(5), SessionScript((Stand(3.0), Calibrate(), Stand(2.0))))
    with RecordingWriter(path, session_start_ns=0, simulated=True) as w:
        sp = stream.start_params[Role.SACRUM]
        w.add_sensor(Role.SACRUM, sp.rate_hz, stream.infos[Role.SACRUM], sp)
        for chunk in stream.chunks(10.0):
            w.write_frames(
                Role.SACRUM, [(f.t_host_ns, f.payload) for f in chunk if f.role is Role.SACRUM]
            )
    argv = ["calibrate", str(path), "--athlete", "Solo", "--profiles", str(tmp_path / "p")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "lumbopelvic angle unavailable" in out and "lumbar" not in out.split("sacrum")[0]
    prof = ProfileStore(tmp_path / "p").load("Solo")
    assert set(prof.sensors) == {Role.SACRUM} and not prof.lumbopelvic_available


def test_refine_from_a_session_of_squats(
    session: tuple[Path, dict[str, object]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from winkmon.sim import SquatSet

    path, _ = session
    prof_dir = str(tmp_path / "p")
    argv = ["--athlete", "Alex", "--profiles", prof_dir]
    assert main(["calibrate", "--refine", str(path), *argv]) == 2  # nothing to refine yet
    assert "needs a stored profile" in capsys.readouterr().err
    assert main(["calibrate", str(path), *argv]) == 0
    squats = tmp_path / "squats.winkmon"  # the same athlete and mounts (same seed), squatting
    write_simulated_recording(squats, SimConfig.random(3), SessionScript((SquatSet(n_reps=6),)))
    assert main(["calibrate", "--refine", str(squats), *argv]) == 0
    out = capsys.readouterr().out
    assert "updated from calibration 1: refined from the squats" in out
    prof = ProfileStore(tmp_path / "p").load("Alex")
    assert prof.revision == 2 and prof.calibration.neutral_source == "profile"

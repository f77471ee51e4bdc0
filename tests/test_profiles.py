"""Athlete profiles: JSON round trip, schema versions, the store and its directory."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from winkmon.errors import ProfileError
from winkmon.pipeline.model import AthleteModel, Mount, Thresholds
from winkmon.profiles import (
    SCHEMA_VERSION,
    AthleteProfile,
    CalibrationRecord,
    ProfileStore,
    SensorCalibration,
    SensorNeutral,
    SensorQuality,
    Window,
    calibration_quality_lines,
    parse_thresholds,
    profile_file_name,
    resolve_profiles_dir,
)
from winkmon.protocol.constants import Role


def rotation(seed: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    q = q @ np.diag(np.sign(np.diag(r)))
    return q if np.linalg.det(q) > 0 else -q


def sensor(
    seed: int, address: str | None = None, uncertainty_deg: float | None = 3.0
) -> SensorCalibration:
    m = rotation(seed)
    return SensorCalibration(
        mount=Mount(m),
        neutral=SensorNeutral(
            up_sensor=(float(m[0, 2]), float(m[1, 2]), float(m[2, 2])),
            face_tilt_deg=30.0,
            rotation_on_skin_deg=-12.5,
            side_tilt_deg=1.5,
            inclination_deg=0.1,
        ),
        quality=SensorQuality(
            still_gyro_rms_deg_s=0.8,
            still_acc_std_m_s2=0.05,
            bend_amplitude_deg=55.0,
            bend_peaks_deg=(55.0, 52.0),
            axis_ratio=0.05,
            axis_up_angle_deg=89.0,
            axis_agreement_deg=0.4,
            axis_uncertainty_deg=uncertainty_deg,
            angle_error_deg=None if uncertainty_deg is None else 0.15,
        ),
        address=address,
    )


def make_profile(name: str = "Alex B") -> AthleteProfile:
    return AthleteProfile(
        name=name,
        sensors={Role.SACRUM: sensor(1, "C0:11:22:33:44:55"), Role.LUMBAR: sensor(2)},
        calibration=CalibrationRecord(
            static=Window(2.0, 5.0),
            functional=Window(5.3, 12.0),
            automatic=True,
            static_angle_deg=0.2,
            bend_margin_deg=30.0,
            source="session.winkmon",
        ),
        thresholds=Thresholds(flexion_deg=3.0, loss_deg=6.0),
        created_utc="2025-03-01T10:00:00Z",
    )


def test_json_round_trip() -> None:
    prof = make_profile()
    text = prof.to_json()
    doc = json.loads(text)
    assert doc["schema_version"] == SCHEMA_VERSION == 2
    assert doc["sensors"]["sacrum"]["address"] == "C0:11:22:33:44:55"
    assert len(doc["sensors"]["lumbar"]["mount"]) == 3
    back = AthleteProfile.from_json(text)
    assert back.to_json() == text
    assert back.name == prof.name and back.thresholds == prof.thresholds
    assert back.calibration == prof.calibration
    assert back.addresses == {Role.SACRUM: "C0:11:22:33:44:55"}
    for role in (Role.SACRUM, Role.LUMBAR):
        assert np.allclose(back.mounts[role].matrix, prof.mounts[role].matrix, atol=1e-8)
        assert back.sensors[role].quality == prof.sensors[role].quality


def test_model() -> None:
    model = make_profile().model()
    assert isinstance(model, AthleteModel)
    assert model.name == "Alex B" and model.thresholds.flexion_deg == 3.0
    assert np.allclose(model.mounts[Role.LUMBAR].matrix, rotation(2))


def test_newer_schema_is_refused() -> None:
    doc = json.loads(make_profile().to_json())
    doc["schema_version"] = 3
    with pytest.raises(ProfileError, match=r"alex\.json: profile schema version 3 .*update"):
        AthleteProfile.from_json(json.dumps(doc), origin="alex.json")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not an athlete profile"),
        ('{"name": "x"}', "no schema_version"),
        ('{"schema_version": 1, "name": "x"}', "damaged athlete profile: missing field"),
    ],
)
def test_bad_documents(text: str, match: str) -> None:
    with pytest.raises(ProfileError, match=match):
        AthleteProfile.from_json(text, origin="bad.json")


def test_damaged_mount_is_refused() -> None:
    doc = json.loads(make_profile().to_json())
    doc["sensors"]["sacrum"]["mount"] = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]]
    with pytest.raises(ProfileError, match="3x3"):
        AthleteProfile.from_json(json.dumps(doc), origin="bad.json")


def test_unknown_keys_are_ignored() -> None:
    doc = json.loads(make_profile().to_json())
    doc["future_field"] = {"x": 1}
    doc["thresholds"]["future_threshold"] = 3
    assert AthleteProfile.from_dict(doc).name == "Alex B"


def test_store_save_load_list_delete(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "profiles")
    assert store.names() == []
    path = store.save(make_profile("Alex B"))
    store.save(make_profile("jo"))
    assert path == tmp_path / "profiles" / profile_file_name("Alex B")
    assert path.name.startswith("alex-b-")
    assert store.names() == ["Alex B", "jo"]
    with pytest.raises(ProfileError, match="no profile"):
        store.load("alex b")  # names are matched exactly
    assert store.load("Alex B").to_json() == make_profile("Alex B").to_json()
    store.delete("jo")
    assert store.names() == ["Alex B"]
    with pytest.raises(ProfileError, match="no profile"):
        store.delete("jo")


def test_missing_profile_message(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    store.save(make_profile("a"))
    store.save(make_profile("b"))
    with pytest.raises(ProfileError) as err:
        store.load("Sam")
    msg = str(err.value)
    assert "no profile for athlete 'Sam'" in msg and str(tmp_path) in msg
    assert "(known: a, b)" in msg and "winkmon calibrate" in msg and "--athlete Sam" in msg


def test_damaged_file_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("{oops")
    store = ProfileStore(tmp_path)
    with pytest.raises(ProfileError, match=r"x\.json: not valid JSON"):
        store.load("x")
    assert store.names() == []  # listing skips it


def test_safe_file_names() -> None:
    assert re.fullmatch(r"etc-passwd-[0-9a-f]{10}\.json", profile_file_name("../../etc/passwd"))
    assert re.fullmatch(r"zoë-smith-[0-9a-f]{10}\.json", profile_file_name("  Zoë Smith "))
    with pytest.raises(ProfileError, match="no letters or digits"):
        profile_file_name("../")


def test_profiles_dir_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WINKMON_PROFILES", raising=False)
    default = resolve_profiles_dir(None)
    assert default.name == "profiles" and "winkmon" in str(default)
    monkeypatch.setenv("WINKMON_PROFILES", str(tmp_path / "env"))
    assert resolve_profiles_dir(None) == tmp_path / "env"
    assert resolve_profiles_dir(str(tmp_path / "arg")) == tmp_path / "arg"


def test_parse_thresholds() -> None:
    t = parse_thresholds("flexion=3, loss=6,depth=30")
    assert (t.flexion_deg, t.loss_deg, t.min_depth_cm) == (3.0, 6.0, 30.0)
    assert parse_thresholds("") == Thresholds()
    assert parse_thresholds("dwell_s=0.1").dwell_s == 0.1
    for bad, match in [
        ("speed=3", "bad threshold"),
        ("flexion=x", "not a number"),
        ("flexion=99", "flexion_deg must be"),
    ]:
        with pytest.raises(ProfileError, match=match):
            parse_thresholds(bad)


def test_window() -> None:
    assert Window.parse("2.5:5") == Window(2.5, 5.0)
    for bad in ("5:3", "2", "a:b", "1:2:3"):
        with pytest.raises(ValueError):
            Window.parse(bad)


# ---------------------------------------------------------------------- schema 2
def v1_document() -> dict[str, object]:
    """A profile as winkmon wrote it before schema 2 (no uncertainty, history, sources)."""
    doc = json.loads(make_profile().to_json())
    doc["schema_version"] = 1
    for key in ("revision", "history"):
        del doc[key]
    for key in ("motion_source", "neutral_source", "angle_error_deg", "lumbopelvic_available"):
        del doc["calibration"][key]
    del doc["calibration"]["axis_uncertainty_deg"]
    for sc in doc["sensors"].values():
        for key in ("axis_uncertainty_deg", "angle_error_deg", "facing_in"):
            del sc["quality"][key]
    return doc


def test_version_1_profiles_still_load(tmp_path: Path) -> None:
    prof = AthleteProfile.from_dict(v1_document(), origin="old.json")
    assert prof.schema_version == 1 and prof.revision == 1 and prof.lumbopelvic_available
    assert prof.sensors[Role.SACRUM].quality.axis_uncertainty_deg is None
    assert prof.calibration.motion_source == "bends" and prof.calibration.neutral_source == "stand"
    assert np.allclose(prof.model().mounts[Role.LUMBAR].matrix, rotation(2), atol=1e-8)
    lines = calibration_quality_lines(prof)
    assert any("not recorded" in line for line in lines)
    # saved again, it is a version 2 file
    ProfileStore(tmp_path).save(prof)
    assert json.loads(ProfileStore(tmp_path).path_for(prof.name).read_text())["schema_version"] == 2


def test_version_1_needs_both_sensors() -> None:
    doc = v1_document()
    del doc["sensors"]["lumbar"]  # type: ignore[attr-defined]
    with pytest.raises(ProfileError, match="both sensors"):
        AthleteProfile.from_dict(doc, origin="old.json")


def test_the_report_block_carries_the_uncertainty() -> None:
    doc = make_profile().calibration.as_dict()
    assert "axis_uncertainty_deg" in doc and "lumbopelvic_available" in doc


def test_sacrum_only_profile() -> None:
    prof = AthleteProfile(
        name="Solo",
        sensors={Role.SACRUM: sensor(1)},
        calibration=CalibrationRecord(
            static=Window(2.0, 5.0), functional=Window(5.3, 12.0), lumbopelvic_available=False
        ),
    )
    assert not prof.lumbopelvic_available
    back = AthleteProfile.from_json(prof.to_json())
    assert set(back.sensors) == {Role.SACRUM} and not back.calibration.lumbopelvic_available
    assert "lumbar" not in json.loads(prof.to_json())["sensors"]
    assert np.allclose(back.mounts[Role.SACRUM].matrix, rotation(1), atol=1e-8)
    model = prof.model()  # reps, depth and pelvic tilt; no lumbopelvic angle
    assert set(model.mounts) == {Role.SACRUM} and not model.has_angle
    assert any("lumbopelvic angle unavailable" in line for line in calibration_quality_lines(prof))
    with pytest.raises(ValueError, match="sacrum"):
        AthleteProfile(name="x", sensors={Role.LUMBAR: sensor(2)}, calibration=prof.calibration)


def test_update_keeps_the_previous_calibration() -> None:
    old = make_profile()
    new_sensors = {Role.SACRUM: sensor(3, uncertainty_deg=1.0), Role.LUMBAR: sensor(4)}
    newer = AthleteProfile(
        name="ignored",
        sensors=new_sensors,
        calibration=CalibrationRecord(
            static=Window(1.0, 3.0), functional=Window(4.0, 9.0), motion_source="squats"
        ),
        created_utc="2025-03-02T10:00:00Z",
    )
    upd = old.updated(newer, "refined from the first squats")
    assert upd.revision == 2 and upd.name == old.name and upd.thresholds == old.thresholds
    assert upd.addresses == {Role.SACRUM: "C0:11:22:33:44:55"}  # kept from the old profile
    assert np.allclose(upd.model().mounts[Role.SACRUM].matrix, rotation(3))
    assert np.allclose(upd.model(revision=1).mounts[Role.SACRUM].matrix, rotation(1))
    assert np.allclose(upd.model(revision=2).mounts[Role.SACRUM].matrix, rotation(3))
    h = upd.history[0]
    assert h.reason == "refined from the first squats"
    assert "sacrum: axis turned" in h.changes and "±3.0° -> ±1.0°" in h.changes
    back = AthleteProfile.from_json(upd.to_json())
    assert back.to_json() == upd.to_json()
    assert np.allclose(back.model(revision=1).mounts[Role.LUMBAR].matrix, rotation(2), atol=1e-8)
    assert any("updated from calibration 1" in line for line in calibration_quality_lines(back))
    with pytest.raises(ProfileError, match="no calibration revision 7"):
        upd.model(revision=7)

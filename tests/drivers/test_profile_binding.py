"""An athlete's profile binds each role to an address and a driver (sensor kind)."""

from __future__ import annotations

import dataclasses

from winkmon.demo import demo_profile
from winkmon.profiles import AthleteProfile
from winkmon.protocol.constants import Role


def test_the_driver_of_each_role_round_trips_and_old_profiles_load_as_winkmon() -> None:
    profile = demo_profile(0)
    sensors = dict(profile.sensors)
    sensors[Role.SACRUM] = dataclasses.replace(
        sensors[Role.SACRUM], address="E0:5E:AA:00:00:01", driver="polar-verity"
    )
    bound = dataclasses.replace(profile, sensors=sensors)
    back = AthleteProfile.from_dict(bound.to_dict())
    assert back.sensors[Role.SACRUM].driver == "polar-verity"
    assert back.sensors[Role.SACRUM].address == "E0:5E:AA:00:00:01"
    assert back.sensors[Role.LUMBAR].driver is None
    assert "driver" not in profile.to_dict()["sensors"]["lumbar"]

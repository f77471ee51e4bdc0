"""The sensor panel's line names a vendor sensor's kind next to rate, loss and battery."""

from __future__ import annotations

from winkmon.gui.controller import SensorStatus
from winkmon.gui.panels import status_text
from winkmon.protocol.constants import Role
from winkmon.session.contract import LinkState


def test_a_vendor_sensor_shows_its_kind_rate_loss_and_battery() -> None:
    s = SensorStatus(Role.SACRUM, LinkState.CONNECTED, 208.0, 1.25, 80.0, "E0:5E", "polar-verity")
    assert status_text(s) == "polar-verity · 208 Hz · loss 1.2% · battery 80%"
    plain = SensorStatus(Role.LUMBAR, LinkState.CONNECTED, 200.0, 0.0, None, "D0:5E")
    assert status_text(plain) == "200 Hz · loss 0.0%"

"""WitMotion BWT901BLE: protocol, decoder ``witmotion/1``, driver, emulator."""

from winkmon.drivers.witmotion.decoder import DECODER_NAME, WitMotionDecoder
from winkmon.drivers.witmotion.driver import KIND, WitMotionDriver, WitMotionParams

__all__ = ["DECODER_NAME", "KIND", "WitMotionDecoder", "WitMotionDriver", "WitMotionParams"]

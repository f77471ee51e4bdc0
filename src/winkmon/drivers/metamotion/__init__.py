"""MbientLab MetaMotion RL (MetaWear, BMI160): protocol, decoder ``metamotion/1``, driver,
emulator."""

from winkmon.drivers.metamotion.decoder import DECODER_NAME, MetaMotionDecoder
from winkmon.drivers.metamotion.driver import KIND, MetaMotionDriver, MetaMotionParams

__all__ = ["DECODER_NAME", "KIND", "MetaMotionDecoder", "MetaMotionDriver", "MetaMotionParams"]

"""MbientLab MetaMotion RL (BMI160) and S (BMI270) over MetaWear: protocol, decoder
``metamotion/1``, driver, emulators."""

from winkmon.drivers.metamotion.decoder import DECODER_NAME, MetaMotionDecoder
from winkmon.drivers.metamotion.driver import KIND, MetaMotionDriver, MetaMotionParams

__all__ = ["DECODER_NAME", "KIND", "MetaMotionDecoder", "MetaMotionDriver", "MetaMotionParams"]

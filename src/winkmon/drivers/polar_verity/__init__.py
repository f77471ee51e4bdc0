"""Polar Verity Sense (PMD service): protocol, decoder ``polar-verity/1``, driver, emulator."""

from winkmon.drivers.polar_verity.decoder import DECODER_NAME, PolarVerityDecoder
from winkmon.drivers.polar_verity.driver import KIND, PolarVerityDriver, VerityParams

__all__ = ["DECODER_NAME", "KIND", "PolarVerityDecoder", "PolarVerityDriver", "VerityParams"]

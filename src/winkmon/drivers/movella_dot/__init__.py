"""Movella DOT: protocol, decoder ``movella-dot/1``, driver, emulator."""

from winkmon.drivers.movella_dot.decoder import DECODER_NAME, MovellaDotDecoder
from winkmon.drivers.movella_dot.driver import KIND, DotParams, MovellaDotDriver

__all__ = ["DECODER_NAME", "KIND", "DotParams", "MovellaDotDecoder", "MovellaDotDriver"]

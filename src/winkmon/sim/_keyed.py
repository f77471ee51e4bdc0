"""Counter-keyed random streams: the same numbers for an index, however a session is chunked."""

from __future__ import annotations

import numpy as np

from winkmon.sim.rotation import FloatArray

BLOCK = 4096


class KeyedStream:
    """Rows of random numbers addressed by index; row ``i`` depends only on ``key`` and ``i``."""

    __slots__ = ("_cache", "_cols", "_key", "_normal")

    def __init__(self, key: tuple[int, ...], cols: int, *, normal: bool) -> None:
        self._key = key
        self._cols = cols
        self._normal = normal
        self._cache: dict[int, FloatArray] = {}

    def _block(self, blk: int) -> FloatArray:
        data = self._cache.get(blk)
        if data is None:
            rng = np.random.default_rng([*self._key, blk])
            shape = (BLOCK, self._cols)
            data = rng.standard_normal(shape) if self._normal else rng.random(shape)
            if len(self._cache) > 4:
                self._cache.clear()
            self._cache[blk] = data
        return data

    def take(self, start: int, stop: int) -> FloatArray:
        """Rows ``[start, stop)`` as an array of shape (stop - start, cols)."""
        out = np.empty((max(0, stop - start), self._cols))
        if stop <= start:
            return out
        for blk in range(start // BLOCK, (stop - 1) // BLOCK + 1):
            lo, hi = max(start, blk * BLOCK), min(stop, (blk + 1) * BLOCK)
            out[lo - start : hi - start] = self._block(blk)[lo - blk * BLOCK : hi - blk * BLOCK]
        return out

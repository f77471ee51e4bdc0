"""A preallocated numpy ring buffer whose latest ``n`` rows are always one contiguous view.

Live views keep the last few seconds of a stream that never ends. Appending with
``np.concatenate`` or ``np.roll`` allocates on every chunk and makes the memory and the frame
time of a two-hour session depend on its length; this buffer allocates once.

Every row is stored twice, at slot ``i`` and ``i + capacity`` of an array twice the capacity
(the "mirrored" ring). Writing costs two copies, but reading the latest ``n`` rows is a slice,
never a copy and never two pieces: exactly what a plot's ``setData`` wants, 60 times a second.

Not thread-safe: one writer and its readers share a thread (the event loop's).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from winkmon.errors import InputError


class RingBuffer:
    """The latest ``capacity`` rows of a stream, each row of ``shape`` and ``dtype``.

    ``fill`` initialises the storage (NaN for floats by default) so a view of slots never
    written is harmless to plot. :attr:`total` counts every row ever written, so a reader can
    tell which rows are new since it last looked (:meth:`since`).
    """

    __slots__ = ("_capacity", "_data", "_head", "_size", "_total")

    def __init__(
        self,
        capacity: int,
        dtype: npt.DTypeLike = np.float64,
        shape: tuple[int, ...] = (),
        fill: object = None,
    ) -> None:
        if capacity < 1:
            raise InputError("a ring buffer needs a capacity of at least 1 row")
        dt = np.dtype(dtype)
        if fill is None:
            fill = np.nan if dt.kind in "fc" else 0
        self._capacity = int(capacity)
        self._data = np.full((2 * self._capacity, *shape), fill, dtype=dt)
        self._head = 0  # slot of the next write, 0 <= head < capacity
        self._size = 0
        self._total = 0

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def total(self) -> int:
        """Rows written since creation or the last :meth:`clear`, including overwritten ones."""
        return self._total

    @property
    def dtype(self) -> np.dtype[np.generic]:
        return self._data.dtype

    def __len__(self) -> int:
        return self._size

    def clear(self) -> None:
        """Forget every row (the storage is kept)."""
        self._head = 0
        self._size = 0
        self._total = 0

    def append(self, row: object) -> None:
        """Add one row."""
        cap, h = self._capacity, self._head
        self._data[h] = row
        self._data[h + cap] = row
        self._head = (h + 1) % cap
        self._size = min(self._size + 1, cap)
        self._total += 1

    def extend(self, rows: npt.ArrayLike) -> None:
        """Add rows (first axis); if there are more than the capacity only the last ones stay."""
        values = np.asarray(rows, dtype=self._data.dtype)
        n = int(values.shape[0]) if values.ndim else 1
        if values.ndim == 0 or values.shape[1:] != self._data.shape[1:]:
            values = values.reshape((n, *self._data.shape[1:]))
        if n == 0:
            return
        cap = self._capacity
        self._total += n
        if n >= cap:
            values = values[n - cap :]
            self._data[:cap] = values
            self._data[cap:] = values
            self._head = 0
            self._size = cap
            return
        h = self._head
        first = min(n, cap - h)  # rows that fit before the end of the first copy
        self._data[h : h + first] = values[:first]
        self._data[h + cap : h + cap + first] = values[:first]
        rest = n - first
        if rest:
            self._data[:rest] = values[first:]
            self._data[cap : cap + rest] = values[first:]
        self._head = (h + n) % cap
        self._size = min(self._size + n, cap)

    def last(self, n: int | None = None) -> npt.NDArray[np.generic]:
        """The latest ``n`` rows (all if None), oldest first, as a read-only contiguous view.

        The view shows the buffer as it is now: later writes change it. Copy it to keep it.
        """
        size = self._size if n is None else max(0, min(int(n), self._size))
        end = self._head + self._capacity
        view = self._data[end - size : end]
        view.flags.writeable = False
        return view

    def since(self, total: int) -> npt.NDArray[np.generic]:
        """The rows written after the buffer's :attr:`total` was ``total`` (as many as it holds)."""
        return self.last(self._total - total)

    def to_array(self) -> npt.NDArray[np.generic]:
        """A copy of every row held, oldest first."""
        return self.last().copy()

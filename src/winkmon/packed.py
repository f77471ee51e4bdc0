"""Notification payloads kept together, as a recording stores them.

A recording keeps a block's payloads back to back in one buffer (``frame_blocks``, format 3),
and a stream's payloads usually all have one length (one frame layout). :class:`PackedPayloads`
is a ``Sequence[bytes]`` over such payloads, so it is a
:class:`~winkmon.session.contract.NotificationBlock`'s ``payloads`` like any list, but it
makes no ``bytes`` object per payload unless one is asked for: the decoder reads all of them
at once as the rows of one byte table (:meth:`PackedPayloads.rows`), and picking one sensor's
payloads out of a mixed block picks rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeAlias, overload

import numpy as np
import numpy.typing as npt

ByteTable = npt.NDArray[np.uint8]
IntArray = npt.NDArray[np.int64]
#: A column of integers (roles, times, frame ids): a sequence, or a numpy array (a
#: recording's columns, read as such).
IntColumn: TypeAlias = Sequence[int] | npt.NDArray[np.integer[Any]]


class PackedPayloads(Sequence[bytes]):
    """Payloads as the rows of one ``(n, width)`` byte table when they all have one length,
    else as one buffer with each payload's start and end (see the module doc). Immutable."""

    __slots__ = ("_data", "_ends", "_starts", "_table")

    def __init__(
        self,
        table: ByteTable | None = None,
        data: ByteTable | None = None,
        starts: IntArray | None = None,
        ends: IntArray | None = None,
    ) -> None:
        if table is None and (data is None or starts is None or ends is None):
            raise ValueError("PackedPayloads needs a table, or data with starts and ends")
        self._table = table
        self._data = data
        self._starts = starts
        self._ends = ends

    @classmethod
    def from_buffer(cls, buffer: bytes, lengths: IntArray) -> PackedPayloads:
        """Payloads of ``lengths`` bytes stored back to back in ``buffer`` (no copy)."""
        lengths = np.asarray(lengths, dtype=np.int64)
        data = np.frombuffer(buffer, dtype=np.uint8)
        if int(lengths.sum()) != len(data):
            raise ValueError(f"payload lengths add up to {int(lengths.sum())}, not {len(data)}")
        n = len(lengths)
        if n and (lengths == lengths[0]).all():
            return cls(table=data.reshape(n, int(lengths[0])))
        ends = np.cumsum(lengths)
        return cls(data=data, starts=ends - lengths, ends=ends)

    @classmethod
    def concat(cls, parts: Sequence[PackedPayloads]) -> PackedPayloads:
        """The payloads of ``parts``, in order (one copy)."""
        tables = [p._table for p in parts]
        widths = {t.shape[1] for t in tables if t is not None}
        if parts and all(t is not None for t in tables) and len(widths) == 1:
            return cls(table=np.concatenate(tables))  # type: ignore[arg-type]
        datas: list[ByteTable] = []
        lengths: list[IntArray] = []
        for p in parts:
            buf, lens = p._flat()
            datas.append(buf)
            lengths.append(lens)
        if not datas:
            return cls(table=np.empty((0, 0), dtype=np.uint8))
        return cls.from_buffer(np.concatenate(datas).tobytes(), np.concatenate(lengths))

    def rows(self) -> ByteTable | None:
        """All payloads as the rows of one byte table (not to be written to; no copy), or None when
        their lengths differ."""
        return self._table

    def lengths(self) -> IntArray:
        """Each payload's length in bytes."""
        if self._table is not None:
            return np.full(len(self._table), self._table.shape[1], dtype=np.int64)
        assert self._starts is not None and self._ends is not None
        return self._ends - self._starts

    def take(self, indices: IntArray) -> PackedPayloads:
        """The payloads at ``indices`` (positions), in that order."""
        if self._table is not None:
            return PackedPayloads(table=self._table[indices])
        assert self._starts is not None and self._ends is not None
        return PackedPayloads(
            data=self._data, starts=self._starts[indices], ends=self._ends[indices]
        )

    def __len__(self) -> int:
        if self._table is not None:
            return len(self._table)
        assert self._starts is not None
        return len(self._starts)

    @overload
    def __getitem__(self, index: int) -> bytes: ...

    @overload
    def __getitem__(self, index: slice) -> PackedPayloads: ...

    def __getitem__(self, index: int | slice) -> bytes | PackedPayloads:
        if isinstance(index, slice):
            if self._table is not None:
                return PackedPayloads(table=self._table[index])
            assert self._starts is not None and self._ends is not None
            return PackedPayloads(
                data=self._data, starts=self._starts[index], ends=self._ends[index]
            )
        if self._table is not None:
            return self._table[index].tobytes()
        assert self._data is not None and self._starts is not None and self._ends is not None
        return self._data[int(self._starts[index]) : int(self._ends[index])].tobytes()

    def __iter__(self) -> Iterator[bytes]:
        if self._table is not None:
            return (row.tobytes() for row in self._table)
        return (self[i] for i in range(len(self)))

    def __repr__(self) -> str:
        return f"PackedPayloads({len(self)} payloads)"

    def _flat(self) -> tuple[ByteTable, IntArray]:
        """The payloads back to back, and their lengths."""
        lengths = self.lengths()
        if self._table is not None:
            return self._table.reshape(-1), lengths
        assert self._data is not None and self._starts is not None and self._ends is not None
        data = self._data
        pieces = [
            data[a:b] for a, b in zip(self._starts.tolist(), self._ends.tolist(), strict=True)
        ]
        flat = np.concatenate(pieces) if pieces else np.empty(0, dtype=np.uint8)
        return flat, lengths


__all__ = ["IntColumn", "PackedPayloads"]

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from winkmon.gui.ringbuffer import RingBuffer


def test_empty_buffer_gives_empty_view() -> None:
    rb = RingBuffer(4)
    assert len(rb) == 0
    assert rb.last().shape == (0,)
    assert rb.total == 0


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError):
        RingBuffer(0)


def test_keeps_latest_rows_in_order() -> None:
    rb = RingBuffer(5)
    rb.extend(np.arange(3.0))
    rb.extend(np.arange(3.0, 8.0))
    assert list(rb.last()) == [3.0, 4.0, 5.0, 6.0, 7.0]
    assert list(rb.last(2)) == [6.0, 7.0]
    assert rb.total == 8
    rb.append(8.0)
    assert list(rb.last()) == [4.0, 5.0, 6.0, 7.0, 8.0]


def test_view_is_contiguous_and_read_only() -> None:
    rb = RingBuffer(4)
    rb.extend([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    view = rb.last(3)
    assert view.flags.c_contiguous
    with pytest.raises(ValueError):
        view[0] = 0.0


def test_chunk_larger_than_capacity_keeps_its_tail() -> None:
    rb = RingBuffer(3, dtype=np.int8)
    rb.append(1)
    rb.extend(np.arange(10, dtype=np.int8))
    assert list(rb.last()) == [7, 8, 9]
    assert rb.total == 11


def test_rows_with_shape() -> None:
    rb = RingBuffer(3, shape=(2,))
    rb.extend(np.arange(8.0).reshape(4, 2))
    assert rb.last().tolist() == [[2.0, 3.0], [4.0, 5.0], [6.0, 7.0]]


def test_since_returns_new_rows() -> None:
    rb = RingBuffer(10)
    rb.extend([1.0, 2.0])
    mark = rb.total
    rb.extend([3.0, 4.0, 5.0])
    assert list(rb.since(mark)) == [3.0, 4.0, 5.0]


def test_clear() -> None:
    rb = RingBuffer(3)
    rb.extend([1.0, 2.0])
    rb.clear()
    assert len(rb) == 0 and rb.total == 0
    rb.append(9.0)
    assert list(rb.last()) == [9.0]


@given(
    capacity=st.integers(1, 17),
    chunks=st.lists(st.integers(0, 40), max_size=12),
)
def test_any_chunking_matches_the_tail_of_the_stream(capacity: int, chunks: list[int]) -> None:
    rb = RingBuffer(capacity)
    stream: list[float] = []
    for n in chunks:
        values = [float(len(stream) + i) for i in range(n)]
        stream.extend(values)
        rb.extend(values)
        assert rb.last().tolist() == stream[-capacity:] if stream else rb.last().size == 0
        assert rb.total == len(stream)

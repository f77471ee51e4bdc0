"""Closing the hub on virtual sensors, even when that close is itself cancelled (a shutdown
cutting it short), must not leave bumble a cancelled future to set: no ``InvalidStateError``
traceback from ``Host.on_packet`` (once seen at the end of ``make demo``)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from winkmon.virtual.rig import VirtualRigConfig, open_virtual_rig


async def _close_cut_short(loop_turns: int) -> list[str]:
    errors: list[str] = []

    def handler(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        errors.append(f"{context.get('exception')!r} {context.get('message', '')}")

    asyncio.get_running_loop().set_exception_handler(handler)
    async with open_virtual_rig(VirtualRigConfig()) as rig:
        await asyncio.sleep(0.3)  # streaming
        closing = asyncio.ensure_future(rig.hub.close())
        for _ in range(loop_turns):  # cut the close short at a chosen point
            await asyncio.sleep(0)
        closing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await closing
    await asyncio.sleep(0.2)  # let late responses arrive
    return errors


@pytest.mark.parametrize("loop_turns", [6, 7, 11, 16])  # each raised it before the fix
def test_a_cancelled_close_leaves_bumble_no_cancelled_request(loop_turns: int) -> None:
    errors = asyncio.run(asyncio.wait_for(_close_cut_short(loop_turns), 30.0))
    assert not [e for e in errors if "InvalidStateError" in e]

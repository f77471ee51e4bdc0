"""The processing pipeline: two sensor streams in, lumbopelvic angle, reps and alerts out.

Plain objects fed sample batches; nothing here knows Qt or asyncio.
"""

"""The processing pipeline: two sensor streams in, lumbopelvic angle, reps and alerts out.

Plain objects fed sample batches; nothing here knows Qt or asyncio.
"""

from winkmon._native import prefer_fresh

prefer_fresh(__name__)  # before any compiled module of this package is imported

"""One input path: sources of raw notifications, the one session, its recorder and player.

- :mod:`~winkmon.session.contract`: what every source yields (the input contract);
- :mod:`~winkmon.session.decode`: decoders by notification format (``winkmon``, drivers');
- :mod:`~winkmon.session.session`: the session (decode -> clock -> pipeline -> outputs);
- :mod:`~winkmon.session.recorder`: the one recording policy;
- :mod:`~winkmon.session.player`: a recording as a source;
- :mod:`~winkmon.session.run`: the async loop of a live session;
- :mod:`~winkmon.session.offline`: recordings through the session as fast as possible.
"""

from winkmon.session.contract import (
    Actuator,
    Channel,
    LinkChanged,
    LinkState,
    Notification,
    NotificationBlock,
    NotificationSource,
    SourceEvent,
    StreamStarted,
)
from winkmon.session.session import SensorView, Session

__all__ = [
    "Actuator",
    "Channel",
    "LinkChanged",
    "LinkState",
    "Notification",
    "NotificationBlock",
    "NotificationSource",
    "SensorView",
    "Session",
    "SourceEvent",
    "StreamStarted",
]

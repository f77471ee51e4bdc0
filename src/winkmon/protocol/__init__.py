"""The sensor wire protocol: constants, DATA frames, INFO/STATUS records and CTRL messages.

The specification is ``firmware_protocol/PROTOCOL.md``; ``firmware_protocol/c/`` is the C twin
of this package, and both are tested against ``firmware_protocol/vectors/``.
"""

from winkmon.protocol.constants import (
    ACC_RANGE_G,
    CTRL_UUID,
    DATA_UUID,
    GYR_RANGE_DPS,
    INFO_UUID,
    PROTOCOL_VERSION,
    SERVICE_UUID,
    STATUS_UUID,
    BuzzPattern,
    Capability,
    CtrlStatus,
    FrameFlags,
    FrameType,
    Op,
    Role,
    acc_lsb_m_s2,
    gyr_lsb_rad_s,
)
from winkmon.protocol.frames import DataFrame, decode_frame, encode_samples, quantize
from winkmon.protocol.records import (
    CtrlRequest,
    CtrlResponse,
    SensorInfo,
    SensorStatus,
    StartParams,
)

__all__ = [
    "ACC_RANGE_G",
    "CTRL_UUID",
    "DATA_UUID",
    "GYR_RANGE_DPS",
    "INFO_UUID",
    "PROTOCOL_VERSION",
    "SERVICE_UUID",
    "STATUS_UUID",
    "BuzzPattern",
    "Capability",
    "CtrlRequest",
    "CtrlResponse",
    "CtrlStatus",
    "DataFrame",
    "FrameFlags",
    "FrameType",
    "Op",
    "Role",
    "SensorInfo",
    "SensorStatus",
    "StartParams",
    "acc_lsb_m_s2",
    "decode_frame",
    "encode_samples",
    "gyr_lsb_rad_s",
    "quantize",
]

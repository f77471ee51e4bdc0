/*
 * winkmon sensor protocol, version 1: portable C99 encoder/decoder.
 *
 * The specification is ../PROTOCOL.md; the Python codec in src/winkmon/protocol/ is this file's
 * twin, and both are tested against the vectors in ../vectors/.
 *
 * Design:
 *  - No allocation, no global state, no dependency beyond <stdint.h>, <stddef.h>, <string.h>.
 *    Every function is reentrant.
 *  - Decoders validate a whole buffer and fill a caller-provided struct; on error the struct is
 *    left untouched. They check in the same order as the Python decoder, so both name the same
 *    error for the same bytes (see wm_err_t).
 *  - DATA samples are not copied: wm_data_decode() keeps a pointer into the buffer and
 *    wm_data_sample() reads sample k from it as int16 counts (no floating point). A decoder of
 *    raw counts therefore needs a few bytes of stack, not 255 x 9 x 2.
 *  - Encoders write into a caller-provided buffer of `cap` bytes and report the length; they
 *    return WM_ERR_BUFFER if it does not fit, and refuse fields the protocol cannot carry.
 *  - Scale helpers (counts to SI units) use double; define WM_NO_FLOAT to leave them out.
 */
#ifndef WINKMON_PROTOCOL_H
#define WINKMON_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- constants */

#define WM_PROTOCOL_VERSION 1u

#define WM_FRAME_DATA 0x01u         /* full DATA frame */
#define WM_FRAME_DATA_COMPACT 0x02u /* compact DATA frame */
#define WM_FRAME_STATUS 0x10u       /* STATUS record */
#define WM_CTRL_RESPONSE_TAG 0xF0u  /* first byte of every CTRL response */

#define WM_FULL_HEADER_BYTES 16u
#define WM_COMPACT_HEADER_BYTES 8u
#define WM_SAMPLE_BYTES_6D 12u
#define WM_SAMPLE_BYTES_9D 18u
#define WM_STATUS_BYTES 14u
#define WM_INFO_BYTES 40u
#define WM_START_PARAMS_BYTES 8u
#define WM_CTRL_REQUEST_HEADER_BYTES 2u
#define WM_CTRL_RESPONSE_HEADER_BYTES 4u

#define WM_MAX_SAMPLES 255u
#define WM_MAX_AXES 9u
/* The longest DATA frame: a full frame of 255 samples with magnetometer (4606 bytes). */
#define WM_MAX_DATA_FRAME_BYTES (WM_FULL_HEADER_BYTES + WM_MAX_SAMPLES * WM_SAMPLE_BYTES_9D)

#define WM_INFO_IMU_PART_BYTES 12u
#define WM_INFO_SERIAL_BYTES 14u

/* Roles (where a sensor sits on the athlete). */
#define WM_ROLE_UNASSIGNED 0u
#define WM_ROLE_SACRUM 1u
#define WM_ROLE_LUMBAR 2u
#define WM_ROLE_MAX 2u

/* Range codes: accelerometer 0..3 (+-2/4/8/16 g), gyroscope 0..4 (+-125..2000 deg/s). */
#define WM_ACC_RANGE_COUNT 4u
#define WM_GYR_RANGE_COUNT 5u

/* DATA frame flags (full frames only). Bits 6-7 are reserved: sent as 0, cleared by decoders. */
#define WM_FLAG_ACC_CLIP 0x01u
#define WM_FLAG_GYR_CLIP 0x02u
#define WM_FLAG_FIFO_OVERFLOW 0x04u
#define WM_FLAG_LOW_BATTERY 0x08u
#define WM_FLAG_MAG_PRESENT 0x10u
#define WM_FLAG_TIME_SYNCED 0x20u
#define WM_FLAGS_KNOWN_MASK 0x3Fu

/* INFO capabilities. Other bits are reserved and cleared by the decoder. */
#define WM_CAP_MAGNETOMETER 0x0001u
#define WM_CAP_HAPTIC 0x0002u
#define WM_CAP_LED 0x0004u
#define WM_CAP_TIME_SYNC 0x0008u
#define WM_CAP_COMPACT_FRAMES 0x0010u
#define WM_CAPS_KNOWN_MASK 0x001Fu

/* CTRL operations. */
#define WM_OP_GET_CAPS 0x01u
#define WM_OP_START 0x02u
#define WM_OP_STOP 0x03u
#define WM_OP_SET_ROLE 0x04u
#define WM_OP_TIME_SYNC 0x05u
#define WM_OP_IDENTIFY 0x06u
#define WM_OP_BUZZ 0x07u

/* CTRL response status codes. */
#define WM_STATUS_OK 0u
#define WM_STATUS_UNKNOWN_OP 1u
#define WM_STATUS_BAD_PARAM 2u
#define WM_STATUS_BAD_LENGTH 3u
#define WM_STATUS_BUSY 4u
#define WM_STATUS_UNSUPPORTED 5u
#define WM_STATUS_MAX 5u

/* BUZZ patterns. */
#define WM_BUZZ_OFF 0u
#define WM_BUZZ_SHORT 1u       /* soft cue: extension lost */
#define WM_BUZZ_TRIPLE_LONG 2u /* alert: flexion */

#define WM_BATTERY_UNKNOWN 255u
#define WM_MAG_LSB_NT 100u /* magnetometer LSB, nanotesla (0.1 uT) */

/* ---------------------------------------------------------------- errors */

/*
 * Result of every function. The decode errors carry the names of Python's FrameErrorKind
 * (wm_err_name() returns exactly those strings); WM_ERR_BUFFER is for encoders only.
 */
typedef enum {
    WM_OK = 0,
    WM_ERR_SHORT,           /* "short": fewer bytes than a header or the record */
    WM_ERR_LONG,            /* "long": more bytes than a fixed-size record */
    WM_ERR_UNKNOWN_TYPE,    /* "unknown_type": frame type, CTRL op or response tag unknown */
    WM_ERR_BAD_VERSION,     /* "bad_version": protocol version not supported */
    WM_ERR_LENGTH_MISMATCH, /* "length_mismatch": length inconsistent with n and the flags */
    WM_ERR_BAD_RANGE,       /* "bad_range": range code outside the tables */
    WM_ERR_BAD_ROLE,        /* "bad_role": role byte outside 0-2 */
    WM_ERR_BAD_FIELD,       /* "bad_field": any other field out of its documented range */
    WM_ERR_BUFFER           /* "buffer": encoder output buffer too small */
} wm_err_t;

/* The error's name ("ok", "short", ... as in the Python FrameErrorKind values). */
const char *wm_err_name(wm_err_t err);

/* ---------------------------------------------------------------- DATA frames */

/*
 * A DATA frame header. For a compact frame, first_index holds the low 16 bits of the index
 * (index_lo), and t_dev_us, acc_range, gyr_range and flags are 0: the host recovers them from
 * the last anchor.
 */
typedef struct {
    uint8_t frame_type;   /* WM_FRAME_DATA or WM_FRAME_DATA_COMPACT */
    uint8_t version;      /* decoded version; encoders always write WM_PROTOCOL_VERSION */
    uint8_t role;         /* WM_ROLE_* */
    uint8_t n;            /* samples in the frame: 0..255 full (0 = anchor), 1..255 compact */
    uint16_t seq;         /* notification sequence number */
    uint32_t first_index; /* index of the first sample (compact: its low 16 bits) */
    uint32_t t_dev_us;    /* device time of the first sample, microseconds */
    uint8_t acc_range;    /* accelerometer range code, 0..3 */
    uint8_t gyr_range;    /* gyroscope range code, 0..4 */
    uint8_t flags;        /* WM_FLAG_*; decoders clear the reserved bits */
    uint8_t axes;         /* decoded: 6, or 9 with WM_FLAG_MAG_PRESENT; encoders derive it */
    const uint8_t *samples; /* decoded: first sample byte inside the decoded buffer */
} wm_data_header_t;

/*
 * Validate a DATA notification and decode its header. Checks, in this order (as Python does):
 * length < 2 (short), frame type (unknown_type), version (bad_version), length < header
 * (short), role (bad_role); then compact: n == 0 (bad_field); full: accelerometer range,
 * gyroscope range (bad_range); last, the exact length 16|8 + n * 12|18 (length_mismatch).
 * out->samples points into buf, which must outlive the use of wm_data_sample().
 */
wm_err_t wm_data_decode(const uint8_t *buf, size_t len, wm_data_header_t *out);

/*
 * Read sample k (0 <= k < h->n) of a decoded frame into out[0 .. h->axes-1] as int16 counts:
 * ax ay az gx gy gz [mx my mz]. Returns WM_ERR_BAD_FIELD if k is out of range.
 */
wm_err_t wm_data_sample(const wm_data_header_t *h, unsigned k, int16_t *out);

/*
 * Encode a DATA frame from a header and h->n samples, row-major (n x axes int16 counts, axes 9
 * if a full frame has WM_FLAG_MAG_PRESENT, else 6); samples may be NULL when n is 0.
 * Full frames: reserved flag bits are sent as 0. Compact frames: only the low 16 bits of
 * first_index are sent; t_dev_us, ranges and flags are ignored, except that
 * WM_FLAG_MAG_PRESENT is refused (bad_field), as is n == 0.
 * Refuses role > 2 (bad_role), range codes outside the tables (bad_range).
 */
wm_err_t wm_data_encode(const wm_data_header_t *h, const int16_t *samples, uint8_t *out,
                        size_t cap, size_t *out_len);

/* Bytes of a DATA frame of n samples; 0 for an unknown frame type. */
size_t wm_data_frame_bytes(uint8_t frame_type, unsigned n, int mag);

/*
 * The most samples one notification can carry at ATT MTU `att_mtu` (payload att_mtu - 3),
 * at most 255; 0 if not even one fits (or a full frame's header alone does not fit).
 */
unsigned wm_data_max_samples(uint16_t att_mtu, uint8_t frame_type, int mag);

/* ---------------------------------------------------------------- STATUS record */

typedef struct {
    uint8_t battery_pct;           /* 0-100, WM_BATTERY_UNKNOWN (255) unknown; raw on decode */
    int16_t temperature_cC;        /* 0.01 degC */
    uint16_t fifo_overflows;       /* since START, wraps */
    uint16_t tx_dropped;           /* notifications not queued, wraps */
    uint16_t conn_interval_1250us; /* connection interval, 1.25 ms units */
    uint16_t att_mtu;
} wm_status_t;

/* Checks: length < 2 (short), type (unknown_type), version (bad_version), length != 14
 * (short / long). The reserved byte is ignored. */
wm_err_t wm_status_decode(const uint8_t *buf, size_t len, wm_status_t *out);
wm_err_t wm_status_encode(const wm_status_t *s, uint8_t *out, size_t cap, size_t *out_len);

/* ---------------------------------------------------------------- INFO record */

typedef struct {
    uint8_t protocol_version; /* written as given by the encoder */
    uint8_t fw_major;
    uint8_t fw_minor;
    uint8_t fw_patch;
    uint16_t capabilities; /* WM_CAP_*; the decoder clears reserved bits */
    uint16_t max_rate_hz;
    uint8_t acc_ranges_mask; /* bit c: accelerometer range code c supported */
    uint8_t gyr_ranges_mask;
    uint16_t mag_lsb_nT; /* 100 in version 1 */
    uint8_t role;
    /* ASCII, NUL-padded; the decoder copies the field as is and adds a terminating NUL, the
     * encoder sends the first 12 (14) bytes as they are, so the array must be NUL-padded. */
    char imu_part[WM_INFO_IMU_PART_BYTES + 1];
    char serial[WM_INFO_SERIAL_BYTES + 1];
} wm_info_t;

/* Checks: empty (short), protocol_version != 1 (bad_version, before the length so an
 * incompatible sensor is named as such), length < 40 (short), > 40 (long), role (bad_role),
 * imu_part then serial not ASCII (bad_field). The reserved byte is ignored. */
wm_err_t wm_info_decode(const uint8_t *buf, size_t len, wm_info_t *out);
/* Refuses role > 2 (bad_role) and non-ASCII text (bad_field). */
wm_err_t wm_info_encode(const wm_info_t *info, uint8_t *out, size_t cap, size_t *out_len);

/* ---------------------------------------------------------------- CTRL */

/* Request: [op][req_id][params...]. params points into the decoded buffer. */
typedef struct {
    uint8_t op;
    uint8_t req_id;
    const uint8_t *params;
    size_t params_len;
} wm_ctrl_request_t;

/* Response: [0xF0][op][req_id][status][data...]. data points into the decoded buffer. */
typedef struct {
    uint8_t op; /* echoed as received, even an unknown one */
    uint8_t req_id;
    uint8_t status; /* WM_STATUS_* */
    const uint8_t *data;
    size_t data_len;
} wm_ctrl_response_t;

/* Checks: length < 2 (short), op not WM_OP_* (unknown_type). Params are not checked here: the
 * firmware answers WM_STATUS_BAD_LENGTH / BAD_PARAM. */
wm_err_t wm_ctrl_request_decode(const uint8_t *buf, size_t len, wm_ctrl_request_t *out);
wm_err_t wm_ctrl_request_encode(const wm_ctrl_request_t *req, uint8_t *out, size_t cap,
                                size_t *out_len);

/* Checks: length < 4 (short), tag != 0xF0 (unknown_type), status > 5 (bad_field). */
wm_err_t wm_ctrl_response_decode(const uint8_t *buf, size_t len, wm_ctrl_response_t *out);
wm_err_t wm_ctrl_response_encode(const wm_ctrl_response_t *resp, uint8_t *out, size_t cap,
                                 size_t *out_len);

/* START parameters (the params of a WM_OP_START request). */
typedef struct {
    uint16_t rate_hz;
    uint8_t acc_range; /* code */
    uint8_t gyr_range; /* code */
    uint8_t mag_on;    /* 0 or 1 */
    uint8_t max_batch; /* samples per full frame at most */
    uint16_t flush_ms; /* longest a sample waits in the firmware */
} wm_start_params_t;

/* Length != 8 is length_mismatch; values are not range-checked (the firmware answers
 * WM_STATUS_BAD_PARAM). */
wm_err_t wm_start_params_decode(const uint8_t *buf, size_t len, wm_start_params_t *out);
wm_err_t wm_start_params_encode(const wm_start_params_t *p, uint8_t *out, size_t cap,
                                size_t *out_len);

/* ---------------------------------------------------------------- little-endian helpers */

/* For the small CTRL payloads (TIME_SYNC, START response, BUZZ, ...). */
uint16_t wm_get_u16le(const uint8_t *p);
uint32_t wm_get_u32le(const uint8_t *p);
int16_t wm_get_i16le(const uint8_t *p);
void wm_put_u16le(uint8_t *p, uint16_t v);
void wm_put_u32le(uint8_t *p, uint32_t v);
void wm_put_i16le(uint8_t *p, int16_t v);

/* ---------------------------------------------------------------- scales */

/* Full scale of a range code: g or deg/s; 0 for a code outside the tables. */
uint16_t wm_acc_full_scale_g(uint8_t code);
uint16_t wm_gyr_full_scale_dps(uint8_t code);

#ifndef WM_NO_FLOAT
/* LSB in SI units, computed as the Python codec does (bit-identical doubles); 0.0 for a code
 * outside the tables. Magnetometer: counts * WM_MAG_LSB_UT microtesla. */
#define WM_MAG_LSB_UT 0.1
double wm_acc_lsb_m_s2(uint8_t code);
double wm_gyr_lsb_rad_s(uint8_t code);
#endif

#ifdef __cplusplus
}
#endif

#endif /* WINKMON_PROTOCOL_H */

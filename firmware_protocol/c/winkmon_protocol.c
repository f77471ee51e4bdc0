/*
 * winkmon sensor protocol, version 1: portable C99 encoder/decoder (see winkmon_protocol.h).
 *
 * Byte order is handled byte by byte, so the code is independent of the host's endianness and
 * alignment. Signed values are converted explicitly (no implementation-defined casts).
 */
#include "winkmon_protocol.h"

#include <string.h>

/* ---------------------------------------------------------------- helpers */

static const uint8_t acc_full_scale_g[WM_ACC_RANGE_COUNT] = {2u, 4u, 8u, 16u};
static const uint16_t gyr_full_scale_dps[WM_GYR_RANGE_COUNT] = {125u, 250u, 500u, 1000u, 2000u};

uint16_t wm_get_u16le(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] | (uint16_t)((uint16_t)p[1] << 8));
}

uint32_t wm_get_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

int16_t wm_get_i16le(const uint8_t *p)
{
    uint16_t u = wm_get_u16le(p);
    /* Two's complement without relying on an implementation-defined conversion. */
    return u >= 0x8000u ? (int16_t)((int32_t)u - 65536) : (int16_t)u;
}

void wm_put_u16le(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)(v >> 8);
}

void wm_put_u32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)((v >> 8) & 0xFFu);
    p[2] = (uint8_t)((v >> 16) & 0xFFu);
    p[3] = (uint8_t)(v >> 24);
}

void wm_put_i16le(uint8_t *p, int16_t v)
{
    /* Conversion of a negative value to unsigned is defined: modulo 2^16. */
    wm_put_u16le(p, (uint16_t)v);
}

const char *wm_err_name(wm_err_t err)
{
    switch (err) {
    case WM_OK: return "ok";
    case WM_ERR_SHORT: return "short";
    case WM_ERR_LONG: return "long";
    case WM_ERR_UNKNOWN_TYPE: return "unknown_type";
    case WM_ERR_BAD_VERSION: return "bad_version";
    case WM_ERR_LENGTH_MISMATCH: return "length_mismatch";
    case WM_ERR_BAD_RANGE: return "bad_range";
    case WM_ERR_BAD_ROLE: return "bad_role";
    case WM_ERR_BAD_FIELD: return "bad_field";
    case WM_ERR_BUFFER: return "buffer";
    }
    return "unknown";
}

uint16_t wm_acc_full_scale_g(uint8_t code)
{
    return code < WM_ACC_RANGE_COUNT ? acc_full_scale_g[code] : 0u;
}

uint16_t wm_gyr_full_scale_dps(uint8_t code)
{
    return code < WM_GYR_RANGE_COUNT ? gyr_full_scale_dps[code] : 0u;
}

#ifndef WM_NO_FLOAT
double wm_acc_lsb_m_s2(uint8_t code)
{
    /* Same operations in the same order as winkmon.protocol.constants.acc_lsb_m_s2. */
    if (code >= WM_ACC_RANGE_COUNT) {
        return 0.0;
    }
    return (double)acc_full_scale_g[code] * 9.80665 / 32768.0;
}

double wm_gyr_lsb_rad_s(uint8_t code)
{
    if (code >= WM_GYR_RANGE_COUNT) {
        return 0.0;
    }
    return (double)gyr_full_scale_dps[code] * 3.141592653589793 / 180.0 / 32768.0;
}
#endif

static size_t sample_bytes(uint8_t frame_type, int mag)
{
    return (frame_type == WM_FRAME_DATA && mag) ? WM_SAMPLE_BYTES_9D : WM_SAMPLE_BYTES_6D;
}

static size_t header_bytes(uint8_t frame_type)
{
    if (frame_type == WM_FRAME_DATA) {
        return WM_FULL_HEADER_BYTES;
    }
    if (frame_type == WM_FRAME_DATA_COMPACT) {
        return WM_COMPACT_HEADER_BYTES;
    }
    return 0u;
}

/* ---------------------------------------------------------------- DATA */

size_t wm_data_frame_bytes(uint8_t frame_type, unsigned n, int mag)
{
    size_t head = header_bytes(frame_type);
    if (head == 0u) {
        return 0u;
    }
    return head + (size_t)n * sample_bytes(frame_type, mag);
}

unsigned wm_data_max_samples(uint16_t att_mtu, uint8_t frame_type, int mag)
{
    size_t head = header_bytes(frame_type);
    size_t payload;
    size_t n;
    if (head == 0u || att_mtu < 3u) {
        return 0u;
    }
    payload = (size_t)att_mtu - 3u;
    if (payload < head) {
        return 0u;
    }
    n = (payload - head) / sample_bytes(frame_type, mag);
    return n > WM_MAX_SAMPLES ? WM_MAX_SAMPLES : (unsigned)n;
}

wm_err_t wm_data_decode(const uint8_t *buf, size_t len, wm_data_header_t *out)
{
    wm_data_header_t h;
    size_t head;
    size_t expected;

    if (len < 2u) {
        return WM_ERR_SHORT;
    }
    head = header_bytes(buf[0]);
    if (head == 0u) {
        return WM_ERR_UNKNOWN_TYPE;
    }
    if (buf[1] != WM_PROTOCOL_VERSION) {
        return WM_ERR_BAD_VERSION;
    }
    if (len < head) {
        return WM_ERR_SHORT;
    }
    if (buf[2] > WM_ROLE_MAX) {
        return WM_ERR_BAD_ROLE;
    }
    memset(&h, 0, sizeof h);
    h.frame_type = buf[0];
    h.version = buf[1];
    h.role = buf[2];
    h.n = buf[3];
    h.seq = wm_get_u16le(buf + 4);
    if (h.frame_type == WM_FRAME_DATA_COMPACT) {
        if (h.n == 0u) {
            return WM_ERR_BAD_FIELD;
        }
        h.first_index = wm_get_u16le(buf + 6);
        h.axes = 6u;
    } else {
        h.first_index = wm_get_u32le(buf + 6);
        h.t_dev_us = wm_get_u32le(buf + 10);
        h.acc_range = (uint8_t)(buf[14] & 0x0Fu);
        h.gyr_range = (uint8_t)(buf[14] >> 4);
        if (h.acc_range >= WM_ACC_RANGE_COUNT || h.gyr_range >= WM_GYR_RANGE_COUNT) {
            return WM_ERR_BAD_RANGE;
        }
        h.flags = (uint8_t)(buf[15] & WM_FLAGS_KNOWN_MASK);
        h.axes = (h.flags & WM_FLAG_MAG_PRESENT) ? 9u : 6u;
    }
    expected = head + (size_t)h.n * (size_t)h.axes * 2u;
    if (len != expected) {
        return WM_ERR_LENGTH_MISMATCH;
    }
    h.samples = buf + head;
    *out = h;
    return WM_OK;
}

wm_err_t wm_data_sample(const wm_data_header_t *h, unsigned k, int16_t *out)
{
    const uint8_t *p;
    unsigned a;
    if (k >= h->n || (h->axes != 6u && h->axes != 9u)) {
        return WM_ERR_BAD_FIELD;
    }
    p = h->samples + (size_t)k * h->axes * 2u;
    for (a = 0u; a < h->axes; ++a) {
        out[a] = wm_get_i16le(p + 2u * a);
    }
    return WM_OK;
}

wm_err_t wm_data_encode(const wm_data_header_t *h, const int16_t *samples, uint8_t *out,
                        size_t cap, size_t *out_len)
{
    int compact = h->frame_type == WM_FRAME_DATA_COMPACT;
    int mag = !compact && (h->flags & WM_FLAG_MAG_PRESENT) != 0u;
    size_t head = header_bytes(h->frame_type);
    size_t axes = mag ? 9u : 6u;
    size_t total;
    size_t i;

    if (head == 0u) {
        return WM_ERR_UNKNOWN_TYPE;
    }
    if (h->role > WM_ROLE_MAX) {
        return WM_ERR_BAD_ROLE;
    }
    if (compact) {
        if (h->n == 0u || (h->flags & WM_FLAG_MAG_PRESENT) != 0u) {
            return WM_ERR_BAD_FIELD;
        }
    } else if (h->acc_range >= WM_ACC_RANGE_COUNT || h->gyr_range >= WM_GYR_RANGE_COUNT) {
        return WM_ERR_BAD_RANGE;
    }
    if (h->n > 0u && samples == NULL) {
        return WM_ERR_BAD_FIELD;
    }
    total = head + (size_t)h->n * axes * 2u;
    if (cap < total) {
        return WM_ERR_BUFFER;
    }
    out[0] = h->frame_type;
    out[1] = (uint8_t)WM_PROTOCOL_VERSION;
    out[2] = h->role;
    out[3] = h->n;
    wm_put_u16le(out + 4, h->seq);
    if (compact) {
        wm_put_u16le(out + 6, (uint16_t)(h->first_index & 0xFFFFu));
    } else {
        wm_put_u32le(out + 6, h->first_index);
        wm_put_u32le(out + 10, h->t_dev_us);
        out[14] = (uint8_t)(h->acc_range | (h->gyr_range << 4));
        out[15] = (uint8_t)(h->flags & WM_FLAGS_KNOWN_MASK);
    }
    for (i = 0u; i < (size_t)h->n * axes; ++i) {
        wm_put_i16le(out + head + 2u * i, samples[i]);
    }
    *out_len = total;
    return WM_OK;
}

/* ---------------------------------------------------------------- STATUS */

wm_err_t wm_status_decode(const uint8_t *buf, size_t len, wm_status_t *out)
{
    if (len < 2u) {
        return WM_ERR_SHORT;
    }
    if (buf[0] != WM_FRAME_STATUS) {
        return WM_ERR_UNKNOWN_TYPE;
    }
    if (buf[1] != WM_PROTOCOL_VERSION) {
        return WM_ERR_BAD_VERSION;
    }
    if (len != WM_STATUS_BYTES) {
        return len < WM_STATUS_BYTES ? WM_ERR_SHORT : WM_ERR_LONG;
    }
    out->battery_pct = buf[2];
    out->temperature_cC = wm_get_i16le(buf + 4);
    out->fifo_overflows = wm_get_u16le(buf + 6);
    out->tx_dropped = wm_get_u16le(buf + 8);
    out->conn_interval_1250us = wm_get_u16le(buf + 10);
    out->att_mtu = wm_get_u16le(buf + 12);
    return WM_OK;
}

wm_err_t wm_status_encode(const wm_status_t *s, uint8_t *out, size_t cap, size_t *out_len)
{
    if (cap < WM_STATUS_BYTES) {
        return WM_ERR_BUFFER;
    }
    out[0] = (uint8_t)WM_FRAME_STATUS;
    out[1] = (uint8_t)WM_PROTOCOL_VERSION;
    out[2] = s->battery_pct;
    out[3] = 0u;
    wm_put_i16le(out + 4, s->temperature_cC);
    wm_put_u16le(out + 6, s->fifo_overflows);
    wm_put_u16le(out + 8, s->tx_dropped);
    wm_put_u16le(out + 10, s->conn_interval_1250us);
    wm_put_u16le(out + 12, s->att_mtu);
    *out_len = WM_STATUS_BYTES;
    return WM_OK;
}

/* ---------------------------------------------------------------- INFO */

static int is_ascii(const uint8_t *p, size_t n)
{
    size_t i;
    for (i = 0u; i < n; ++i) {
        if (p[i] >= 0x80u) {
            return 0;
        }
    }
    return 1;
}

wm_err_t wm_info_decode(const uint8_t *buf, size_t len, wm_info_t *out)
{
    if (len < 1u) {
        return WM_ERR_SHORT;
    }
    if (buf[0] != WM_PROTOCOL_VERSION) {
        return WM_ERR_BAD_VERSION;
    }
    if (len < WM_INFO_BYTES) {
        return WM_ERR_SHORT;
    }
    if (len > WM_INFO_BYTES) {
        return WM_ERR_LONG;
    }
    if (buf[12] > WM_ROLE_MAX) {
        return WM_ERR_BAD_ROLE;
    }
    if (!is_ascii(buf + 14, WM_INFO_IMU_PART_BYTES) ||
        !is_ascii(buf + 26, WM_INFO_SERIAL_BYTES)) {
        return WM_ERR_BAD_FIELD;
    }
    out->protocol_version = buf[0];
    out->fw_major = buf[1];
    out->fw_minor = buf[2];
    out->fw_patch = buf[3];
    out->capabilities = (uint16_t)(wm_get_u16le(buf + 4) & WM_CAPS_KNOWN_MASK);
    out->max_rate_hz = wm_get_u16le(buf + 6);
    out->acc_ranges_mask = buf[8];
    out->gyr_ranges_mask = buf[9];
    out->mag_lsb_nT = wm_get_u16le(buf + 10);
    out->role = buf[12];
    memcpy(out->imu_part, buf + 14, WM_INFO_IMU_PART_BYTES);
    out->imu_part[WM_INFO_IMU_PART_BYTES] = '\0';
    memcpy(out->serial, buf + 26, WM_INFO_SERIAL_BYTES);
    out->serial[WM_INFO_SERIAL_BYTES] = '\0';
    return WM_OK;
}

wm_err_t wm_info_encode(const wm_info_t *info, uint8_t *out, size_t cap, size_t *out_len)
{
    if (info->role > WM_ROLE_MAX) {
        return WM_ERR_BAD_ROLE;
    }
    if (!is_ascii((const uint8_t *)info->imu_part, WM_INFO_IMU_PART_BYTES) ||
        !is_ascii((const uint8_t *)info->serial, WM_INFO_SERIAL_BYTES)) {
        return WM_ERR_BAD_FIELD;
    }
    if (cap < WM_INFO_BYTES) {
        return WM_ERR_BUFFER;
    }
    out[0] = info->protocol_version;
    out[1] = info->fw_major;
    out[2] = info->fw_minor;
    out[3] = info->fw_patch;
    wm_put_u16le(out + 4, info->capabilities);
    wm_put_u16le(out + 6, info->max_rate_hz);
    out[8] = info->acc_ranges_mask;
    out[9] = info->gyr_ranges_mask;
    wm_put_u16le(out + 10, info->mag_lsb_nT);
    out[12] = info->role;
    out[13] = 0u;
    memcpy(out + 14, info->imu_part, WM_INFO_IMU_PART_BYTES);
    memcpy(out + 26, info->serial, WM_INFO_SERIAL_BYTES);
    *out_len = WM_INFO_BYTES;
    return WM_OK;
}

/* ---------------------------------------------------------------- CTRL */

static int op_known(uint8_t op)
{
    return op >= WM_OP_GET_CAPS && op <= WM_OP_BUZZ;
}

wm_err_t wm_ctrl_request_decode(const uint8_t *buf, size_t len, wm_ctrl_request_t *out)
{
    if (len < WM_CTRL_REQUEST_HEADER_BYTES) {
        return WM_ERR_SHORT;
    }
    if (!op_known(buf[0])) {
        return WM_ERR_UNKNOWN_TYPE;
    }
    out->op = buf[0];
    out->req_id = buf[1];
    out->params = buf + WM_CTRL_REQUEST_HEADER_BYTES;
    out->params_len = len - WM_CTRL_REQUEST_HEADER_BYTES;
    return WM_OK;
}

wm_err_t wm_ctrl_request_encode(const wm_ctrl_request_t *req, uint8_t *out, size_t cap,
                                size_t *out_len)
{
    size_t total = WM_CTRL_REQUEST_HEADER_BYTES + req->params_len;
    if (!op_known(req->op)) {
        return WM_ERR_UNKNOWN_TYPE;
    }
    if (req->params_len > 0u && req->params == NULL) {
        return WM_ERR_BAD_FIELD;
    }
    if (cap < total) {
        return WM_ERR_BUFFER;
    }
    out[0] = req->op;
    out[1] = req->req_id;
    if (req->params_len > 0u) {
        memmove(out + WM_CTRL_REQUEST_HEADER_BYTES, req->params, req->params_len);
    }
    *out_len = total;
    return WM_OK;
}

wm_err_t wm_ctrl_response_decode(const uint8_t *buf, size_t len, wm_ctrl_response_t *out)
{
    if (len < WM_CTRL_RESPONSE_HEADER_BYTES) {
        return WM_ERR_SHORT;
    }
    if (buf[0] != WM_CTRL_RESPONSE_TAG) {
        return WM_ERR_UNKNOWN_TYPE;
    }
    if (buf[3] > WM_STATUS_MAX) {
        return WM_ERR_BAD_FIELD;
    }
    out->op = buf[1];
    out->req_id = buf[2];
    out->status = buf[3];
    out->data = buf + WM_CTRL_RESPONSE_HEADER_BYTES;
    out->data_len = len - WM_CTRL_RESPONSE_HEADER_BYTES;
    return WM_OK;
}

wm_err_t wm_ctrl_response_encode(const wm_ctrl_response_t *resp, uint8_t *out, size_t cap,
                                 size_t *out_len)
{
    size_t total = WM_CTRL_RESPONSE_HEADER_BYTES + resp->data_len;
    if (resp->status > WM_STATUS_MAX || (resp->data_len > 0u && resp->data == NULL)) {
        return WM_ERR_BAD_FIELD;
    }
    if (cap < total) {
        return WM_ERR_BUFFER;
    }
    out[0] = (uint8_t)WM_CTRL_RESPONSE_TAG;
    out[1] = resp->op;
    out[2] = resp->req_id;
    out[3] = resp->status;
    if (resp->data_len > 0u) {
        memmove(out + WM_CTRL_RESPONSE_HEADER_BYTES, resp->data, resp->data_len);
    }
    *out_len = total;
    return WM_OK;
}

wm_err_t wm_start_params_decode(const uint8_t *buf, size_t len, wm_start_params_t *out)
{
    if (len != WM_START_PARAMS_BYTES) {
        return WM_ERR_LENGTH_MISMATCH;
    }
    out->rate_hz = wm_get_u16le(buf);
    out->acc_range = buf[2];
    out->gyr_range = buf[3];
    out->mag_on = buf[4];
    out->max_batch = buf[5];
    out->flush_ms = wm_get_u16le(buf + 6);
    return WM_OK;
}

wm_err_t wm_start_params_encode(const wm_start_params_t *p, uint8_t *out, size_t cap,
                                size_t *out_len)
{
    if (cap < WM_START_PARAMS_BYTES) {
        return WM_ERR_BUFFER;
    }
    wm_put_u16le(out, p->rate_hz);
    out[2] = p->acc_range;
    out[3] = p->gyr_range;
    out[4] = p->mag_on;
    out[5] = p->max_batch;
    wm_put_u16le(out + 6, p->flush_ms);
    *out_len = WM_START_PARAMS_BYTES;
    return WM_OK;
}

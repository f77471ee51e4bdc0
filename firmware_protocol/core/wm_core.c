/*
 * winkmon sensor firmware core (see wm_core.h). Integer arithmetic only; the one 64-bit
 * division per frame (a sample's device time) is the only library call it may need.
 */
#include "wm_core.h"

#include <string.h>

#define FLASH_MAGIC_0 0x77u /* 'w' */
#define FLASH_MAGIC_1 0x6Du /* 'm' */
#define FLASH_VERSION 1u
#define DEFAULT_MTU 23u
#define ATT_NOTIFY_OVERHEAD 3u
#define BUZZ_SHORT_DEFAULT_MS 200u
#define BUZZ_TRIPLE_DEFAULT_MS 1000u
#define IDENTIFY_ON_MS 200u
#define IDENTIFY_OFF_MS 800u

static const uint8_t param_bytes[WM_OP_BUZZ + 1u] = {0u, 0u, 8u, 0u, 1u, 4u, 1u, 3u};

/* ---------------------------------------------------------------- small helpers */

static uint32_t now_us(wm_core_t *c)
{
    return c->board.now_us(c->board.ctx);
}

/* Device time of sample `index` of this stream: t0 + round(index * 1e6 / rate), wrapping. */
static uint32_t sample_time_us(const wm_core_t *c, uint32_t index)
{
    uint32_t rate = c->start.rate_hz;
    uint64_t num = (uint64_t)index * 1000000u + rate / 2u;
    return c->t0_us + (uint32_t)(num / rate);
}

static uint16_t effective_mtu(const wm_core_t *c)
{
    uint16_t cap = (uint16_t)(WM_CORE_MAX_PAYLOAD + ATT_NOTIFY_OVERHEAD);
    return c->att_mtu < cap ? c->att_mtu : cap;
}

static int compact_mode(const wm_core_t *c)
{
    return wm_data_max_samples(effective_mtu(c), WM_FRAME_DATA, 0) == 0u;
}

static int mag_in_frames(const wm_core_t *c)
{
    return c->start.mag_on != 0u && !compact_mode(c);
}

/* Samples per DATA notification now: what fits the MTU, at most max_batch, at least 1. */
static unsigned batch_cap(const wm_core_t *c)
{
    uint8_t type = compact_mode(c) ? WM_FRAME_DATA_COMPACT : WM_FRAME_DATA;
    unsigned n = wm_data_max_samples(effective_mtu(c), type, mag_in_frames(c));
    if (n > c->start.max_batch) {
        n = c->start.max_batch;
    }
    return n == 0u ? 1u : n;
}

static uint8_t frame_flags_base(const wm_core_t *c)
{
    uint8_t flags = 0u;
    if (c->overflow_flag) {
        flags |= WM_FLAG_FIFO_OVERFLOW;
    }
    if (c->battery_pct < WM_CORE_LOW_BATTERY_PCT) {
        flags |= WM_FLAG_LOW_BATTERY;
    }
    if (mag_in_frames(c)) {
        flags |= WM_FLAG_MAG_PRESENT;
    }
    return flags;
}

/* ---------------------------------------------------------------- motor patterns */

static void motor_set(wm_core_t *c, uint8_t on)
{
    if (c->motor_on != on) {
        c->motor_on = on;
        if (c->board.motor != NULL) {
            c->board.motor(c->board.ctx, on);
        }
    }
}

static void pattern_start(wm_core_t *c, const uint16_t *ms, uint8_t phases, uint8_t repeats)
{
    memcpy(c->pattern_ms, ms, (size_t)phases * sizeof ms[0]);
    c->pattern_len = phases;
    c->pattern_pos = 0u;
    c->pattern_repeats = repeats;
    c->pattern_t_us = now_us(c);
    motor_set(c, 1u);
}

static void pattern_stop(wm_core_t *c)
{
    c->pattern_len = 0u;
    motor_set(c, 0u);
}

static void pattern_run(wm_core_t *c, uint32_t now)
{
    while (c->pattern_len > 0u) {
        uint32_t dur_us = (uint32_t)c->pattern_ms[c->pattern_pos] * 1000u;
        if ((uint32_t)(now - c->pattern_t_us) < dur_us) {
            return;
        }
        c->pattern_t_us += dur_us;
        c->pattern_pos++;
        if (c->pattern_pos == c->pattern_len) {
            c->pattern_pos = 0u;
            if (c->pattern_repeats <= 1u) {
                pattern_stop(c);
                return;
            }
            c->pattern_repeats--;
        }
        motor_set(c, (uint8_t)((c->pattern_pos & 1u) == 0u));
    }
}

/* ---------------------------------------------------------------- the queue */

static void note_overflow(wm_core_t *c)
{
    c->overflow_flag = 1u;
    if (!c->overflow_episode) {
        c->overflow_episode = 1u;
        c->fifo_overflows++;
    }
    /* Compact frames have no flags: the next anchor (at most a second away) carries
     * FIFO_OVERFLOW. Not an extra anchor: on a link already too slow it would take the place
     * of samples again and again. The index jump tells the host the exact loss anyway. */
}

static void enqueue(wm_core_t *c, const int16_t *s)
{
    uint16_t slot;
    if (c->q_count == WM_CORE_QUEUE_SAMPLES) {
        /* The link is slower than the IMU: drop the oldest sample, keep the newest. */
        c->q_head = (uint16_t)((c->q_head + 1u) % WM_CORE_QUEUE_SAMPLES);
        c->q_count--;
        c->q_head_index++;
        c->stats.samples_dropped++;
        note_overflow(c);
    }
    slot = (uint16_t)((c->q_head + c->q_count) % WM_CORE_QUEUE_SAMPLES);
    memcpy(c->queue[slot], s, sizeof c->queue[slot]);
    c->q_count++;
    c->next_index++;
    c->stats.samples_queued++;
}

static void queue_clear(wm_core_t *c)
{
    c->q_head = 0u;
    c->q_count = 0u;
    c->q_head_index = c->next_index;
}

/* ---------------------------------------------------------------- rate conversion */

static int16_t lerp(int16_t a, int16_t b, uint32_t frac_q15)
{
    int32_t num = ((int32_t)b - (int32_t)a) * (int32_t)frac_q15;
    int32_t step = num >= 0 ? (num + 16384) / 32768 : (num - 16384) / 32768;
    return (int16_t)((int32_t)a + step);
}

/*
 * One IMU sample at odr_hz in, the samples at rate_hz it completes out (linear
 * interpolation). Positions count in units of 1 / (odr * rate) s: inputs are `rate` apart,
 * outputs `odr` apart; `phase` is where the next output lies after the previous input.
 */
static void convert(wm_core_t *c, const int16_t *s)
{
    uint32_t rate = c->start.rate_hz;
    unsigned a;
    if (c->odr_hz == rate) {
        enqueue(c, s);
        return;
    }
    if (!c->have_prev) {
        c->have_prev = 1u;
        memcpy(c->prev, s, sizeof c->prev);
        enqueue(c, s);
        c->phase = c->odr_hz;
        return;
    }
    while (c->phase <= rate) {
        int16_t out[WM_MAX_AXES];
        uint32_t frac_q15 = (c->phase * 32768u) / rate;
        for (a = 0u; a < WM_MAX_AXES; ++a) {
            out[a] = lerp(c->prev[a], s[a], frac_q15);
        }
        enqueue(c, out);
        c->phase += c->odr_hz;
    }
    c->phase -= rate;
    memcpy(c->prev, s, sizeof c->prev);
}

/* `lost` IMU samples never arrived: skip the output indices they would have produced. */
static void skip_lost(wm_core_t *c, unsigned lost)
{
    uint32_t skipped = 0u;
    unsigned i;
    if (c->odr_hz == c->start.rate_hz || !c->have_prev) {
        skipped = lost;
    } else {
        for (i = 0u; i < lost; ++i) {
            while (c->phase <= c->start.rate_hz) {
                skipped++;
                c->phase += c->odr_hz;
            }
            c->phase -= c->start.rate_hz;
        }
        c->have_prev = 0u; /* do not interpolate across the hole */
    }
    c->next_index += skipped;
    c->q_head_index = c->next_index - c->q_count;
    c->stats.samples_dropped += skipped;
    c->overflow_episode = 0u; /* an IMU overflow is an episode of its own */
    note_overflow(c);
}

/* ---------------------------------------------------------------- sending */

static int notify(wm_core_t *c, uint8_t channel, const uint8_t *buf, size_t len)
{
    return c->board.notify(c->board.ctx, channel, buf, (uint16_t)len);
}

static size_t put_full_header(wm_core_t *c, uint8_t n, uint32_t index, uint8_t flags)
{
    uint8_t *p = c->tx;
    p[0] = (uint8_t)WM_FRAME_DATA;
    p[1] = (uint8_t)WM_PROTOCOL_VERSION;
    p[2] = c->role;
    p[3] = n;
    wm_put_u16le(p + 4, c->seq);
    wm_put_u32le(p + 6, index);
    wm_put_u32le(p + 10, sample_time_us(c, index));
    p[14] = (uint8_t)(c->start.acc_range | (uint8_t)(c->start.gyr_range << 4));
    p[15] = flags;
    return WM_FULL_HEADER_BYTES;
}

/* One DATA notification out; on success the sequence number moves on. */
static int send_data(wm_core_t *c, size_t len)
{
    if (!notify(c, WM_CH_DATA, c->tx, len)) {
        c->stats.notify_busy++;
        c->tx_dropped++;
        return 0;
    }
    c->seq++;
    c->stats.notifications_sent++;
    return 1;
}

static int send_anchor(wm_core_t *c, uint32_t now)
{
    size_t len = put_full_header(c, 0u, c->q_head_index, frame_flags_base(c));
    if (!send_data(c, len)) {
        return 0;
    }
    c->overflow_flag = 0u;
    c->anchor_due = 0u;
    c->last_anchor_us = now;
    return 1;
}

/* The oldest n queued samples in one frame (full or compact as the MTU says). */
static int send_samples(wm_core_t *c, unsigned n)
{
    int compact = compact_mode(c);
    unsigned axes = mag_in_frames(c) ? 9u : 6u;
    uint8_t clip = 0u;
    size_t pos;
    unsigned k;
    unsigned a;

    if (compact) {
        c->tx[0] = (uint8_t)WM_FRAME_DATA_COMPACT;
        c->tx[1] = (uint8_t)WM_PROTOCOL_VERSION;
        c->tx[2] = c->role;
        c->tx[3] = (uint8_t)n;
        wm_put_u16le(c->tx + 4, c->seq);
        wm_put_u16le(c->tx + 6, (uint16_t)(c->q_head_index & 0xFFFFu));
        pos = WM_COMPACT_HEADER_BYTES;
    } else {
        pos = put_full_header(c, (uint8_t)n, c->q_head_index, 0u);
    }
    for (k = 0u; k < n; ++k) {
        const int16_t *s = c->queue[(c->q_head + k) % WM_CORE_QUEUE_SAMPLES];
        for (a = 0u; a < axes; ++a) {
            if (s[a] == INT16_MAX || s[a] == INT16_MIN) {
                clip |= a < 3u ? WM_FLAG_ACC_CLIP : (a < 6u ? WM_FLAG_GYR_CLIP : 0u);
            }
            wm_put_i16le(c->tx + pos, s[a]);
            pos += 2u;
        }
    }
    if (!compact) {
        c->tx[15] = (uint8_t)(frame_flags_base(c) | clip);
    }
    if (!send_data(c, pos)) {
        return 0;
    }
    if (!compact) {
        c->overflow_flag = 0u;
    }
    c->q_head = (uint16_t)((c->q_head + n) % WM_CORE_QUEUE_SAMPLES);
    c->q_count = (uint16_t)(c->q_count - n);
    c->q_head_index += n;
    c->stats.samples_sent += n;
    if (c->q_count <= WM_CORE_QUEUE_SAMPLES / 2u) {
        c->overflow_episode = 0u; /* the link caught up: the next overflow is a new one */
    }
    return 1;
}

static void send_status(wm_core_t *c)
{
    uint8_t buf[WM_STATUS_BYTES];
    size_t len = wm_core_status(c, buf, sizeof buf);
    (void)notify(c, WM_CH_STATUS, buf, len);
}

/* ---------------------------------------------------------------- CTRL */

static void respond(wm_core_t *c, uint8_t op, uint8_t req_id, uint8_t status, const uint8_t *data,
                    size_t data_len)
{
    uint8_t buf[WM_CTRL_RESPONSE_HEADER_BYTES + WM_INFO_BYTES];
    buf[0] = (uint8_t)WM_CTRL_RESPONSE_TAG;
    buf[1] = op;
    buf[2] = req_id;
    buf[3] = status;
    if (data_len > 0u) {
        memcpy(buf + WM_CTRL_RESPONSE_HEADER_BYTES, data, data_len);
    }
    (void)notify(c, WM_CH_CTRL, buf, WM_CTRL_RESPONSE_HEADER_BYTES + data_len);
}

static void stop_stream(wm_core_t *c)
{
    if (c->streaming) {
        c->streaming = 0u;
        c->board.imu_stop(c->board.ctx);
    }
    queue_clear(c);
}

static int start_params_ok(const wm_core_t *c, const wm_start_params_t *p)
{
    const wm_core_config_t *cfg = &c->config;
    return p->rate_hz >= 1u && p->rate_hz <= cfg->max_rate_hz && p->acc_range < 8u &&
           ((cfg->acc_ranges_mask >> p->acc_range) & 1u) != 0u && p->gyr_range < 8u &&
           ((cfg->gyr_ranges_mask >> p->gyr_range) & 1u) != 0u &&
           (p->mag_on == 0u || (cfg->capabilities & WM_CAP_MAGNETOMETER) != 0u) &&
           p->max_batch >= 1u && p->flush_ms >= 1u;
}

/* START: (re)start the stream at index 0; returns a CTRL status. */
static uint8_t start_stream(wm_core_t *c, const uint8_t *params, uint8_t *data)
{
    wm_start_params_t p;
    uint16_t odr = 0u;
    (void)wm_start_params_decode(params, WM_START_PARAMS_BYTES, &p);
    if (!start_params_ok(c, &p)) {
        return WM_STATUS_BAD_PARAM;
    }
    stop_stream(c);
    if (c->board.imu_start(c->board.ctx, p.rate_hz, p.acc_range, p.gyr_range,
                           (uint8_t)(p.mag_on != 0u), &odr) != 0 ||
        odr < p.rate_hz) {
        return WM_STATUS_BAD_PARAM;
    }
    c->start = p;
    c->start.mag_on = (uint8_t)(p.mag_on != 0u);
    c->odr_hz = odr;
    c->t0_us = now_us(c);
    c->next_index = 0u;
    queue_clear(c);
    c->have_prev = 0u;
    c->phase = 0u;
    c->overflow_flag = 0u;
    c->overflow_episode = 0u;
    c->fifo_overflows = 0u;
    c->streaming = 1u;
    c->anchor_due = 1u;
    c->stats.starts++;
    wm_put_u32le(data, 0u);
    wm_put_u32le(data + 4, c->t0_us);
    return WM_STATUS_OK;
}

static uint8_t set_role(wm_core_t *c, uint8_t role)
{
    uint8_t rec[WM_CORE_FLASH_RECORD_BYTES];
    if (role > WM_ROLE_MAX) {
        return WM_STATUS_BAD_PARAM;
    }
    if (role == c->role) {
        return WM_STATUS_OK; /* spare the flash */
    }
    if (c->board.flash_write != NULL) {
        rec[0] = FLASH_MAGIC_0;
        rec[1] = FLASH_MAGIC_1;
        rec[2] = FLASH_VERSION;
        rec[3] = role;
        if (c->board.flash_write(c->board.ctx, rec, sizeof rec) != 0) {
            return WM_STATUS_BUSY;
        }
        c->stats.flash_writes++;
    }
    c->role = role;
    return WM_STATUS_OK;
}

static uint8_t buzz(wm_core_t *c, uint8_t pattern, uint16_t duration_ms)
{
    uint16_t ms[5];
    if (!(c->config.capabilities & WM_CAP_HAPTIC)) {
        return WM_STATUS_UNSUPPORTED;
    }
    if (pattern == WM_BUZZ_OFF) {
        pattern_stop(c);
    } else if (pattern == WM_BUZZ_SHORT) {
        ms[0] = duration_ms ? duration_ms : (uint16_t)BUZZ_SHORT_DEFAULT_MS;
        pattern_start(c, ms, 1u, 1u);
    } else if (pattern == WM_BUZZ_TRIPLE_LONG) {
        /* three pulses and two gaps of a fifth of the whole duration each */
        uint16_t d = (uint16_t)((duration_ms ? duration_ms : BUZZ_TRIPLE_DEFAULT_MS) / 5u);
        ms[0] = ms[1] = ms[2] = ms[3] = ms[4] = d ? d : 1u;
        pattern_start(c, ms, 5u, 1u);
    } else {
        return WM_STATUS_BAD_PARAM;
    }
    c->stats.buzzes++;
    c->stats.last_buzz_pattern = pattern;
    c->stats.last_buzz_ms = duration_ms;
    return WM_STATUS_OK;
}

static uint8_t identify(wm_core_t *c, uint8_t seconds)
{
    static const uint16_t blink[2] = {IDENTIFY_ON_MS, IDENTIFY_OFF_MS};
    if (!(c->config.capabilities & (WM_CAP_LED | WM_CAP_HAPTIC))) {
        return WM_STATUS_UNSUPPORTED;
    }
    if (seconds == 0u) {
        pattern_stop(c);
    } else {
        pattern_start(c, blink, 2u, seconds);
    }
    c->stats.identifies++;
    c->stats.last_identify_s = seconds;
    return WM_STATUS_OK;
}

void wm_core_ctrl_write(wm_core_t *c, const uint8_t *buf, size_t len)
{
    uint8_t data[WM_INFO_BYTES];
    size_t data_len = 0u;
    uint8_t op;
    uint8_t req_id;
    const uint8_t *params;
    uint8_t status;

    c->stats.ctrl_requests++;
    if (len < WM_CTRL_REQUEST_HEADER_BYTES) {
        respond(c, len > 0u ? buf[0] : 0u, 0u, WM_STATUS_BAD_LENGTH, NULL, 0u);
        return;
    }
    op = buf[0];
    req_id = buf[1];
    params = buf + WM_CTRL_REQUEST_HEADER_BYTES;
    if (op < WM_OP_GET_CAPS || op > WM_OP_BUZZ) {
        respond(c, op, req_id, WM_STATUS_UNKNOWN_OP, NULL, 0u);
        return;
    }
    if (len - WM_CTRL_REQUEST_HEADER_BYTES != param_bytes[op]) {
        respond(c, op, req_id, WM_STATUS_BAD_LENGTH, NULL, 0u);
        return;
    }
    switch (op) {
    case WM_OP_GET_CAPS:
        data_len = wm_core_info(c, data, sizeof data);
        status = WM_STATUS_OK;
        break;
    case WM_OP_START:
        status = start_stream(c, params, data);
        data_len = status == WM_STATUS_OK ? 8u : 0u;
        break;
    case WM_OP_STOP:
        stop_stream(c);
        status = WM_STATUS_OK;
        break;
    case WM_OP_SET_ROLE:
        status = set_role(c, params[0]);
        break;
    case WM_OP_TIME_SYNC:
        if (!(c->config.capabilities & WM_CAP_TIME_SYNC)) {
            status = WM_STATUS_UNSUPPORTED;
            break;
        }
        memcpy(data, params, 4u);
        wm_put_u32le(data + 4, now_us(c));
        data_len = 8u;
        status = WM_STATUS_OK;
        break;
    case WM_OP_IDENTIFY:
        status = identify(c, params[0]);
        break;
    default: /* WM_OP_BUZZ */
        status = buzz(c, params[0], wm_get_u16le(params + 1));
        break;
    }
    respond(c, op, req_id, status, data, data_len);
    if (op == WM_OP_START && status == WM_STATUS_OK) {
        (void)send_anchor(c, now_us(c)); /* else wm_core_poll() retries it */
    }
}

/* ---------------------------------------------------------------- public */

void wm_core_init(wm_core_t *c, const wm_board_t *board, const wm_core_config_t *config)
{
    uint8_t rec[WM_CORE_FLASH_RECORD_BYTES];
    memset(c, 0, sizeof *c);
    c->board = *board;
    c->config = *config;
    c->att_mtu = DEFAULT_MTU;
    c->battery_pct = WM_BATTERY_UNKNOWN;
    c->role = config->default_role <= WM_ROLE_MAX ? config->default_role : WM_ROLE_UNASSIGNED;
    if (board->flash_read != NULL && board->flash_read(board->ctx, rec, sizeof rec) == 0 &&
        rec[0] == FLASH_MAGIC_0 && rec[1] == FLASH_MAGIC_1 && rec[2] == FLASH_VERSION &&
        rec[3] <= WM_ROLE_MAX) {
        c->role = rec[3];
    }
}

void wm_core_connected(wm_core_t *c, uint16_t att_mtu, uint16_t conn_interval_1250us)
{
    c->connected = 1u;
    c->att_mtu = att_mtu;
    c->conn_interval_1250us = conn_interval_1250us;
    c->last_status_us = now_us(c);
}

void wm_core_set_mtu(wm_core_t *c, uint16_t att_mtu)
{
    int was_compact = compact_mode(c);
    c->att_mtu = att_mtu;
    if (c->streaming && compact_mode(c) && !was_compact) {
        c->anchor_due = 1u;
    }
}

void wm_core_disconnected(wm_core_t *c)
{
    stop_stream(c);
    c->connected = 0u;
    c->att_mtu = DEFAULT_MTU;
}

void wm_core_push_samples(wm_core_t *c, const int16_t *samples, unsigned n, unsigned axes,
                          unsigned lost)
{
    int16_t s[WM_MAX_AXES];
    unsigned k;
    if (!c->streaming || (axes != 6u && axes != 9u)) {
        return;
    }
    if (lost > 0u) {
        skip_lost(c, lost);
    }
    memset(s, 0, sizeof s);
    for (k = 0u; k < n; ++k) {
        memcpy(s, samples + (size_t)k * axes, axes * sizeof s[0]);
        c->stats.samples_in++;
        convert(c, s);
    }
}

void wm_core_poll(wm_core_t *c)
{
    uint32_t now = now_us(c);
    uint32_t flush_us;
    unsigned cap;

    pattern_run(c, now);
    if (!c->connected) {
        return;
    }
    if ((uint32_t)(now - c->last_status_us) >= WM_CORE_STATUS_INTERVAL_US) {
        c->last_status_us = now;
        send_status(c);
    }
    if (!c->streaming) {
        return;
    }
    if (c->anchor_due ||
        (compact_mode(c) && (uint32_t)(now - c->last_anchor_us) >= WM_CORE_ANCHOR_INTERVAL_US)) {
        if (!send_anchor(c, now)) {
            return;
        }
    }
    cap = batch_cap(c);
    while (c->q_count >= cap) {
        if (!send_samples(c, cap)) {
            return;
        }
    }
    if (c->q_count > 0u) {
        flush_us = (uint32_t)c->start.flush_ms * 1000u;
        if ((int32_t)(now - sample_time_us(c, c->q_head_index)) >= (int32_t)flush_us) {
            (void)send_samples(c, c->q_count);
        }
    }
}

void wm_core_set_battery(wm_core_t *c, uint8_t battery_pct, int16_t temperature_cC)
{
    c->battery_pct = battery_pct;
    c->temperature_cC = temperature_cC;
}

size_t wm_core_info(const wm_core_t *c, uint8_t *out, size_t cap)
{
    wm_info_t info;
    size_t len = 0u;
    memset(&info, 0, sizeof info);
    info.protocol_version = (uint8_t)WM_PROTOCOL_VERSION;
    info.fw_major = c->config.fw_major;
    info.fw_minor = c->config.fw_minor;
    info.fw_patch = c->config.fw_patch;
    info.capabilities = c->config.capabilities;
    info.max_rate_hz = c->config.max_rate_hz;
    info.acc_ranges_mask = c->config.acc_ranges_mask;
    info.gyr_ranges_mask = c->config.gyr_ranges_mask;
    info.mag_lsb_nT = (uint16_t)WM_MAG_LSB_NT;
    info.role = c->role;
    memcpy(info.imu_part, c->config.imu_part, sizeof info.imu_part);
    memcpy(info.serial, c->config.serial, sizeof info.serial);
    return wm_info_encode(&info, out, cap, &len) == WM_OK ? len : 0u;
}

size_t wm_core_status(const wm_core_t *c, uint8_t *out, size_t cap)
{
    wm_status_t s;
    size_t len = 0u;
    s.battery_pct = c->battery_pct;
    s.temperature_cC = c->temperature_cC;
    s.fifo_overflows = c->fifo_overflows;
    s.tx_dropped = c->tx_dropped;
    s.conn_interval_1250us = c->conn_interval_1250us;
    s.att_mtu = c->att_mtu;
    return wm_status_encode(&s, out, cap, &len) == WM_OK ? len : 0u;
}

uint8_t wm_core_role(const wm_core_t *c)
{
    return c->role;
}

int16_t wm_core_rescale(int16_t raw, int32_t gain_q15)
{
    int64_t num = (int64_t)raw * gain_q15;
    int64_t v = num >= 0 ? (num + 16384) / 32768 : (num - 16384) / 32768;
    if (v > INT16_MAX) {
        return INT16_MAX;
    }
    if (v < INT16_MIN) {
        return INT16_MIN;
    }
    return (int16_t)v;
}

int wm_core_streaming(const wm_core_t *c)
{
    return c->streaming != 0u;
}

const wm_core_stats_t *wm_core_stats(const wm_core_t *c)
{
    return &c->stats;
}

size_t wm_core_state_bytes(void)
{
    return sizeof(wm_core_t);
}

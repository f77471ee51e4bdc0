/*
 * Host tests of the firmware core (not for firmware). A fake board records every notification,
 * owns the clock, the flash record, the motor and the IMU; each test drives the core through
 * its public API and decodes what it sent with the C codec.
 *
 *   wm_core_test            run every test; prints one line per test, exit status 1 on failure
 *   wm_core_test vectors    read "vec ..." lines on stdin (see run_vectors) and print the DATA
 *                           frame the core builds for each, as hex (for the shared vectors)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wm_core.h"

static int failures;
static int checks;
#define CHECK(cond)                                                                          \
    do {                                                                                     \
        checks++;                                                                            \
        if (!(cond)) {                                                                       \
            failures++;                                                                      \
            printf("  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                        \
        }                                                                                    \
    } while (0)

/* ---------------------------------------------------------------- the fake board */

#define MAX_NOTES 20000
typedef struct {
    uint8_t ch;
    uint16_t len;
    uint8_t buf[WM_CORE_MAX_PAYLOAD];
} note_t;

static note_t notes[MAX_NOTES];
static unsigned n_notes;
static int busy;
static int budget = -1; /* notifications the stack takes before it is full; -1: no limit */
static unsigned refused;
static uint32_t clock_us;
static uint8_t flash[WM_CORE_FLASH_RECORD_BYTES];
static int flash_has;
static int flash_fail;
static unsigned flash_writes;
static uint16_t imu_odr;
static int imu_refuse;
static int imu_running;
static unsigned imu_starts;
static unsigned imu_stops;
static uint8_t imu_acc;
static uint8_t imu_gyr;
#define MAX_MOTOR 64
static uint32_t motor_t[MAX_MOTOR];
static uint8_t motor_on[MAX_MOTOR];
static unsigned n_motor;

static int fake_notify(void *ctx, uint8_t ch, const uint8_t *buf, uint16_t len)
{
    (void)ctx;
    if (busy || budget == 0 || n_notes == MAX_NOTES || len > WM_CORE_MAX_PAYLOAD) {
        refused++;
        return 0;
    }
    if (budget > 0) {
        budget--;
    }
    notes[n_notes].ch = ch;
    notes[n_notes].len = len;
    memcpy(notes[n_notes].buf, buf, len);
    n_notes++;
    return 1;
}

static uint32_t fake_now(void *ctx)
{
    (void)ctx;
    return clock_us;
}

static int fake_imu_start(void *ctx, uint16_t rate, uint8_t acc, uint8_t gyr, uint8_t mag,
                          uint16_t *odr)
{
    (void)ctx;
    (void)mag;
    if (imu_refuse) {
        return 1;
    }
    imu_running = 1;
    imu_starts++;
    imu_acc = acc;
    imu_gyr = gyr;
    *odr = imu_odr ? imu_odr : rate;
    return 0;
}

static void fake_imu_stop(void *ctx)
{
    (void)ctx;
    imu_running = 0;
    imu_stops++;
}

static int fake_flash_read(void *ctx, uint8_t *buf, uint16_t len)
{
    (void)ctx;
    if (!flash_has) {
        return 1;
    }
    memcpy(buf, flash, len);
    return 0;
}

static int fake_flash_write(void *ctx, const uint8_t *buf, uint16_t len)
{
    (void)ctx;
    if (flash_fail) {
        return 1;
    }
    memcpy(flash, buf, len);
    flash_has = 1;
    flash_writes++;
    return 0;
}

static void fake_motor(void *ctx, uint8_t on)
{
    (void)ctx;
    if (n_motor < MAX_MOTOR) {
        motor_t[n_motor] = clock_us;
        motor_on[n_motor] = on;
        n_motor++;
    }
}

static const wm_board_t board = {NULL,          fake_notify,     fake_now,         fake_imu_start,
                                 fake_imu_stop, fake_flash_read, fake_flash_write, fake_motor};

static wm_core_config_t default_config(void)
{
    wm_core_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.fw_major = 1;
    cfg.fw_minor = 2;
    cfg.fw_patch = 3;
    cfg.capabilities = WM_CAP_HAPTIC | WM_CAP_LED | WM_CAP_TIME_SYNC | WM_CAP_COMPACT_FRAMES;
    cfg.max_rate_hz = 416;
    cfg.acc_ranges_mask = 0x0F;
    cfg.gyr_ranges_mask = 0x1F;
    cfg.default_role = WM_ROLE_SACRUM;
    memcpy(cfg.imu_part, "LSM6DS3", 7);
    memcpy(cfg.serial, "XIAO0001", 8);
    return cfg;
}

static wm_core_t core;
static uint32_t imu_index; /* samples pushed since the last START */

static void reset_board(void)
{
    n_notes = 0;
    busy = 0;
    budget = -1;
    refused = 0;
    clock_us = 1000000u;
    flash_has = 0;
    flash_fail = 0;
    flash_writes = 0;
    imu_odr = 0;
    imu_refuse = 0;
    imu_running = 0;
    imu_starts = 0;
    imu_stops = 0;
    n_motor = 0;
}

static void setup_with(const wm_core_config_t *cfg, uint16_t mtu)
{
    reset_board();
    wm_core_init(&core, &board, cfg);
    wm_core_connected(&core, mtu, 6);
}

static void setup(uint16_t mtu)
{
    wm_core_config_t cfg = default_config();
    setup_with(&cfg, mtu);
}

/* Send a CTRL request; return the decoded response (the last CTRL notification). */
static wm_ctrl_response_t ctrl(uint8_t op, uint8_t req_id, const uint8_t *params, size_t len)
{
    uint8_t buf[64];
    wm_ctrl_response_t r;
    unsigned i;
    memset(&r, 0, sizeof r);
    r.status = 0xFF;
    buf[0] = op;
    buf[1] = req_id;
    if (len) {
        memcpy(buf + 2, params, len);
    }
    wm_core_ctrl_write(&core, buf, len + 2);
    for (i = n_notes; i-- > 0;) {
        if (notes[i].ch == WM_CH_CTRL) {
            CHECK(wm_ctrl_response_decode(notes[i].buf, notes[i].len, &r) == WM_OK);
            break;
        }
    }
    return r;
}

static wm_ctrl_response_t start(uint16_t rate, uint8_t max_batch, uint16_t flush_ms,
                                uint8_t mag_on)
{
    wm_start_params_t p = {rate, 2, 3, mag_on, max_batch, flush_ms};
    uint8_t buf[8];
    size_t len;
    wm_start_params_encode(&p, buf, sizeof buf, &len);
    imu_index = 0;
    return ctrl(WM_OP_START, 7, buf, len);
}

/* The IMU's sample k: a value per axis that says which sample it is. */
static void ramp_sample(uint32_t k, int16_t *s, unsigned axes)
{
    unsigned a;
    for (a = 0; a < axes; ++a) {
        s[a] = (int16_t)((int32_t)((k * 7u + a * 1000u) % 20000u) - 10000);
    }
}

/* Push n IMU samples (axes 6) and poll. */
static void push(unsigned n)
{
    int16_t s[WM_MAX_AXES];
    unsigned k;
    for (k = 0; k < n; ++k) {
        ramp_sample(imu_index++, s, 6);
        wm_core_push_samples(&core, s, 1, 6, 0);
    }
    wm_core_poll(&core);
}

/* Run the stream for `ms` at `rate` Hz: every `step_ms` the due samples go in, then a poll. */
static void stream_for(unsigned ms, unsigned rate, unsigned step_ms)
{
    unsigned t;
    uint32_t t_start = clock_us - (uint32_t)((uint64_t)imu_index * 1000000u / rate);
    for (t = 0; t < ms; t += step_ms) {
        uint32_t due;
        clock_us += step_ms * 1000u;
        due = (uint32_t)((uint64_t)(uint32_t)(clock_us - t_start) * rate / 1000000u) + 1u;
        push(due - imu_index);
    }
}

typedef struct {
    unsigned frames;  /* DATA notifications with samples */
    unsigned anchors; /* full frames with n = 0 */
    unsigned compact;
    unsigned samples;
    unsigned bad;       /* frames the codec rejects, samples that do not match, gaps */
    unsigned max_n;
    unsigned max_len;
    uint32_t next;      /* next expected index */
    uint16_t next_seq;
    unsigned seq_gaps;
    uint8_t flags_or;
} summary_t;

/* Decode every DATA notification from `from` on; check sequence numbers, contiguous indices
 * (unless overflow flags say otherwise), device times and sample values. */
static summary_t check_data(unsigned from, uint32_t t0, unsigned rate, uint32_t first_index,
                            uint16_t first_seq)
{
    summary_t s;
    unsigned i;
    memset(&s, 0, sizeof s);
    s.next = first_index;
    s.next_seq = first_seq;
    for (i = from; i < n_notes; ++i) {
        wm_data_header_t h;
        unsigned k;
        uint32_t index;
        if (notes[i].ch != WM_CH_DATA) {
            continue;
        }
        if (wm_data_decode(notes[i].buf, notes[i].len, &h) != WM_OK) {
            s.bad++;
            continue;
        }
        if (h.seq != s.next_seq) {
            s.seq_gaps++;
        }
        s.next_seq = (uint16_t)(h.seq + 1u);
        if (notes[i].len > s.max_len) s.max_len = notes[i].len;
        if (h.frame_type == WM_FRAME_DATA_COMPACT) {
            s.compact++;
            index = s.next;
            if ((index & 0xFFFFu) != h.first_index) {
                s.bad++;
            }
        } else {
            index = h.first_index;
            s.flags_or |= h.flags;
            if (h.t_dev_us != t0 + (uint32_t)(((uint64_t)index * 1000000u + rate / 2u) / rate)) {
                s.bad++;
            }
            if (index != s.next && !(h.flags & WM_FLAG_FIFO_OVERFLOW)) {
                s.bad++;
            }
            if (h.n == 0) {
                s.anchors++;
                s.next = index;
                continue;
            }
        }
        s.frames++;
        if (h.n > s.max_n) s.max_n = h.n;
        for (k = 0; k < h.n; ++k) {
            int16_t got[WM_MAX_AXES];
            int16_t want[WM_MAX_AXES];
            wm_data_sample(&h, k, got);
            ramp_sample(index + k, want, 6);
            if (memcmp(got, want, 6 * sizeof got[0]) != 0) {
                s.bad++;
            }
        }
        s.samples += h.n;
        s.next = index + h.n;
    }
    return s;
}

static unsigned count_ch(unsigned from, uint8_t ch)
{
    unsigned i, n = 0;
    for (i = from; i < n_notes; ++i) n += notes[i].ch == ch;
    return n;
}

/* ---------------------------------------------------------------- tests */

static void test_init_role_from_flash(void)
{
    wm_core_config_t cfg = default_config();
    setup(247);
    CHECK(wm_core_role(&core) == WM_ROLE_SACRUM); /* empty flash: the default */
    flash[0] = 'w'; flash[1] = 'm'; flash[2] = 1; flash[3] = WM_ROLE_LUMBAR;
    flash_has = 1;
    wm_core_init(&core, &board, &cfg);
    CHECK(wm_core_role(&core) == WM_ROLE_LUMBAR);
    flash[0] = 'x'; /* a record that is not ours is ignored */
    wm_core_init(&core, &board, &cfg);
    CHECK(wm_core_role(&core) == WM_ROLE_SACRUM);
    flash[0] = 'w'; flash[3] = 9; /* nor is a role out of range */
    wm_core_init(&core, &board, &cfg);
    CHECK(wm_core_role(&core) == WM_ROLE_SACRUM);
}

static void test_get_caps(void)
{
    wm_ctrl_response_t r;
    wm_info_t info;
    uint8_t direct[WM_INFO_BYTES];
    setup(247);
    r = ctrl(WM_OP_GET_CAPS, 42, NULL, 0);
    CHECK(r.op == WM_OP_GET_CAPS && r.req_id == 42 && r.status == WM_STATUS_OK);
    CHECK(r.data_len == WM_INFO_BYTES);
    CHECK(wm_info_decode(r.data, r.data_len, &info) == WM_OK);
    CHECK(info.protocol_version == 1 && info.fw_major == 1 && info.fw_minor == 2);
    CHECK(info.fw_patch == 3 && info.max_rate_hz == 416 && info.role == WM_ROLE_SACRUM);
    CHECK(info.capabilities == (WM_CAP_HAPTIC | WM_CAP_LED | WM_CAP_TIME_SYNC |
                                WM_CAP_COMPACT_FRAMES));
    CHECK(strcmp(info.imu_part, "LSM6DS3") == 0 && strcmp(info.serial, "XIAO0001") == 0);
    CHECK(info.mag_lsb_nT == 100);
    CHECK(wm_core_info(&core, direct, sizeof direct) == WM_INFO_BYTES);
    CHECK(memcmp(direct, r.data, WM_INFO_BYTES) == 0);
}

static void test_bad_requests(void)
{
    wm_ctrl_response_t r;
    uint8_t one = 0x01;
    uint8_t params[9] = {0};
    setup(247);
    wm_core_ctrl_write(&core, &one, 1);
    CHECK(wm_ctrl_response_decode(notes[n_notes - 1].buf, notes[n_notes - 1].len, &r) == WM_OK);
    CHECK(r.status == WM_STATUS_BAD_LENGTH && r.op == 1 && r.req_id == 0);
    r = ctrl(0x08, 3, NULL, 0);
    CHECK(r.status == WM_STATUS_UNKNOWN_OP && r.op == 0x08 && r.req_id == 3);
    r = ctrl(0x00, 4, NULL, 0);
    CHECK(r.status == WM_STATUS_UNKNOWN_OP);
    r = ctrl(WM_OP_GET_CAPS, 5, params, 1);
    CHECK(r.status == WM_STATUS_BAD_LENGTH && r.req_id == 5);
    r = ctrl(WM_OP_START, 6, params, 7);
    CHECK(r.status == WM_STATUS_BAD_LENGTH);
    r = ctrl(WM_OP_START, 6, params, 9);
    CHECK(r.status == WM_STATUS_BAD_LENGTH);
    r = ctrl(WM_OP_BUZZ, 6, params, 2);
    CHECK(r.status == WM_STATUS_BAD_LENGTH);
    r = ctrl(WM_OP_TIME_SYNC, 6, params, 3);
    CHECK(r.status == WM_STATUS_BAD_LENGTH);
    CHECK(!core.streaming && imu_starts == 0);
}

static void test_start_refuses_bad_params(void)
{
    wm_core_config_t cfg = default_config();
    struct {
        wm_start_params_t p;
    } cases[] = {
        {{0, 2, 3, 0, 40, 20}},   /* rate 0 */
        {{417, 2, 3, 0, 40, 20}}, /* above max_rate_hz */
        {{200, 4, 3, 0, 40, 20}}, /* acc range not in the mask */
        {{200, 2, 5, 0, 40, 20}}, /* gyr range not in the mask */
        {{200, 9, 3, 0, 40, 20}}, /* no such code at all */
        {{200, 2, 3, 1, 40, 20}}, /* magnetometer without the capability */
        {{200, 2, 3, 0, 0, 20}},  /* max_batch 0 */
        {{200, 2, 3, 0, 40, 0}},  /* flush_ms 0 */
    };
    unsigned i;
    cfg.acc_ranges_mask = 0x0C; /* +-8 g, +-16 g only */
    cfg.gyr_ranges_mask = 0x0F;
    setup_with(&cfg, 247);
    for (i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        uint8_t buf[8];
        size_t len;
        wm_ctrl_response_t r;
        wm_start_params_encode(&cases[i].p, buf, sizeof buf, &len);
        r = ctrl(WM_OP_START, (uint8_t)i, buf, len);
        CHECK(r.status == WM_STATUS_BAD_PARAM && r.data_len == 0);
    }
    CHECK(!core.streaming && imu_starts == 0 && count_ch(0, WM_CH_DATA) == 0);
    imu_refuse = 1; /* the IMU itself cannot */
    CHECK(start(200, 40, 20, 0).status == WM_STATUS_BAD_PARAM);
    imu_refuse = 0;
    imu_odr = 100; /* an IMU slower than asked */
    CHECK(start(200, 40, 20, 0).status == WM_STATUS_BAD_PARAM);
    CHECK(!core.streaming);
}

static void test_start_stream_mtu247(void)
{
    wm_ctrl_response_t r;
    summary_t s;
    uint32_t t0;
    unsigned before;
    wm_data_header_t h;
    setup(247);
    r = start(200, 40, 200, 0); /* flush 200 ms: frames fill up to what the MTU holds */
    CHECK(r.status == WM_STATUS_OK && r.req_id == 7 && r.data_len == 8);
    CHECK(wm_get_u32le(r.data) == 0 && wm_get_u32le(r.data + 4) == clock_us);
    CHECK(imu_running && imu_acc == 2 && imu_gyr == 3);
    t0 = clock_us;
    /* the response, then the anchor */
    CHECK(n_notes == 2 && notes[0].ch == WM_CH_CTRL && notes[1].ch == WM_CH_DATA);
    CHECK(wm_data_decode(notes[1].buf, notes[1].len, &h) == WM_OK);
    CHECK(h.n == 0 && h.first_index == 0 && h.t_dev_us == t0 && h.seq == 0);
    CHECK(h.role == WM_ROLE_SACRUM && h.acc_range == 2 && h.gyr_range == 3 && h.flags == 0);
    before = n_notes;
    stream_for(2000, 200, 5);
    s = check_data(1, t0, 200, 0, 0);
    CHECK(s.bad == 0 && s.seq_gaps == 0 && s.compact == 0 && s.anchors == 1);
    CHECK(s.max_n == 19); /* (244 - 16) / 12: the MTU caps max_batch 40 */
    CHECK(s.max_len == 16 + 19 * 12);
    CHECK(s.samples + core.q_count == imu_index && s.samples >= 380);
    CHECK(core.q_count < 19);
    /* STATUS once a second */
    CHECK(count_ch(before, WM_CH_STATUS) == 2);
    CHECK(core.stats.samples_dropped == 0 && refused == 0);
}

static void test_flush_sends_partial_frames(void)
{
    summary_t s;
    uint32_t t0;
    setup(247);
    start(50, 40, 30, 0); /* 50 Hz: 19 samples would take 380 ms */
    t0 = clock_us;
    stream_for(1000, 50, 10);
    s = check_data(1, t0, 50, 0, 0);
    CHECK(s.bad == 0 && s.frames >= 20); /* one or two samples a frame, 30 ms late at most */
    CHECK(s.max_n <= 2);
    CHECK(s.samples + core.q_count == imu_index && core.q_count <= 2);
}

static void test_max_batch_caps_frames(void)
{
    summary_t s;
    uint32_t t0;
    setup(247);
    start(200, 5, 100, 0);
    t0 = clock_us;
    stream_for(500, 200, 10);
    s = check_data(1, t0, 200, 0, 0);
    CHECK(s.bad == 0 && s.max_n == 5 && s.samples >= 95);
}

static void test_compact_frames_at_mtu23(void)
{
    summary_t s;
    uint32_t t0;
    setup(23);
    start(200, 40, 20, 0);
    t0 = clock_us;
    stream_for(3000, 200, 5);
    s = check_data(1, t0, 200, 0, 0);
    CHECK(s.bad == 0 && s.seq_gaps == 0);
    CHECK(s.max_n == 1 && s.max_len == 20); /* exactly one sample in 20 bytes */
    CHECK(s.compact == s.frames && s.frames >= 590);
    CHECK(s.anchors >= 3 && s.anchors <= 4); /* one at START, then one a second */
}

static void test_mtu_changes_mid_stream(void)
{
    summary_t s;
    uint32_t t0;
    unsigned mark;
    setup(23);
    start(200, 40, 200, 0);
    t0 = clock_us;
    stream_for(300, 200, 5);
    wm_core_set_mtu(&core, 247); /* the MTU exchange finishes after START */
    mark = n_notes;
    stream_for(300, 200, 5);
    s = check_data(mark, t0, 200, core.stats.samples_sent, 0);
    CHECK(s.compact == 0 && s.max_n == 19);
    wm_core_set_mtu(&core, 23); /* back to compact: an anchor first */
    mark = n_notes;
    stream_for(300, 200, 5);
    {
        wm_data_header_t h;
        unsigned i = mark;
        while (notes[i].ch != WM_CH_DATA) i++;
        CHECK(wm_data_decode(notes[i].buf, notes[i].len, &h) == WM_OK);
        CHECK(h.frame_type == WM_FRAME_DATA && h.n == 0);
    }
    s = check_data(1, t0, 200, 0, 0);
    CHECK(s.bad == 0 && s.seq_gaps == 0);
    CHECK(s.samples + core.q_count == imu_index);
    wm_core_set_mtu(&core, 100); /* (97 - 16) / 12 = 6 */
    mark = n_notes;
    stream_for(200, 200, 5);
    s = check_data(mark, t0, 200, core.q_head_index - 0, 0);
    CHECK(s.max_n == 6);
}

static void test_queue_overflow_drops_oldest(void)
{
    summary_t s;
    wm_data_header_t h;
    uint32_t t0;
    unsigned mark;
    uint8_t st[WM_STATUS_BYTES];
    wm_status_t status;
    unsigned i;
    setup(247);
    start(200, 40, 20, 0);
    t0 = clock_us;
    busy = 1; /* the link is slower than the IMU: the stack refuses everything */
    stream_for(1500, 200, 10);
    CHECK(imu_index >= 300);
    CHECK(core.q_count == WM_CORE_QUEUE_SAMPLES);
    CHECK(core.stats.samples_dropped == imu_index - WM_CORE_QUEUE_SAMPLES);
    CHECK(core.q_head_index == core.stats.samples_dropped); /* the oldest went */
    CHECK(refused > 0 && core.tx_dropped == core.stats.notify_busy);
    busy = 0;
    mark = n_notes;
    stream_for(500, 200, 10);
    i = mark;
    while (notes[i].ch != WM_CH_DATA) i++;
    CHECK(wm_data_decode(notes[i].buf, notes[i].len, &h) == WM_OK);
    /* the first frame after the overflow starts at the oldest kept sample and says so */
    CHECK(h.n == 19 && (h.flags & WM_FLAG_FIFO_OVERFLOW));
    /* the frame starts at the oldest sample kept: the queue held the newest 128 then */
    CHECK(h.first_index > 0 && h.first_index == core.stats.samples_dropped);
    CHECK(h.seq == 1); /* refused notifications did not take a sequence number */
    s = check_data(mark, t0, 200, h.first_index, 1);
    CHECK(s.bad == 0 && s.seq_gaps == 0);
    /* only the first frame carries the flag */
    wm_data_decode(notes[n_notes - 1].buf, notes[n_notes - 1].len, &h);
    CHECK(!(h.flags & WM_FLAG_FIFO_OVERFLOW) || notes[n_notes - 1].ch != WM_CH_DATA);
    CHECK(wm_core_status(&core, st, sizeof st) == WM_STATUS_BYTES);
    CHECK(wm_status_decode(st, sizeof st, &status) == WM_OK);
    CHECK(status.fifo_overflows == 1 && status.tx_dropped == core.tx_dropped);
    CHECK(status.tx_dropped > 0);
    /* all samples are accounted for: sent + dropped + queued */
    CHECK(core.stats.samples_sent + core.stats.samples_dropped + core.q_count == imu_index);
}

static void test_queue_overflow_compact_sends_flagged_anchor(void)
{
    unsigned anchors;
    uint32_t sent_before;
    wm_data_header_t h;
    summary_t s;
    uint32_t t0;
    unsigned mark;
    unsigned i;
    setup(23);
    start(200, 40, 20, 0);
    t0 = clock_us;
    stream_for(200, 200, 5);
    busy = 1;
    stream_for(1000, 200, 5);
    busy = 0;
    mark = n_notes;
    sent_before = core.stats.samples_sent;
    stream_for(100, 200, 5);
    /* the first sample frame after the stall starts at the oldest sample kept */
    i = mark;
    while (notes[i].ch != WM_CH_DATA || notes[i].buf[0] != WM_FRAME_DATA_COMPACT) i++;
    CHECK(wm_data_decode(notes[i].buf, notes[i].len, &h) == WM_OK);
    CHECK(h.first_index == ((sent_before + core.stats.samples_dropped) & 0xFFFFu));
    /* the next anchor, within a second, carries FIFO_OVERFLOW; the one after does not */
    stream_for(1000, 200, 5);
    for (i = mark, anchors = 0; i < n_notes; ++i) {
        if (notes[i].ch != WM_CH_DATA || wm_data_decode(notes[i].buf, notes[i].len, &h) ||
            h.frame_type != WM_FRAME_DATA) {
            continue;
        }
        CHECK(h.n == 0 && (anchors == 0) == ((h.flags & WM_FLAG_FIFO_OVERFLOW) != 0));
        anchors++;
    }
    CHECK(anchors == 2);
    s = check_data(1, t0, 200, 0, 0);
    CHECK(s.bad == 0 && s.seq_gaps == 0 && (s.flags_or & WM_FLAG_FIFO_OVERFLOW));
    CHECK(core.stats.samples_dropped > 0);
    CHECK(core.stats.samples_sent + core.stats.samples_dropped + core.q_count == imu_index);
}

static void test_sustained_overload_is_one_episode(void)
{
    /* MTU 23 and a stack that takes one notification per 10 ms: 100 samples/s for 200 */
    unsigned k;
    setup(23);
    start(200, 40, 20, 0);
    for (k = 0; k < 500; ++k) {
        clock_us += 10000u;
        budget = 1; /* one free buffer per connection event */
        push(2);
    }
    budget = -1;
    CHECK(core.stats.samples_dropped > 300);
    CHECK(core.fifo_overflows == 1); /* one long episode, not one per frame */
    CHECK(core.stats.samples_sent > 490); /* samples still flow: anchors do not starve them */
    CHECK(core.stats.samples_sent + core.stats.samples_dropped + core.q_count == imu_index);
}

static void test_imu_fifo_loss(void)
{
    int16_t smp[6];
    wm_data_header_t h;
    unsigned i;
    setup(247);
    start(200, 1, 20, 0);
    push(3);
    ramp_sample(8, smp, 6); /* the IMU lost samples 3..7 */
    imu_index = 9;
    wm_core_push_samples(&core, smp, 1, 6, 5);
    wm_core_poll(&core);
    i = n_notes - 1;
    CHECK(wm_data_decode(notes[i].buf, notes[i].len, &h) == WM_OK);
    CHECK(h.first_index == 8 && h.n == 1 && (h.flags & WM_FLAG_FIFO_OVERFLOW));
    CHECK(core.fifo_overflows == 1 && core.stats.samples_dropped == 5);
}

static void test_timestamp_wrap(void)
{
    summary_t s;
    uint32_t t0;
    unsigned i;
    int wrapped = 0;
    uint32_t last_t = 0;
    setup(247);
    clock_us = 0xFFFFFFFFu - 150000u; /* 150 ms before the device clock wraps */
    start(200, 40, 20, 0);
    t0 = clock_us;
    stream_for(600, 200, 5);
    s = check_data(1, t0, 200, 0, 0); /* check_data compares modulo 2^32 */
    CHECK(s.bad == 0 && s.samples >= 110);
    for (i = 1; i < n_notes; ++i) {
        wm_data_header_t h;
        if (notes[i].ch != WM_CH_DATA || wm_data_decode(notes[i].buf, notes[i].len, &h)) {
            continue;
        }
        if (h.t_dev_us < last_t) wrapped = 1;
        last_t = h.t_dev_us;
    }
    CHECK(wrapped);
}

static void test_restart_and_stop(void)
{
    wm_ctrl_response_t r;
    summary_t s;
    uint32_t t1;
    unsigned mark;
    uint16_t seq_before;
    setup(247);
    start(200, 40, 20, 0);
    stream_for(500, 200, 5);
    seq_before = core.seq;
    CHECK(seq_before > 3);
    clock_us += 12345u;
    mark = n_notes;
    r = start(100, 40, 20, 0); /* START while running restarts the stream */
    t1 = clock_us;
    CHECK(r.status == WM_STATUS_OK && wm_get_u32le(r.data) == 0 && wm_get_u32le(r.data + 4) == t1);
    CHECK(imu_stops == 1 && imu_starts == 2 && imu_running);
    stream_for(500, 100, 5);
    s = check_data(mark, t1, 100, 0, seq_before); /* indices from 0, seq goes on */
    CHECK(s.bad == 0 && s.seq_gaps == 0 && s.anchors == 1 && s.samples >= 40);
    r = ctrl(WM_OP_STOP, 9, NULL, 0);
    CHECK(r.status == WM_STATUS_OK && !imu_running && !core.streaming);
    mark = n_notes;
    stream_for(300, 100, 5);
    CHECK(count_ch(mark, WM_CH_DATA) == 0);
    r = ctrl(WM_OP_STOP, 10, NULL, 0); /* STOP when stopped is fine */
    CHECK(r.status == WM_STATUS_OK);
}

static void test_disconnect_stops_stream(void)
{
    unsigned mark;
    setup(247);
    start(200, 40, 20, 0);
    stream_for(100, 200, 5);
    wm_core_disconnected(&core);
    CHECK(!core.streaming && !imu_running && core.att_mtu == 23);
    mark = n_notes;
    stream_for(1500, 200, 5);
    CHECK(n_notes == mark); /* no DATA, no STATUS */
}

static void test_set_role_persists(void)
{
    wm_core_config_t cfg = default_config();
    wm_ctrl_response_t r;
    wm_data_header_t h;
    uint8_t role;
    setup(247);
    role = WM_ROLE_LUMBAR;
    r = ctrl(WM_OP_SET_ROLE, 1, &role, 1);
    CHECK(r.status == WM_STATUS_OK && wm_core_role(&core) == WM_ROLE_LUMBAR);
    CHECK(flash_writes == 1 && flash[0] == 'w' && flash[1] == 'm' && flash[3] == WM_ROLE_LUMBAR);
    r = ctrl(WM_OP_SET_ROLE, 2, &role, 1); /* the same role: no flash write */
    CHECK(r.status == WM_STATUS_OK && flash_writes == 1);
    role = 3;
    r = ctrl(WM_OP_SET_ROLE, 3, &role, 1);
    CHECK(r.status == WM_STATUS_BAD_PARAM && wm_core_role(&core) == WM_ROLE_LUMBAR);
    flash_fail = 1;
    role = WM_ROLE_UNASSIGNED;
    r = ctrl(WM_OP_SET_ROLE, 4, &role, 1);
    CHECK(r.status == WM_STATUS_BUSY && wm_core_role(&core) == WM_ROLE_LUMBAR);
    flash_fail = 0;
    /* after a power cycle the role is the stored one */
    wm_core_init(&core, &board, &cfg);
    wm_core_connected(&core, 247, 6);
    CHECK(wm_core_role(&core) == WM_ROLE_LUMBAR);
    start(200, 40, 20, 0);
    CHECK(wm_data_decode(notes[n_notes - 1].buf, notes[n_notes - 1].len, &h) == WM_OK);
    CHECK(h.role == WM_ROLE_LUMBAR);
}

static void test_time_sync(void)
{
    wm_core_config_t cfg = default_config();
    wm_ctrl_response_t r;
    uint8_t host[4] = {0x78, 0x56, 0x34, 0x12};
    setup(247);
    clock_us = 0xDEADBEEFu;
    r = ctrl(WM_OP_TIME_SYNC, 11, host, 4);
    CHECK(r.status == WM_STATUS_OK && r.data_len == 8);
    CHECK(wm_get_u32le(r.data) == 0x12345678u && wm_get_u32le(r.data + 4) == 0xDEADBEEFu);
    cfg.capabilities = WM_CAP_HAPTIC;
    setup_with(&cfg, 247);
    r = ctrl(WM_OP_TIME_SYNC, 12, host, 4);
    CHECK(r.status == WM_STATUS_UNSUPPORTED && r.data_len == 0);
}

static void test_identify_blinks(void)
{
    wm_core_config_t cfg = default_config();
    wm_ctrl_response_t r;
    uint8_t secs = 2;
    uint32_t t0;
    unsigned k;
    setup(247);
    t0 = clock_us;
    r = ctrl(WM_OP_IDENTIFY, 1, &secs, 1);
    CHECK(r.status == WM_STATUS_OK && core.stats.identifies == 1);
    for (k = 0; k < 300; ++k) {
        clock_us += 10000u;
        wm_core_poll(&core);
    }
    /* on 200 ms, off 800 ms, twice, then off for good */
    CHECK(n_motor == 4);
    CHECK(motor_on[0] == 1 && motor_t[0] == t0);
    CHECK(motor_on[1] == 0 && motor_t[1] == t0 + 200000u);
    CHECK(motor_on[2] == 1 && motor_t[2] == t0 + 1000000u);
    CHECK(motor_on[3] == 0 && motor_t[3] == t0 + 1200000u);
    secs = 5;
    ctrl(WM_OP_IDENTIFY, 2, &secs, 1);
    secs = 0; /* IDENTIFY 0 stops it */
    ctrl(WM_OP_IDENTIFY, 3, &secs, 1);
    CHECK(n_motor == 6 && motor_on[5] == 0);
    cfg.capabilities = WM_CAP_TIME_SYNC;
    setup_with(&cfg, 247);
    r = ctrl(WM_OP_IDENTIFY, 4, &secs, 1);
    CHECK(r.status == WM_STATUS_UNSUPPORTED && n_motor == 0);
}

static void test_buzz_patterns(void)
{
    wm_core_config_t cfg = default_config();
    wm_ctrl_response_t r;
    uint8_t p[3];
    uint32_t t0;
    unsigned k;
    setup(247);
    p[0] = WM_BUZZ_SHORT;
    wm_put_u16le(p + 1, 300);
    t0 = clock_us;
    r = ctrl(WM_OP_BUZZ, 1, p, 3);
    CHECK(r.status == WM_STATUS_OK);
    for (k = 0; k < 100; ++k) {
        clock_us += 5000u;
        wm_core_poll(&core);
    }
    CHECK(n_motor == 2 && motor_on[0] && motor_t[0] == t0);
    CHECK(!motor_on[1] && motor_t[1] == t0 + 300000u);
    /* triple long over 1 s: on 200, off 200, on 200, off 200, on 200 */
    n_motor = 0;
    p[0] = WM_BUZZ_TRIPLE_LONG;
    wm_put_u16le(p + 1, 1000);
    t0 = clock_us;
    r = ctrl(WM_OP_BUZZ, 2, p, 3);
    CHECK(r.status == WM_STATUS_OK);
    for (k = 0; k < 300; ++k) {
        clock_us += 5000u;
        wm_core_poll(&core);
    }
    CHECK(n_motor == 6);
    for (k = 0; k < 6 && k < n_motor; ++k) {
        CHECK(motor_on[k] == (k % 2 == 0));
        CHECK(motor_t[k] == t0 + 200000u * k);
    }
    CHECK(core.stats.buzzes == 2 && core.stats.last_buzz_pattern == 2);
    CHECK(core.stats.last_buzz_ms == 1000);
    /* OFF stops a running pattern */
    n_motor = 0;
    p[0] = WM_BUZZ_SHORT;
    wm_put_u16le(p + 1, 5000);
    ctrl(WM_OP_BUZZ, 3, p, 3);
    p[0] = WM_BUZZ_OFF;
    CHECK(ctrl(WM_OP_BUZZ, 4, p, 3).status == WM_STATUS_OK);
    CHECK(n_motor == 2 && !motor_on[1] && !core.motor_on);
    p[0] = 3;
    CHECK(ctrl(WM_OP_BUZZ, 5, p, 3).status == WM_STATUS_BAD_PARAM);
    cfg.capabilities = WM_CAP_LED;
    setup_with(&cfg, 247);
    p[0] = WM_BUZZ_SHORT;
    CHECK(ctrl(WM_OP_BUZZ, 6, p, 3).status == WM_STATUS_UNSUPPORTED && n_motor == 0);
}

static void test_status_and_battery(void)
{
    wm_status_t st;
    wm_data_header_t h;
    unsigned i;
    unsigned n_status = 0;
    setup(185);
    wm_core_set_battery(&core, 12, 2345);
    start(200, 40, 20, 0);
    stream_for(3000, 200, 10);
    for (i = 0; i < n_notes; ++i) {
        if (notes[i].ch == WM_CH_STATUS) {
            CHECK(wm_status_decode(notes[i].buf, notes[i].len, &st) == WM_OK);
            CHECK(st.battery_pct == 12 && st.temperature_cC == 2345 && st.att_mtu == 185);
            CHECK(st.conn_interval_1250us == 6 && st.fifo_overflows == 0 && st.tx_dropped == 0);
            n_status++;
        } else if (notes[i].ch == WM_CH_DATA) {
            CHECK(wm_data_decode(notes[i].buf, notes[i].len, &h) == WM_OK);
            CHECK(h.flags & WM_FLAG_LOW_BATTERY);
        }
    }
    CHECK(n_status == 3);
    wm_core_set_battery(&core, WM_BATTERY_UNKNOWN, 0);
    stream_for(100, 200, 10);
    CHECK(wm_data_decode(notes[n_notes - 1].buf, notes[n_notes - 1].len, &h) == WM_OK);
    CHECK(!(h.flags & WM_FLAG_LOW_BATTERY));
}

static void test_clip_flags(void)
{
    int16_t s[6] = {0, 32767, 0, 0, 0, 0};
    wm_data_header_t h;
    setup(247);
    start(200, 1, 20, 0);
    wm_core_push_samples(&core, s, 1, 6, 0);
    wm_core_poll(&core);
    CHECK(wm_data_decode(notes[n_notes - 1].buf, notes[n_notes - 1].len, &h) == WM_OK);
    CHECK(h.flags == WM_FLAG_ACC_CLIP);
    s[1] = 0;
    s[5] = -32768;
    wm_core_push_samples(&core, s, 1, 6, 0);
    wm_core_poll(&core);
    CHECK(wm_data_decode(notes[n_notes - 1].buf, notes[n_notes - 1].len, &h) == WM_OK);
    CHECK(h.flags == WM_FLAG_GYR_CLIP);
}

static void test_magnetometer_frames(void)
{
    wm_core_config_t cfg = default_config();
    int16_t s[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    int16_t got[9];
    wm_data_header_t h;
    unsigned k;
    cfg.capabilities |= WM_CAP_MAGNETOMETER;
    setup_with(&cfg, 247);
    CHECK(start(100, 40, 20, 1).status == WM_STATUS_OK);
    for (k = 0; k < 20; ++k) wm_core_push_samples(&core, s, 1, 9, 0);
    wm_core_poll(&core);
    CHECK(wm_data_decode(notes[n_notes - 1].buf, notes[n_notes - 1].len, &h) == WM_OK);
    CHECK(h.n == 12 && h.axes == 9 && (h.flags & WM_FLAG_MAG_PRESENT)); /* (244-16)/18 */
    wm_data_sample(&h, 0, got);
    CHECK(memcmp(got, s, sizeof s) == 0);
    wm_core_set_mtu(&core, 23); /* compact frames carry no magnetometer */
    for (k = 0; k < 3; ++k) wm_core_push_samples(&core, s, 1, 9, 0);
    wm_core_poll(&core);
    CHECK(wm_data_decode(notes[n_notes - 1].buf, notes[n_notes - 1].len, &h) == WM_OK);
    CHECK(h.frame_type == WM_FRAME_DATA_COMPACT && h.axes == 6);
}

static void test_rate_conversion_208_to_200(void)
{
    /* An LSM6DS3 runs at 208 Hz when asked for 200: the core interpolates to 200 Hz. */
    unsigned i;
    unsigned k;
    unsigned worst = 0;
    unsigned n_out = 0;
    setup(247);
    imu_odr = 208;
    CHECK(start(200, 40, 20, 0).status == WM_STATUS_OK);
    for (k = 0; k < 2080; ++k) {
        int16_t s[6];
        unsigned a;
        for (a = 0; a < 6; ++a) s[a] = (int16_t)((int32_t)k * 13 - 13000 + (int32_t)a);
        wm_core_push_samples(&core, s, 1, 6, 0);
        clock_us += 1000000u / 208u;
        wm_core_poll(&core);
    }
    CHECK(core.stats.samples_in == 2080);
    CHECK(core.stats.samples_queued == 2000); /* 10 s of 200 Hz */
    for (i = 0; i < n_notes; ++i) {
        wm_data_header_t h;
        if (notes[i].ch != WM_CH_DATA || wm_data_decode(notes[i].buf, notes[i].len, &h)) continue;
        for (k = 0; k < h.n; ++k) {
            int16_t got[6];
            /* output j is the input at position j * 208 / 200 on the same ramp */
            uint32_t j = h.first_index + k;
            int32_t want = (int32_t)((j * 208u * 13u + 100u) / 200u) - 13000;
            int32_t err;
            wm_data_sample(&h, k, got);
            err = got[0] - want;
            if (err < 0) err = -err;
            if ((unsigned)err > worst) worst = (unsigned)err;
            CHECK(got[3] == got[0] + 3);
            n_out++;
        }
    }
    CHECK(n_out >= 1980);
    CHECK(worst <= 1); /* linear in, linear out: within rounding */
}

static void test_rescale(void)
{
    CHECK(wm_core_rescale(1000, 32768) == 1000);
    CHECK(wm_core_rescale(1000, 37581) == 1147);   /* 1000 * 1.14688, rounded */
    CHECK(wm_core_rescale(-1000, 37581) == -1147); /* symmetric rounding */
    CHECK(wm_core_rescale(30000, 37581) == INT16_MAX);
    CHECK(wm_core_rescale(-30000, 37581) == INT16_MIN);
    CHECK(wm_core_rescale(3, 16384) == 2 && wm_core_rescale(-3, 16384) == -2); /* 1.5 away */
    CHECK(wm_core_rescale(0, 37581) == 0);
}

static void test_state_fits(void)
{
    CHECK(wm_core_state_bytes() == sizeof(wm_core_t));
    CHECK(sizeof(wm_core_t) < 4096); /* the whole state, queue included */
}

/* ---------------------------------------------------------------- vectors mode */

/*
 * One line per vector: "vec ROLE SEQ FIRST_INDEX T_DEV_US ACC GYR FLAGS MTU N S..." (N x 6
 * or 9 counts; 9 when FLAGS has MAG_PRESENT). The core is put in the state the header
 * describes (role, sequence number, index, clock, battery for LOW_BATTERY, a pending overflow
 * for FIFO_OVERFLOW), the samples are pushed, the frame it sends is printed as hex.
 */
static long next_long(void)
{
    char *tok = strtok(NULL, " \t\r\n");
    return tok ? strtol(tok, NULL, 0) : -1;
}

static int run_vectors(void)
{
    static char line[20000];
    while (fgets(line, sizeof line, stdin) != NULL) {
        wm_core_config_t cfg = default_config();
        int16_t s[255 * 9];
        uint32_t first, t_dev, rate = 200u;
        uint8_t flags;
        unsigned n, axes, k, i;
        uint16_t mtu;
        char *cmd = strtok(line, " \t\r\n");
        if (cmd == NULL || strcmp(cmd, "vec") != 0) {
            printf("error\n");
            continue;
        }
        cfg.capabilities |= WM_CAP_MAGNETOMETER;
        cfg.default_role = (uint8_t)next_long();
        cfg.max_rate_hz = 1000;
        reset_board();
        wm_core_init(&core, &board, &cfg);
        core.seq = (uint16_t)next_long();
        first = (uint32_t)next_long();
        t_dev = (uint32_t)next_long();
        core.start.acc_range = (uint8_t)next_long();
        core.start.gyr_range = (uint8_t)next_long();
        flags = (uint8_t)next_long();
        mtu = (uint16_t)next_long();
        n = (unsigned)next_long();
        axes = (flags & WM_FLAG_MAG_PRESENT) ? 9u : 6u;
        for (k = 0; k < n * axes; ++k) s[k] = (int16_t)next_long();
        wm_core_connected(&core, mtu, 6);
        core.start.rate_hz = (uint16_t)rate;
        core.start.max_batch = 255;
        core.start.flush_ms = 1;
        core.start.mag_on = (uint8_t)(axes == 9u);
        core.odr_hz = (uint16_t)rate;
        core.streaming = 1;
        core.next_index = first;
        core.q_head_index = first;
        core.last_anchor_us = clock_us;
        core.last_status_us = clock_us;
        /* t0 such that sample `first` is stamped t_dev */
        core.t0_us = t_dev - (uint32_t)(((uint64_t)first * 1000000u + rate / 2u) / rate);
        core.overflow_flag = (uint8_t)((flags & WM_FLAG_FIFO_OVERFLOW) != 0u);
        wm_core_set_battery(&core, (flags & WM_FLAG_LOW_BATTERY) ? 10u : 90u, 0);
        if (n == 0) {
            core.anchor_due = 1u;
        }
        wm_core_push_samples(&core, s, n, axes, 0);
        wm_core_poll(&core); /* n samples fill the frame the MTU allows: it goes now */
        for (i = 0; i < n_notes && notes[i].ch != WM_CH_DATA; ++i) {
        }
        if (i == n_notes || count_ch(0, WM_CH_DATA) != 1) {
            printf("error\n");
            continue;
        }
        for (k = 0; k < notes[i].len; ++k) printf("%02x", notes[i].buf[k]);
        printf("\n");
    }
    return 0;
}

/* ---------------------------------------------------------------- main */

typedef void (*test_fn)(void);
#define T(name) {#name, name}
static const struct {
    const char *name;
    test_fn fn;
} tests[] = {
    T(test_init_role_from_flash),
    T(test_get_caps),
    T(test_bad_requests),
    T(test_start_refuses_bad_params),
    T(test_start_stream_mtu247),
    T(test_flush_sends_partial_frames),
    T(test_max_batch_caps_frames),
    T(test_compact_frames_at_mtu23),
    T(test_mtu_changes_mid_stream),
    T(test_queue_overflow_drops_oldest),
    T(test_queue_overflow_compact_sends_flagged_anchor),
    T(test_sustained_overload_is_one_episode),
    T(test_imu_fifo_loss),
    T(test_timestamp_wrap),
    T(test_restart_and_stop),
    T(test_disconnect_stops_stream),
    T(test_set_role_persists),
    T(test_time_sync),
    T(test_identify_blinks),
    T(test_buzz_patterns),
    T(test_status_and_battery),
    T(test_clip_flags),
    T(test_magnetometer_frames),
    T(test_rate_conversion_208_to_200),
    T(test_rescale),
    T(test_state_fits),
};

int main(int argc, char **argv)
{
    unsigned i;
    if (argc == 2 && strcmp(argv[1], "vectors") == 0) {
        return run_vectors();
    }
    for (i = 0; i < sizeof tests / sizeof tests[0]; ++i) {
        int before = failures;
        if (argc == 2 && strcmp(argv[1], tests[i].name) != 0) {
            continue;
        }
        tests[i].fn();
        printf("%s %s\n", failures == before ? "ok" : "FAILED", tests[i].name);
    }
    printf("%d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}

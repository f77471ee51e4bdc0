/*
 * winkmon sensor firmware core: the board-independent half of a winkmon sensor.
 *
 * The board layer (an Arduino sketch, a Zephyr app, or the Python "firmware in the loop" rig)
 * owns the radio, the IMU driver, the flash and the motor pin; it hands this core IMU samples
 * and CTRL writes, tells it about the link, and calls wm_core_poll() often. The core does the
 * protocol of ../PROTOCOL.md: CTRL requests and responses, sample numbering and device time
 * stamps, rate conversion from the IMU's output data rate, batching into DATA frames that fit
 * the ATT MTU (compact frames and anchors at small MTUs), STATUS once a second, the role kept in
 * flash, BUZZ and IDENTIFY patterns on the motor, and a bounded sample queue that drops the
 * oldest samples (and says so) when the link is slower than the IMU.
 *
 * Rules: C99, no allocation (all state lives in one wm_core_t the caller provides), no floating
 * point, no board headers, no global state; only <stdint.h>, <stddef.h> and the codec. Not
 * reentrant: call every function from one context (the main loop), never from an interrupt.
 */
#ifndef WM_CORE_H
#define WM_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "winkmon_protocol.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Samples the queue holds (each slot holds up to 9 int16 axes). 128 = 0.64 s at 200 Hz. */
#ifndef WM_CORE_QUEUE_SAMPLES
#define WM_CORE_QUEUE_SAMPLES 128u
#endif

/* Largest notification payload the core builds: ATT MTU 247 - 3. Larger MTUs are capped. */
#ifndef WM_CORE_MAX_PAYLOAD
#define WM_CORE_MAX_PAYLOAD 244u
#endif

/* Where a notification goes. */
#define WM_CH_DATA 0u
#define WM_CH_CTRL 1u
#define WM_CH_STATUS 2u

#define WM_CORE_FLASH_RECORD_BYTES 4u /* 'w' 'm' version role */
#define WM_CORE_ANCHOR_INTERVAL_US 1000000u
#define WM_CORE_STATUS_INTERVAL_US 1000000u
#define WM_CORE_LOW_BATTERY_PCT 15u

/*
 * What the core needs from the board. Every function is called from wm_core_*() calls only,
 * in the caller's context. `ctx` is passed back as given.
 */
typedef struct {
    void *ctx;
    /* Queue a notification of `len` bytes on channel WM_CH_*. Return 1 if queued, 0 if the
     * stack has no buffer free now (the core keeps the data and retries on a later poll). */
    int (*notify)(void *ctx, uint8_t channel, const uint8_t *buf, uint16_t len);
    /* The device clock, microseconds, wrapping at 2^32 (the same clock TIME_SYNC reports). */
    uint32_t (*now_us)(void *ctx);
    /* Start the IMU for `rate_hz` samples/s at these range codes (and magnetometer if mag_on);
     * write the output data rate it really runs at (>= rate_hz, e.g. 208 for 200 on an
     * LSM6DS3) to *odr_hz. Return 0 on success, nonzero if the IMU cannot do it. */
    int (*imu_start)(void *ctx, uint16_t rate_hz, uint8_t acc_range, uint8_t gyr_range,
                     uint8_t mag_on, uint16_t *odr_hz);
    void (*imu_stop)(void *ctx);
    /* Read / write the small persistent record (WM_CORE_FLASH_RECORD_BYTES). read returns 0
     * if the record was read (its contents are checked by the core), nonzero if there is none.
     * May be NULL: then the role is not persisted. */
    int (*flash_read)(void *ctx, uint8_t *buf, uint16_t len);
    int (*flash_write)(void *ctx, const uint8_t *buf, uint16_t len);
    /* Motor (or LED) on (1) / off (0). May be NULL when the board has neither. */
    void (*motor)(void *ctx, uint8_t on);
} wm_board_t;

/* What the sensor is: the fixed part of the INFO record. */
typedef struct {
    uint8_t fw_major;
    uint8_t fw_minor;
    uint8_t fw_patch;
    uint16_t capabilities; /* WM_CAP_* */
    uint16_t max_rate_hz;
    uint8_t acc_ranges_mask;
    uint8_t gyr_ranges_mask;
    uint8_t default_role;  /* role when the flash holds none */
    char imu_part[WM_INFO_IMU_PART_BYTES + 1]; /* NUL-padded */
    char serial[WM_INFO_SERIAL_BYTES + 1];     /* NUL-padded */
} wm_core_config_t;

/* Counters for tests, the bench and a debug console. All wrap. */
typedef struct {
    uint32_t samples_in;        /* samples the IMU delivered (before rate conversion) */
    uint32_t samples_queued;    /* samples after rate conversion */
    uint32_t samples_sent;
    uint32_t samples_dropped;   /* dropped from the queue (oldest first) */
    uint32_t notifications_sent; /* DATA notifications, anchors included */
    uint32_t notify_busy;       /* DATA notifications the stack refused (retried later) */
    uint32_t ctrl_requests;
    uint32_t starts;
    uint32_t buzzes;            /* BUZZ requests accepted */
    uint8_t last_buzz_pattern;
    uint16_t last_buzz_ms;
    uint32_t identifies;
    uint8_t last_identify_s;
    uint32_t flash_writes;
} wm_core_stats_t;

/* Motor pattern: up to 6 phases (on, off, on, ...), repeated. */
#define WM_CORE_PATTERN_PHASES 6u

/* The whole state. Treat as opaque; its size is fixed at compile time. */
typedef struct {
    wm_board_t board;
    wm_core_config_t config;
    wm_core_stats_t stats;
    uint8_t role;
    uint8_t connected;
    uint8_t streaming;
    uint16_t att_mtu;
    uint16_t conn_interval_1250us;
    uint8_t battery_pct;
    int16_t temperature_cC;
    uint16_t fifo_overflows; /* STATUS: overflow episodes since START (IMU FIFO or queue; a
                              * queue episode ends when the queue has drained to half) */
    uint16_t tx_dropped;     /* STATUS: DATA notifications the stack refused */
    /* stream */
    wm_start_params_t start;
    uint16_t odr_hz;
    uint32_t t0_us;           /* device time of sample 0 */
    uint32_t next_index;      /* index the next queued sample gets */
    uint16_t seq;
    uint8_t overflow_flag;    /* FIFO_OVERFLOW pending for the next full frame / anchor */
    uint8_t overflow_episode; /* dropping, and the queue has not drained to half since */
    uint8_t anchor_due;
    uint32_t last_anchor_us;
    uint32_t last_status_us;
    /* rate conversion (odr_hz -> start.rate_hz), linear interpolation in integers */
    uint8_t have_prev;
    int16_t prev[WM_MAX_AXES];
    uint32_t phase; /* position of the next output after prev, in 1/rate_hz units of odr */
    /* queue: ring of samples, head = oldest */
    int16_t queue[WM_CORE_QUEUE_SAMPLES][WM_MAX_AXES];
    uint16_t q_head;
    uint16_t q_count;
    uint32_t q_head_index; /* sample index of queue[q_head] */
    /* motor pattern */
    uint16_t pattern_ms[WM_CORE_PATTERN_PHASES];
    uint8_t pattern_len; /* number of phases (on, off, on, ...); 0: no pattern running */
    uint8_t pattern_pos;
    uint8_t pattern_repeats; /* times the whole pattern still runs, this one included */
    uint32_t pattern_t_us;
    uint8_t motor_on;
    uint8_t tx[WM_CORE_MAX_PAYLOAD];
} wm_core_t;

/* Set up the core (reads the role from flash). The board struct is copied. */
void wm_core_init(wm_core_t *core, const wm_board_t *board, const wm_core_config_t *config);

/* Link events. MTU is the negotiated ATT MTU (23 until an exchange). Disconnect stops a
 * stream, as a sensor does when its central goes away. */
void wm_core_connected(wm_core_t *core, uint16_t att_mtu, uint16_t conn_interval_1250us);
void wm_core_set_mtu(wm_core_t *core, uint16_t att_mtu);
void wm_core_disconnected(wm_core_t *core);

/* A write on CTRL: the response goes out through notify(WM_CH_CTRL) before this returns (a
 * START also sends the stream's first anchor). */
void wm_core_ctrl_write(wm_core_t *core, const uint8_t *buf, size_t len);

/*
 * IMU FIFO samples in: `n` samples of `axes` (6 or 9) int16 counts each, row-major, in the
 * order the IMU produced them at the rate it reported in imu_start, already at the START
 * ranges. `lost` is how many samples the IMU's own FIFO lost just before these (0 normally).
 * Ignored when not streaming.
 */
void wm_core_push_samples(wm_core_t *core, const int16_t *samples, unsigned n, unsigned axes,
                          unsigned lost);

/* Do what is due: send full batches and flushed partial ones, anchors, STATUS, motor steps.
 * Call it after pushing samples and at least every few ms. */
void wm_core_poll(wm_core_t *core);

/* Battery (0-100, 255 unknown) and temperature for STATUS and the LOW_BATTERY flag. */
void wm_core_set_battery(wm_core_t *core, uint8_t battery_pct, int16_t temperature_cC);

/* The INFO record (40 bytes) and STATUS record (14 bytes) as they are read over GATT. */
size_t wm_core_info(const wm_core_t *core, uint8_t *out, size_t cap);
size_t wm_core_status(const wm_core_t *core, uint8_t *out, size_t cap);

/* Current role (SET_ROLE or flash). The board uses it for its advertised name. */
uint8_t wm_core_role(const wm_core_t *core);

/*
 * For IMU drivers: rescale a raw count to the protocol's LSB (full scale / 32768) by a gain in
 * Q15 (32768 = 1.0), rounding to nearest and saturating to int16. E.g. an LSM6DS3 at +-1000
 * dps counts 35 mdps/LSB, the protocol 1000/32768 dps/LSB: gain round(1.14688 * 32768) = 37581.
 */
int16_t wm_core_rescale(int16_t raw, int32_t gain_q15);

/* Whether a stream runs (between START and STOP / disconnect). */
int wm_core_streaming(const wm_core_t *core);

/* The counters (for tests, the bench, a debug console). */
const wm_core_stats_t *wm_core_stats(const wm_core_t *core);

/* sizeof(wm_core_t), for a host binding that allocates the state itself. */
size_t wm_core_state_bytes(void);

#ifdef __cplusplus
}
#endif

#endif /* WM_CORE_H */

/*
 * wm_core_bench: the core's per-sample cost on the build machine (not for firmware).
 *
 *   wm_core_bench SAMPLES MTU [REPEATS]
 *
 * Streams SAMPLES samples at 200 Hz (START 200 Hz, max_batch 40, flush 20 ms) through a
 * board whose notify only counts bytes: every 10 ms the two samples an IMU FIFO would hold go
 * in and the core is polled, as the board's main loop does. Prints one line:
 *   samples N notifications K bytes B ns_per_sample T
 * (T: wall time per sample, best of REPEATS runs, CLOCK_MONOTONIC). Run it under
 * `valgrind --tool=callgrind` for instruction counts (bench/firmware_core.py does both).
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wm_core.h"

static uint32_t clock_us;
static unsigned long notes;
static unsigned long bytes;

static int b_notify(void *ctx, uint8_t ch, const uint8_t *buf, uint16_t len)
{
    (void)ctx;
    (void)buf;
    if (ch == WM_CH_DATA) {
        notes++;
        bytes += len;
    }
    return 1;
}

static uint32_t b_now(void *ctx)
{
    (void)ctx;
    return clock_us;
}

static int b_imu_start(void *ctx, uint16_t rate, uint8_t acc, uint8_t gyr, uint8_t mag,
                       uint16_t *odr)
{
    (void)ctx;
    (void)acc;
    (void)gyr;
    (void)mag;
    *odr = rate;
    return 0;
}

static void b_imu_stop(void *ctx)
{
    (void)ctx;
}

static wm_core_t core;

static void run(unsigned long n, uint16_t mtu)
{
    wm_board_t board = {NULL, b_notify, b_now, b_imu_start, b_imu_stop, NULL, NULL, NULL};
    wm_core_config_t cfg;
    uint8_t req[10] = {WM_OP_START, 1};
    wm_start_params_t p = {200, 2, 3, 0, 40, 20};
    size_t len;
    unsigned long k;
    int16_t s[2][6];
    memset(&cfg, 0, sizeof cfg);
    cfg.capabilities = WM_CAP_HAPTIC | WM_CAP_TIME_SYNC | WM_CAP_COMPACT_FRAMES;
    cfg.max_rate_hz = 416;
    cfg.acc_ranges_mask = 0x0F;
    cfg.gyr_ranges_mask = 0x1F;
    clock_us = 1000000u;
    notes = 0;
    bytes = 0;
    wm_core_init(&core, &board, &cfg);
    wm_core_connected(&core, mtu, 6);
    wm_start_params_encode(&p, req + 2, 8, &len);
    wm_core_ctrl_write(&core, req, sizeof req);
    for (k = 0; k < n; k += 2) {
        unsigned a;
        for (a = 0; a < 6; ++a) {
            s[0][a] = (int16_t)((k * 7u + a) & 0x3FFF);
            s[1][a] = (int16_t)(((k + 1u) * 7u + a) & 0x3FFF);
        }
        clock_us += 10000u;
        wm_core_push_samples(&core, &s[0][0], 2, 6, 0);
        wm_core_poll(&core);
    }
}

int main(int argc, char **argv)
{
    unsigned long n;
    unsigned long mtu;
    int repeats;
    int r;
    double best = 0.0;
    if (argc < 3) {
        fprintf(stderr, "usage: %s SAMPLES MTU [REPEATS]\n", argv[0]);
        return 2;
    }
    n = strtoul(argv[1], NULL, 10);
    mtu = strtoul(argv[2], NULL, 10);
    repeats = argc > 3 ? atoi(argv[3]) : 1;
    for (r = 0; r < repeats; ++r) {
        struct timespec t0, t1;
        double ns;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        run(n, (uint16_t)mtu);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) /
             (double)n;
        if (r == 0 || ns < best) {
            best = ns;
        }
    }
    printf("samples %lu notifications %lu bytes %lu ns_per_sample %.1f\n", n, notes, bytes, best);
    return 0;
}

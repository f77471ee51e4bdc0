/*
 * size_probe: a minimal firmware image around the core, for measuring flash and RAM with
 * arm-none-eabi-size (`make firmware-test`). Not a firmware: the board functions are stubs and
 * nothing runs it. It references every public function so the linker keeps the whole core,
 * and holds one wm_core_t as a real firmware would.
 */
#include "wm_core.h"

static wm_core_t core;
static volatile uint32_t fake_clock;
static volatile uint8_t sink;

static int p_notify(void *ctx, uint8_t ch, const uint8_t *buf, uint16_t len)
{
    (void)ctx;
    sink = (uint8_t)(ch + buf[0] + len);
    return 1;
}

static uint32_t p_now(void *ctx)
{
    (void)ctx;
    return fake_clock;
}

static int p_imu_start(void *ctx, uint16_t rate, uint8_t acc, uint8_t gyr, uint8_t mag,
                       uint16_t *odr)
{
    (void)ctx;
    (void)acc;
    (void)gyr;
    (void)mag;
    *odr = (uint16_t)(rate + sink);
    return 0;
}

static void p_imu_stop(void *ctx)
{
    (void)ctx;
}

static int p_flash_read(void *ctx, uint8_t *buf, uint16_t len)
{
    (void)ctx;
    (void)buf;
    (void)len;
    return 1;
}

static int p_flash_write(void *ctx, const uint8_t *buf, uint16_t len)
{
    (void)ctx;
    sink = (uint8_t)(buf[0] + len);
    return 0;
}

static void p_motor(void *ctx, uint8_t on)
{
    (void)ctx;
    sink = on;
}

int main(void)
{
    static const wm_board_t board = {0,          p_notify,     p_now,         p_imu_start,
                                     p_imu_stop, p_flash_read, p_flash_write, p_motor};
    static const wm_core_config_t config = {1, 0, 0, 0x001Au, 416, 0x0F, 0x1F, 0, "LSM6DS3",
                                            "XIAO00000001"};
    int16_t samples[6] = {0};
    uint8_t buf[WM_INFO_BYTES];
    wm_core_init(&core, &board, &config);
    wm_core_connected(&core, 247, 6);
    for (;;) {
        wm_core_ctrl_write(&core, buf, sink);
        samples[3] = wm_core_rescale(samples[3], 37581);
        wm_core_push_samples(&core, samples, 1, 6, 0);
        wm_core_poll(&core);
        wm_core_set_mtu(&core, (uint16_t)(23u + sink));
        wm_core_set_battery(&core, sink, 0);
        sink = (uint8_t)(wm_core_info(&core, buf, sizeof buf) + wm_core_status(&core, buf, 14) +
                         wm_core_role(&core) + (uint8_t)wm_core_streaming(&core) +
                         (uint8_t)wm_core_stats(&core)->starts);
        if (sink == 0xAAu) {
            wm_core_disconnected(&core);
        }
    }
}

/*
 * wm_vectors: a host test driver for the C codec. Not for firmware.
 *
 * Reads commands, one per line, from the file named on the command line (or stdin) and writes
 * one JSON object per command to stdout, in the same order, so tests can compare the C codec
 * with the vectors and with the Python codec. HEX is a hex string, or "-" for no bytes.
 *
 *   data HEX | status HEX | info HEX | ctrl_request HEX | ctrl_response HEX | start_params HEX
 *       decode; {"ok": true, fields...} or {"ok": false, "error": "<FrameErrorKind value>"}
 *   enc_data TYPE ROLE N SEQ FIRST_INDEX T_DEV_US ACC GYR FLAGS S0 S1 ... (N x 6|9 counts)
 *   enc_status BATTERY TEMP_CC FIFO_OVERFLOWS TX_DROPPED CONN_INTERVAL_1250US ATT_MTU
 *   enc_info VER MAJOR MINOR PATCH CAPS MAX_RATE ACC_MASK GYR_MASK MAG_LSB_NT ROLE IMU_HEX SER_HEX
 *   enc_ctrl_request OP REQ_ID PARAMS_HEX
 *   enc_ctrl_response OP REQ_ID STATUS DATA_HEX
 *   enc_start RATE ACC GYR MAG_ON MAX_BATCH FLUSH_MS
 *       encode; {"ok": true, "hex": "..."} or {"ok": false, "error": "..."}
 *   max_samples ATT_MTU TYPE MAG  ->  {"ok": true, "n": ...}
 *
 * A malformed command line prints {"ok": false, "error": "command"}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "winkmon_protocol.h"

#define LINE_MAX_CHARS (1u << 17)
#define BUF_MAX_BYTES (LINE_MAX_CHARS / 2u)

static char line[LINE_MAX_CHARS];
static uint8_t bytes[BUF_MAX_BYTES];
static uint8_t out[BUF_MAX_BYTES];
static int16_t samples[WM_MAX_SAMPLES * WM_MAX_AXES];

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Parse HEX (or "-") into dst; returns the byte count, or -1 if malformed. */
static long parse_hex(const char *tok, uint8_t *dst, size_t cap)
{
    size_t len;
    size_t i;
    if (tok == NULL) return -1;
    if (strcmp(tok, "-") == 0) return 0;
    len = strlen(tok);
    if (len % 2u != 0u || len / 2u > cap) return -1;
    for (i = 0; i < len / 2u; ++i) {
        int hi = hexval((unsigned char)tok[2u * i]);
        int lo = hexval((unsigned char)tok[2u * i + 1u]);
        if (hi < 0 || lo < 0) return -1;
        dst[i] = (uint8_t)(hi * 16 + lo);
    }
    return (long)(len / 2u);
}

/* Parse the next token as an integer in [lo, hi]; sets *ok to 0 on failure. */
static long next_int(long lo, long hi, int *ok)
{
    char *tok = strtok(NULL, " \t\r\n");
    char *end;
    long v;
    if (tok == NULL) {
        *ok = 0;
        return 0;
    }
    v = strtol(tok, &end, 0);
    if (*end != '\0' || v < lo || v > hi) *ok = 0;
    return v;
}

/* u32 values do not fit a 32-bit long: parse them unsigned. */
static uint32_t next_u32(int *ok)
{
    char *tok = strtok(NULL, " \t\r\n");
    char *end;
    unsigned long v;
    if (tok == NULL) {
        *ok = 0;
        return 0;
    }
    v = strtoul(tok, &end, 0);
    if (*end != '\0' || v > 0xFFFFFFFFul) *ok = 0;
    return (uint32_t)v;
}

static void print_hex(const uint8_t *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; ++i) printf("%02x", p[i]);
}

static void print_error(wm_err_t err)
{
    printf("{\"ok\": false, \"error\": \"%s\"}\n", wm_err_name(err));
}

static void print_encoded(wm_err_t err, size_t n)
{
    if (err != WM_OK) {
        print_error(err);
        return;
    }
    printf("{\"ok\": true, \"hex\": \"");
    print_hex(out, n);
    printf("\"}\n");
}

/* A NUL-padded text field as a JSON string, trailing NULs stripped (as Python's rstrip). */
static void print_text(const char *s, size_t field)
{
    size_t n = field;
    size_t i;
    while (n > 0u && s[n - 1u] == '\0') --n;
    putchar('"');
    for (i = 0; i < n; ++i) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            printf("\\%c", c);
        } else if (c < 0x20u || c >= 0x7Fu) {
            printf("\\u%04x", c);
        } else {
            putchar(c);
        }
    }
    putchar('"');
}

static void print_matrix(const wm_data_header_t *h, unsigned from, unsigned to, int si,
                         double lsb)
{
    unsigned k;
    unsigned a;
    int16_t s[WM_MAX_AXES];
    putchar('[');
    for (k = 0; k < h->n; ++k) {
        wm_data_sample(h, k, s);
        printf(k ? ", [" : "[");
        for (a = from; a < to; ++a) {
            if (a > from) printf(", ");
            if (si) {
                printf("%.17g", (double)s[a] * lsb);
            } else {
                printf("%d", (int)s[a]);
            }
        }
        putchar(']');
    }
    putchar(']');
}

static void cmd_data(const uint8_t *buf, size_t len)
{
    wm_data_header_t h;
    wm_err_t err = wm_data_decode(buf, len, &h);
    int full;
    if (err != WM_OK) {
        print_error(err);
        return;
    }
    full = h.frame_type == WM_FRAME_DATA;
    printf("{\"ok\": true, \"frame_type\": %u, \"version\": %u, \"role\": %u, \"n\": %u, "
           "\"seq\": %u, \"first_index\": %lu, ",
           (unsigned)h.frame_type, (unsigned)h.version, (unsigned)h.role, (unsigned)h.n,
           (unsigned)h.seq, (unsigned long)h.first_index);
    if (full) {
        printf("\"t_dev_us\": %lu, \"acc_range\": %u, \"gyr_range\": %u, ",
               (unsigned long)h.t_dev_us, (unsigned)h.acc_range, (unsigned)h.gyr_range);
    } else {
        printf("\"t_dev_us\": null, \"acc_range\": null, \"gyr_range\": null, ");
    }
    printf("\"flags\": %u, \"raw\": ", (unsigned)h.flags);
    print_matrix(&h, 0u, h.axes, 0, 0.0);
    if (full) {
        printf(", \"si\": {\"acc_m_s2\": ");
        print_matrix(&h, 0u, 3u, 1, wm_acc_lsb_m_s2(h.acc_range));
        printf(", \"gyr_rad_s\": ");
        print_matrix(&h, 3u, 6u, 1, wm_gyr_lsb_rad_s(h.gyr_range));
        printf(", \"mag_uT\": ");
        if (h.axes == 9u) {
            print_matrix(&h, 6u, 9u, 1, WM_MAG_LSB_UT);
        } else {
            printf("null");
        }
        putchar('}');
    }
    printf("}\n");
}

static void cmd_status(const uint8_t *buf, size_t len)
{
    wm_status_t s;
    wm_err_t err = wm_status_decode(buf, len, &s);
    if (err != WM_OK) {
        print_error(err);
        return;
    }
    printf("{\"ok\": true, \"battery_pct\": %u, \"temperature_cC\": %d, \"fifo_overflows\": %u, "
           "\"tx_dropped\": %u, \"conn_interval_1250us\": %u, \"att_mtu\": %u}\n",
           (unsigned)s.battery_pct, (int)s.temperature_cC, (unsigned)s.fifo_overflows,
           (unsigned)s.tx_dropped, (unsigned)s.conn_interval_1250us, (unsigned)s.att_mtu);
}

static void cmd_info(const uint8_t *buf, size_t len)
{
    wm_info_t i;
    wm_err_t err = wm_info_decode(buf, len, &i);
    if (err != WM_OK) {
        print_error(err);
        return;
    }
    printf("{\"ok\": true, \"protocol_version\": %u, \"fw_major\": %u, \"fw_minor\": %u, "
           "\"fw_patch\": %u, \"capabilities\": %u, \"max_rate_hz\": %u, "
           "\"acc_ranges_mask\": %u, \"gyr_ranges_mask\": %u, \"mag_lsb_nT\": %u, \"role\": %u, "
           "\"imu_part\": ",
           (unsigned)i.protocol_version, (unsigned)i.fw_major, (unsigned)i.fw_minor,
           (unsigned)i.fw_patch, (unsigned)i.capabilities, (unsigned)i.max_rate_hz,
           (unsigned)i.acc_ranges_mask, (unsigned)i.gyr_ranges_mask, (unsigned)i.mag_lsb_nT,
           (unsigned)i.role);
    print_text(i.imu_part, WM_INFO_IMU_PART_BYTES);
    printf(", \"serial\": ");
    print_text(i.serial, WM_INFO_SERIAL_BYTES);
    printf("}\n");
}

static void cmd_ctrl_request(const uint8_t *buf, size_t len)
{
    wm_ctrl_request_t r;
    wm_err_t err = wm_ctrl_request_decode(buf, len, &r);
    if (err != WM_OK) {
        print_error(err);
        return;
    }
    printf("{\"ok\": true, \"op\": %u, \"req_id\": %u, \"params\": \"", (unsigned)r.op,
           (unsigned)r.req_id);
    print_hex(r.params, r.params_len);
    printf("\"}\n");
}

static void cmd_ctrl_response(const uint8_t *buf, size_t len)
{
    wm_ctrl_response_t r;
    wm_err_t err = wm_ctrl_response_decode(buf, len, &r);
    if (err != WM_OK) {
        print_error(err);
        return;
    }
    printf("{\"ok\": true, \"op\": %u, \"req_id\": %u, \"status\": %u, \"data\": \"",
           (unsigned)r.op, (unsigned)r.req_id, (unsigned)r.status);
    print_hex(r.data, r.data_len);
    printf("\"}\n");
}

static void cmd_start_params(const uint8_t *buf, size_t len)
{
    wm_start_params_t p;
    wm_err_t err = wm_start_params_decode(buf, len, &p);
    if (err != WM_OK) {
        print_error(err);
        return;
    }
    printf("{\"ok\": true, \"rate_hz\": %u, \"acc_range\": %u, \"gyr_range\": %u, "
           "\"mag_on\": %u, \"max_batch\": %u, \"flush_ms\": %u}\n",
           (unsigned)p.rate_hz, (unsigned)p.acc_range, (unsigned)p.gyr_range,
           (unsigned)p.mag_on, (unsigned)p.max_batch, (unsigned)p.flush_ms);
}

/* Returns 0 if the command line was malformed. */
static int run_encode(const char *cmd)
{
    int ok = 1;
    size_t n_out = 0;
    wm_err_t err;
    if (strcmp(cmd, "enc_data") == 0) {
        wm_data_header_t h;
        size_t count;
        size_t i;
        memset(&h, 0, sizeof h);
        h.frame_type = (uint8_t)next_int(0, 255, &ok);
        h.role = (uint8_t)next_int(0, 255, &ok);
        h.n = (uint8_t)next_int(0, 255, &ok);
        h.seq = (uint16_t)next_int(0, 65535, &ok);
        h.first_index = next_u32(&ok);
        h.t_dev_us = next_u32(&ok);
        h.acc_range = (uint8_t)next_int(0, 255, &ok);
        h.gyr_range = (uint8_t)next_int(0, 255, &ok);
        h.flags = (uint8_t)next_int(0, 255, &ok);
        count = (size_t)h.n *
                ((h.frame_type == WM_FRAME_DATA && (h.flags & WM_FLAG_MAG_PRESENT)) ? 9u : 6u);
        for (i = 0; ok && i < count; ++i) {
            samples[i] = (int16_t)next_int(-32768, 32767, &ok);
        }
        if (!ok) return 0;
        err = wm_data_encode(&h, samples, out, sizeof out, &n_out);
    } else if (strcmp(cmd, "enc_status") == 0) {
        wm_status_t s;
        s.battery_pct = (uint8_t)next_int(0, 255, &ok);
        s.temperature_cC = (int16_t)next_int(-32768, 32767, &ok);
        s.fifo_overflows = (uint16_t)next_int(0, 65535, &ok);
        s.tx_dropped = (uint16_t)next_int(0, 65535, &ok);
        s.conn_interval_1250us = (uint16_t)next_int(0, 65535, &ok);
        s.att_mtu = (uint16_t)next_int(0, 65535, &ok);
        if (!ok) return 0;
        err = wm_status_encode(&s, out, sizeof out, &n_out);
    } else if (strcmp(cmd, "enc_info") == 0) {
        wm_info_t info;
        long n;
        memset(&info, 0, sizeof info);
        info.protocol_version = (uint8_t)next_int(0, 255, &ok);
        info.fw_major = (uint8_t)next_int(0, 255, &ok);
        info.fw_minor = (uint8_t)next_int(0, 255, &ok);
        info.fw_patch = (uint8_t)next_int(0, 255, &ok);
        info.capabilities = (uint16_t)next_int(0, 65535, &ok);
        info.max_rate_hz = (uint16_t)next_int(0, 65535, &ok);
        info.acc_ranges_mask = (uint8_t)next_int(0, 255, &ok);
        info.gyr_ranges_mask = (uint8_t)next_int(0, 255, &ok);
        info.mag_lsb_nT = (uint16_t)next_int(0, 65535, &ok);
        info.role = (uint8_t)next_int(0, 255, &ok);
        n = parse_hex(strtok(NULL, " \t\r\n"), (uint8_t *)info.imu_part, WM_INFO_IMU_PART_BYTES);
        if (n < 0) return 0;
        n = parse_hex(strtok(NULL, " \t\r\n"), (uint8_t *)info.serial, WM_INFO_SERIAL_BYTES);
        if (n < 0 || !ok) return 0;
        err = wm_info_encode(&info, out, sizeof out, &n_out);
    } else if (strcmp(cmd, "enc_ctrl_request") == 0) {
        wm_ctrl_request_t r;
        long n;
        r.op = (uint8_t)next_int(0, 255, &ok);
        r.req_id = (uint8_t)next_int(0, 255, &ok);
        n = parse_hex(strtok(NULL, " \t\r\n"), bytes, sizeof bytes);
        if (n < 0 || !ok) return 0;
        r.params = bytes;
        r.params_len = (size_t)n;
        err = wm_ctrl_request_encode(&r, out, sizeof out, &n_out);
    } else if (strcmp(cmd, "enc_ctrl_response") == 0) {
        wm_ctrl_response_t r;
        long n;
        r.op = (uint8_t)next_int(0, 255, &ok);
        r.req_id = (uint8_t)next_int(0, 255, &ok);
        r.status = (uint8_t)next_int(0, 255, &ok);
        n = parse_hex(strtok(NULL, " \t\r\n"), bytes, sizeof bytes);
        if (n < 0 || !ok) return 0;
        r.data = bytes;
        r.data_len = (size_t)n;
        err = wm_ctrl_response_encode(&r, out, sizeof out, &n_out);
    } else if (strcmp(cmd, "enc_start") == 0) {
        wm_start_params_t p;
        p.rate_hz = (uint16_t)next_int(0, 65535, &ok);
        p.acc_range = (uint8_t)next_int(0, 255, &ok);
        p.gyr_range = (uint8_t)next_int(0, 255, &ok);
        p.mag_on = (uint8_t)next_int(0, 255, &ok);
        p.max_batch = (uint8_t)next_int(0, 255, &ok);
        p.flush_ms = (uint16_t)next_int(0, 65535, &ok);
        if (!ok) return 0;
        err = wm_start_params_encode(&p, out, sizeof out, &n_out);
    } else if (strcmp(cmd, "max_samples") == 0) {
        long mtu = next_int(0, 65535, &ok);
        long type = next_int(0, 255, &ok);
        long mag = next_int(0, 1, &ok);
        if (!ok) return 0;
        printf("{\"ok\": true, \"n\": %u}\n",
               wm_data_max_samples((uint16_t)mtu, (uint8_t)type, (int)mag));
        return 1;
    } else {
        return 0;
    }
    print_encoded(err, n_out);
    return 1;
}

static int run_line(char *text)
{
    char *cmd = strtok(text, " \t\r\n");
    long n;
    if (cmd == NULL) return 0;
    if (strncmp(cmd, "enc_", 4) == 0 || strcmp(cmd, "max_samples") == 0) {
        return run_encode(cmd);
    }
    n = parse_hex(strtok(NULL, " \t\r\n"), bytes, sizeof bytes);
    if (n < 0) return 0;
    if (strcmp(cmd, "data") == 0) {
        cmd_data(bytes, (size_t)n);
    } else if (strcmp(cmd, "status") == 0) {
        cmd_status(bytes, (size_t)n);
    } else if (strcmp(cmd, "info") == 0) {
        cmd_info(bytes, (size_t)n);
    } else if (strcmp(cmd, "ctrl_request") == 0) {
        cmd_ctrl_request(bytes, (size_t)n);
    } else if (strcmp(cmd, "ctrl_response") == 0) {
        cmd_ctrl_response(bytes, (size_t)n);
    } else if (strcmp(cmd, "start_params") == 0) {
        cmd_start_params(bytes, (size_t)n);
    } else {
        return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    FILE *in = stdin;
    if (argc > 2) {
        fprintf(stderr, "usage: %s [COMMAND_FILE]\n", argv[0]);
        return 2;
    }
    if (argc == 2) {
        in = fopen(argv[1], "r");
        if (in == NULL) {
            perror(argv[1]);
            return 2;
        }
    }
    while (fgets(line, sizeof line, in) != NULL) {
        if (strchr(line, '\n') == NULL && !feof(in)) {
            fprintf(stderr, "line longer than %u characters\n", LINE_MAX_CHARS - 1u);
            return 2;
        }
        if (!run_line(line)) printf("{\"ok\": false, \"error\": \"command\"}\n");
    }
    if (in != stdin) fclose(in);
    return 0;
}

// winkmon sensor: board layer for the Seeed XIAO nRF52840 Sense.
//
// Everything the protocol says lives in the portable core (wm_core.c, tested on the host and
// in the loop); this file only wires it to the board: BLE (Adafruit Bluefruit nRF52), the
// LSM6DS3 IMU FIFO (Seeed Arduino LSM6DS3 library), the vibration motor pin, the battery ADC
// and a flash file for the role. NOT compiled in this project's CI: see docs/firmware.md for
// the libraries, the flashing steps and the motor wiring.
//
// Before building, copy the core next to this sketch (docs/firmware.md, "Build"):
//   winkmon_protocol.c/.h (firmware_protocol/c) and wm_core.c/.h (firmware_protocol/core).
//
// Rules kept here: every wm_core_* call happens in loop() (BLE callbacks run in another
// FreeRTOS task, so they only leave a note for loop()); nothing blocks for long.

#include <Adafruit_LittleFS.h>
#include <InternalFileSystem.h>
#include <LSM6DS3.h>
#include <Wire.h>
#include <bluefruit.h>

#include "wm_core.h"

using namespace Adafruit_LittleFS_Namespace;

// ---------------------------------------------------------------- board facts
static const int MOTOR_PIN = D0;            // to the transistor's base/gate (docs/firmware.md)
static const uint16_t MAX_RATE_HZ = 416;    // LSM6DS3 ODRs used: 13 .. 416 Hz
static const char ROLE_FILE[] = "/winkmon_role";
// LSM6DS3 at +-1000 dps counts 35 mdps/LSB; the protocol's LSB is 1000/32768 dps.
// Gains in Q15 per gyro range code (+-125 .. +-2000 dps): 4.375/8.75/17.5/35/70 mdps/LSB
// divided by FS/32768: all 1.14688 (the accelerometer's 0.061 mg x 2^n are nominal: 1.0).
static const int32_t GYRO_GAIN_Q15 = 37581;

// ---------------------------------------------------------------- GATT (PROTOCOL.md)
// 57a1xxxx-6d3e-4a8b-9c1f-2e5b7d9a0c31, little-endian as Bluefruit wants it.
#define WM_UUID(lo) {0x31, 0x0c, 0x9a, 0x7d, 0x5b, 0x2e, 0x1f, 0x9c, \
                     0x8b, 0x4a, 0x3e, 0x6d, (lo), 0x00, 0xa1, 0x57}
static const uint8_t UUID_SVC[16] = WM_UUID(0x01);
static const uint8_t UUID_DATA[16] = WM_UUID(0x02);
static const uint8_t UUID_CTRL[16] = WM_UUID(0x03);
static const uint8_t UUID_INFO[16] = WM_UUID(0x04);
static const uint8_t UUID_STATUS[16] = WM_UUID(0x05);

static BLEService svc(UUID_SVC);
static BLECharacteristic chData(UUID_DATA);
static BLECharacteristic chCtrl(UUID_CTRL);
static BLECharacteristic chInfo(UUID_INFO);
static BLECharacteristic chStatus(UUID_STATUS);
static BLEDis dis;
static BLEBas bas;

static LSM6DS3 imu(I2C_MODE, 0x6A);
static wm_core_t core;
static char serial[WM_INFO_SERIAL_BYTES + 1];

// Notes from the BLE task to loop().
static volatile uint8_t ctrl_len;         // 0: empty
static uint8_t ctrl_buf[24];
static volatile uint16_t conn_pending;    // a connection to report (handle + 1)
static volatile bool disconnect_pending;
static uint16_t conn_handle = BLE_CONN_HANDLE_INVALID;

// IMU stream state (loop() only)
static uint16_t imu_odr;
static uint32_t imu_last_read_us;

// ---------------------------------------------------------------- the board for the core
static int b_notify(void *, uint8_t ch, const uint8_t *buf, uint16_t len) {
  BLECharacteristic &c = ch == WM_CH_DATA ? chData : (ch == WM_CH_CTRL ? chCtrl : chStatus);
  if (ch == WM_CH_STATUS) chStatus.write(buf, len);  // the read value too
  return c.notify(buf, len) ? 1 : 0;  // false: no TX buffer free now; the core retries
}

static uint32_t b_now(void *) { return micros(); }  // wraps at 2^32 like the protocol's clock

// The IMU's output data rates, and the names the library gives the same FIFO rates.
static const uint16_t ODRS[] = {13, 26, 52, 104, 208, 416};
static const uint16_t FIFO_RATE_NAMES[] = {10, 25, 50, 100, 200, 400};

static int pick_odr(uint16_t rate) {  // index of the slowest ODR >= rate, -1 if none
  for (int i = 0; i < 6; ++i) if (ODRS[i] >= rate) return i;
  return -1;
}

static int b_imu_start(void *, uint16_t rate, uint8_t acc, uint8_t gyr, uint8_t mag,
                       uint16_t *odr) {
  static const uint16_t acc_g[] = {2, 4, 8, 16};
  static const uint16_t gyr_dps[] = {125, 250, 500, 1000, 2000};
  int k = pick_odr(rate);
  if (k < 0 || mag || acc > 3 || gyr > 4) return 1;
  uint16_t o = ODRS[k];
  imu.settings.accelEnabled = 1;
  imu.settings.gyroEnabled = 1;
  imu.settings.accelRange = acc_g[acc];
  imu.settings.gyroRange = gyr_dps[gyr];
  imu.settings.accelSampleRate = o;
  imu.settings.gyroSampleRate = o;
  imu.settings.fifoModeWord = 6;      // continuous: the oldest are overwritten, OVER_RUN set
  imu.settings.fifoSampleRate = FIFO_RATE_NAMES[k];
  imu.settings.fifoThreshold = 60;
  if (imu.begin() != 0) return 1;
  imu.fifoBegin();
  imu.fifoClear();
  imu_odr = o;
  imu_last_read_us = micros();
  *odr = o;
  return 0;
}

static void b_imu_stop(void *) {
  imu.fifoEnd();
  imu_odr = 0;
}

static int b_flash_read(void *, uint8_t *buf, uint16_t len) {
  File f(InternalFS);
  if (!f.open(ROLE_FILE, FILE_O_READ)) return 1;
  int n = f.read(buf, len);
  f.close();
  return n == len ? 0 : 1;
}

static int b_flash_write(void *, const uint8_t *buf, uint16_t len) {
  InternalFS.remove(ROLE_FILE);
  File f(InternalFS);
  if (!f.open(ROLE_FILE, FILE_O_WRITE)) return 1;
  int n = f.write(buf, len);
  f.close();
  return n == len ? 0 : 1;
}

static void b_motor(void *, uint8_t on) { digitalWrite(MOTOR_PIN, on ? HIGH : LOW); }

static const wm_board_t board = {nullptr, b_notify, b_now, b_imu_start, b_imu_stop,
                                 b_flash_read, b_flash_write, b_motor};

// ---------------------------------------------------------------- BLE callbacks (BLE task)
static void on_ctrl(uint16_t, BLECharacteristic *, uint8_t *data, uint16_t len) {
  if (ctrl_len == 0 && len > 0 && len <= sizeof ctrl_buf) {
    memcpy(ctrl_buf, data, len);
    ctrl_len = (uint8_t)len;  // one request at a time: the host waits for each response
  }
}

static void on_connect(uint16_t handle) {
  Bluefruit.Connection(handle)->requestMtuExchange(247);
  conn_pending = handle + 1;
}

static void on_disconnect(uint16_t, uint8_t) { disconnect_pending = true; }

// ---------------------------------------------------------------- helpers (loop)
static void advertise() {
  static const char letters[] = {'U', 'S', 'L'};
  char name[20];
  snprintf(name, sizeof name, "winkmon-%c-%s", letters[wm_core_role(&core)], serial + 8);
  Bluefruit.Advertising.stop();
  Bluefruit.Advertising.clearData();
  Bluefruit.ScanResponse.clearData();
  Bluefruit.setName(name);
  Bluefruit.Advertising.addFlags(BLE_GAP_ADV_FLAGS_LE_ONLY_GENERAL_DISC_MODE);
  Bluefruit.Advertising.addService(svc);   // the 128-bit UUID in the advertising PDU
  Bluefruit.ScanResponse.addName();        // legacy PDUs: the name in the scan response
  Bluefruit.Advertising.restartOnDisconnect(true);
  Bluefruit.Advertising.setInterval(32, 244);
  Bluefruit.Advertising.start(0);
}

static void refresh_info() {
  uint8_t info[WM_INFO_BYTES];
  if (wm_core_info(&core, info, sizeof info) == sizeof info) chInfo.write(info, sizeof info);
}

static uint8_t battery_pct() {
  // XIAO nRF52840: VBAT through a 1M/510k divider on PIN_VBAT, enabled by VBAT_ENABLE low.
  digitalWrite(VBAT_ENABLE, LOW);
  uint32_t mv = (uint32_t)analogRead(PIN_VBAT) * 3600u * 1510u / (1023u * 510u);
  if (mv < 3300) return 0;
  if (mv > 4200) return 100;
  return (uint8_t)((mv - 3300) / 9);  // linear 3.3 .. 4.2 V: rough, documented as such
}

// Read the IMU FIFO: words come as gx gy gz ax ay az per sample (gyro first).
static void read_fifo() {
  if (imu_odr == 0) return;
  uint16_t status = imu.fifoGetStatus();
  uint32_t now = micros();
  unsigned lost = 0;
  if (status & 0x4000) {  // OVER_RUN: the FIFO overwrote samples since the last read
    uint32_t expected = (uint32_t)((uint64_t)(now - imu_last_read_us) * imu_odr / 1000000u);
    uint16_t have = (status & 0x0FFF) / 6;
    lost = expected > have ? expected - have : 1;
  }
  imu_last_read_us = now;
  int16_t batch[16][6];
  unsigned n = 0;
  for (uint16_t words = status & 0x0FFF; words >= 6; words -= 6) {
    int16_t w[6];
    for (int i = 0; i < 6; ++i) w[i] = (int16_t)imu.fifoRead();
    batch[n][0] = w[3];
    batch[n][1] = w[4];
    batch[n][2] = w[5];
    for (int a = 0; a < 3; ++a) batch[n][3 + a] = wm_core_rescale(w[a], GYRO_GAIN_Q15);
    if (++n == 16) {
      wm_core_push_samples(&core, &batch[0][0], n, 6, lost);
      lost = 0;
      n = 0;
    }
  }
  if (n > 0 || lost > 0) wm_core_push_samples(&core, &batch[0][0], n, 6, lost);
}

// ---------------------------------------------------------------- setup / loop
void setup() {
  pinMode(MOTOR_PIN, OUTPUT);
  digitalWrite(MOTOR_PIN, LOW);
  pinMode(VBAT_ENABLE, OUTPUT);
  InternalFS.begin();

  uint32_t id = NRF_FICR->DEVICEID[0] ^ NRF_FICR->DEVICEID[1];
  snprintf(serial, sizeof serial, "XIAO%08lX", (unsigned long)id);

  wm_core_config_t cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.fw_major = 1;
  cfg.capabilities = WM_CAP_HAPTIC | WM_CAP_LED | WM_CAP_TIME_SYNC | WM_CAP_COMPACT_FRAMES;
  cfg.max_rate_hz = MAX_RATE_HZ;
  cfg.acc_ranges_mask = 0x0F;
  cfg.gyr_ranges_mask = 0x1F;
  cfg.default_role = WM_ROLE_UNASSIGNED;
  strncpy(cfg.imu_part, "LSM6DS3", WM_INFO_IMU_PART_BYTES);
  strncpy(cfg.serial, serial, WM_INFO_SERIAL_BYTES);
  wm_core_init(&core, &board, &cfg);  // reads the role file

  Bluefruit.configPrphBandwidth(BANDWIDTH_MAX);  // ATT MTU up to 247, more TX buffers
  Bluefruit.begin();
  Bluefruit.setTxPower(4);
  Bluefruit.Periph.setConnectCallback(on_connect);
  Bluefruit.Periph.setDisconnectCallback(on_disconnect);
  Bluefruit.Periph.setConnInterval(6, 12);  // 7.5 .. 15 ms

  dis.setManufacturer("winkmon (open hardware)");
  dis.setModel("XIAO nRF52840 Sense");
  dis.setSerialNum(serial);
  dis.setFirmwareRev("1.0.0");
  dis.begin();
  bas.begin();

  svc.begin();
  chData.setProperties(CHR_PROPS_NOTIFY);
  chData.setPermission(SECMODE_OPEN, SECMODE_NO_ACCESS);
  chData.setMaxLen(WM_CORE_MAX_PAYLOAD);
  chData.begin();
  chCtrl.setProperties(CHR_PROPS_WRITE | CHR_PROPS_NOTIFY);
  chCtrl.setPermission(SECMODE_OPEN, SECMODE_OPEN);
  chCtrl.setMaxLen(WM_CTRL_RESPONSE_HEADER_BYTES + WM_INFO_BYTES);
  chCtrl.setWriteCallback(on_ctrl);
  chCtrl.begin();
  chInfo.setProperties(CHR_PROPS_READ);
  chInfo.setPermission(SECMODE_OPEN, SECMODE_NO_ACCESS);
  chInfo.setFixedLen(WM_INFO_BYTES);
  chInfo.begin();
  chStatus.setProperties(CHR_PROPS_READ | CHR_PROPS_NOTIFY);
  chStatus.setPermission(SECMODE_OPEN, SECMODE_NO_ACCESS);
  chStatus.setFixedLen(WM_STATUS_BYTES);
  chStatus.begin();
  refresh_info();
  advertise();
}

void loop() {
  static uint32_t last_battery_ms = 0;
  static uint16_t mtu = 23;
  static uint8_t adv_role = 0xFF;

  if (conn_pending) {
    conn_handle = conn_pending - 1;
    conn_pending = 0;
    BLEConnection *c = Bluefruit.Connection(conn_handle);
    mtu = c->getMtu();
    wm_core_connected(&core, mtu, c->getConnectionInterval());
  }
  if (disconnect_pending) {
    disconnect_pending = false;
    conn_handle = BLE_CONN_HANDLE_INVALID;
    wm_core_disconnected(&core);
  }
  if (conn_handle != BLE_CONN_HANDLE_INVALID) {
    uint16_t m = Bluefruit.Connection(conn_handle)->getMtu();
    if (m != mtu) {
      mtu = m;
      wm_core_set_mtu(&core, m);
    }
  }
  if (ctrl_len) {
    wm_core_ctrl_write(&core, ctrl_buf, ctrl_len);
    ctrl_len = 0;
    if (wm_core_role(&core) != adv_role) {
      refresh_info();
      if (conn_handle == BLE_CONN_HANDLE_INVALID) adv_role = 0xFF;  // re-advertise below
    }
  }
  if (adv_role != wm_core_role(&core) && conn_handle == BLE_CONN_HANDLE_INVALID) {
    adv_role = wm_core_role(&core);
    advertise();
  }
  if (millis() - last_battery_ms > 10000 || last_battery_ms == 0) {
    last_battery_ms = millis();
    uint8_t pct = battery_pct();
    wm_core_set_battery(&core, pct, (int16_t)(readCPUTemperature() * 100));
    bas.write(pct);
  }
  read_fifo();
  wm_core_poll(&core);
  delay(2);  // the FIFO holds 8 KB (~680 samples at 208 Hz): 2 ms is plenty often
}

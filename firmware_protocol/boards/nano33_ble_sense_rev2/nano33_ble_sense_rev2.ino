// winkmon sensor: board layer for the Arduino Nano 33 BLE Sense Rev2 (second target).
//
// The protocol is the portable core's (wm_core.c); this file wires it to ArduinoBLE, the
// BMI270 + BMM150 (Arduino_BMI270_BMM150 library), a motor pin and the mbed KV store for the
// role. NOT compiled in this project's CI: see docs/firmware.md.
//
// Limits of this board with its stock library, stated in INFO so a host sees them:
// - the library runs the BMI270 near 100 Hz and hands out floats: max_rate_hz is 100 and the
//   float-to-count conversion happens here, outside the core (no floats in the core);
// - the magnetometer (BMM150) updates more slowly: its last value is repeated;
// - no battery charger or gauge on the board: battery is reported as unknown (255).
//
// Before building, copy the core next to this sketch (docs/firmware.md, "Build").

#include <ArduinoBLE.h>
#include <Arduino_BMI270_BMM150.h>
#include <kvstore_global_api.h>
#include <utility/ATT.h>  // ATT.mtu(): ArduinoBLE negotiates the MTU but does not publish it

#include "wm_core.h"

static const int MOTOR_PIN = D2;  // to the transistor's base/gate (docs/firmware.md)
static const char ROLE_KEY[] = "/kv/winkmon_role";
static const uint16_t IMU_ODR_HZ = 100;

#define WM_UUID(x) "57a1" x "-6d3e-4a8b-9c1f-2e5b7d9a0c31"
static BLEService svc(WM_UUID("0001"));
static BLECharacteristic chData(WM_UUID("0002"), BLENotify, WM_CORE_MAX_PAYLOAD);
static BLECharacteristic chCtrl(WM_UUID("0003"), BLEWrite | BLENotify,
                                WM_CTRL_RESPONSE_HEADER_BYTES + WM_INFO_BYTES);
static BLECharacteristic chInfo(WM_UUID("0004"), BLERead, WM_INFO_BYTES, true);
static BLECharacteristic chStatus(WM_UUID("0005"), BLERead | BLENotify, WM_STATUS_BYTES, true);

static wm_core_t core;
static char serial[WM_INFO_SERIAL_BYTES + 1];
static uint8_t acc_code, gyr_code, mag_on;
static bool imu_running;
static uint32_t imu_t0_us, imu_read;
static float mag_last[3];

// ---------------------------------------------------------------- the board for the core
static int b_notify(void *, uint8_t ch, const uint8_t *buf, uint16_t len) {
  BLECharacteristic &c = ch == WM_CH_DATA ? chData : (ch == WM_CH_CTRL ? chCtrl : chStatus);
  return c.writeValue(buf, len) ? 1 : 0;  // notifies the subscribed central
}

static uint32_t b_now(void *) { return micros(); }

static int b_imu_start(void *, uint16_t rate, uint8_t acc, uint8_t gyr, uint8_t mag,
                       uint16_t *odr) {
  if (rate > IMU_ODR_HZ || acc > 3 || gyr > 4) return 1;
  acc_code = acc;
  gyr_code = gyr;
  mag_on = mag;
  imu_running = true;
  imu_t0_us = micros();
  imu_read = 0;
  *odr = IMU_ODR_HZ;  // the core converts 100 Hz to the START rate (<= 100)
  return 0;
}

static void b_imu_stop(void *) { imu_running = false; }

static int b_flash_read(void *, uint8_t *buf, uint16_t len) {
  size_t got = 0;
  return kv_get(ROLE_KEY, buf, len, &got) == 0 && got == len ? 0 : 1;
}

static int b_flash_write(void *, const uint8_t *buf, uint16_t len) {
  return kv_set(ROLE_KEY, buf, len, 0) == 0 ? 0 : 1;
}

static void b_motor(void *, uint8_t on) { digitalWrite(MOTOR_PIN, on ? HIGH : LOW); }

static const wm_board_t board = {nullptr, b_notify, b_now, b_imu_start, b_imu_stop,
                                 b_flash_read, b_flash_write, b_motor};

// ---------------------------------------------------------------- IMU: floats to counts
static int16_t to_counts(float value, float full_scale) {
  float c = value * 32768.0f / full_scale;
  if (c >= 32767.0f) return 32767;
  if (c <= -32768.0f) return -32768;
  return (int16_t)(c >= 0 ? c + 0.5f : c - 0.5f);
}

static void read_imu() {
  static const float acc_g[] = {2, 4, 8, 16};
  static const float gyr_dps[] = {125, 250, 500, 1000, 2000};
  if (!imu_running) return;
  if (mag_on && IMU.magneticFieldAvailable()) {
    IMU.readMagneticField(mag_last[0], mag_last[1], mag_last[2]);  // uT
  }
  while (IMU.accelerationAvailable() && IMU.gyroscopeAvailable()) {
    float ax, ay, az, gx, gy, gz;
    IMU.readAcceleration(ax, ay, az);  // g
    IMU.readGyroscope(gx, gy, gz);     // deg/s
    int16_t s[9] = {
        to_counts(ax, acc_g[acc_code]),   to_counts(ay, acc_g[acc_code]),
        to_counts(az, acc_g[acc_code]),   to_counts(gx, gyr_dps[gyr_code]),
        to_counts(gy, gyr_dps[gyr_code]), to_counts(gz, gyr_dps[gyr_code]),
        to_counts(mag_last[0], 3276.8f),  to_counts(mag_last[1], 3276.8f),  // 0.1 uT LSB
        to_counts(mag_last[2], 3276.8f)};
    wm_core_push_samples(&core, s, 1, mag_on ? 9 : 6, 0);
  }
}

// ---------------------------------------------------------------- setup / loop
static void advertise() {
  static const char letters[] = {'U', 'S', 'L'};
  char name[20];
  snprintf(name, sizeof name, "winkmon-%c-%s", letters[wm_core_role(&core)], serial + 8);
  BLE.stopAdvertise();
  BLE.setLocalName(name);
  BLE.setDeviceName(name);
  BLE.setAdvertisedService(svc);
  BLE.advertise();
}

static void refresh_info() {
  uint8_t info[WM_INFO_BYTES];
  if (wm_core_info(&core, info, sizeof info) == sizeof info) chInfo.writeValue(info, sizeof info);
}

void setup() {
  pinMode(MOTOR_PIN, OUTPUT);
  digitalWrite(MOTOR_PIN, LOW);
  IMU.begin();
  snprintf(serial, sizeof serial, "NANO%08lX", (unsigned long)(NRF_FICR->DEVICEID[0]));

  wm_core_config_t cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.fw_major = 1;
  cfg.capabilities = WM_CAP_MAGNETOMETER | WM_CAP_HAPTIC | WM_CAP_LED | WM_CAP_TIME_SYNC |
                     WM_CAP_COMPACT_FRAMES;
  cfg.max_rate_hz = IMU_ODR_HZ;
  cfg.acc_ranges_mask = 0x0F;
  cfg.gyr_ranges_mask = 0x1F;
  strncpy(cfg.imu_part, "BMI270", WM_INFO_IMU_PART_BYTES);
  strncpy(cfg.serial, serial, WM_INFO_SERIAL_BYTES);
  wm_core_init(&core, &board, &cfg);

  BLE.begin();
  BLE.setConnectionInterval(6, 12);  // 7.5 .. 15 ms
  svc.addCharacteristic(chData);
  svc.addCharacteristic(chCtrl);
  svc.addCharacteristic(chInfo);
  svc.addCharacteristic(chStatus);
  BLE.addService(svc);
  refresh_info();
  advertise();
}

void loop() {
  static bool connected = false;
  static uint16_t mtu = 23;
  static uint8_t adv_role = 0xFF;
  BLE.poll();
  BLEDevice central = BLE.central();
  if (central && central.connected() && !connected) {
    connected = true;
    mtu = ATT.mtu(central.handle());  // ArduinoBLE runs the MTU exchange itself
    wm_core_connected(&core, mtu, 6);
  } else if (connected && !(central && central.connected())) {
    connected = false;
    wm_core_disconnected(&core);
    adv_role = 0xFF;  // advertise again with the current role
  }
  if (connected) {
    uint16_t m = ATT.mtu(central.handle());
    if (m != mtu) {
      mtu = m;
      wm_core_set_mtu(&core, m);
    }
  }
  if (chCtrl.written()) {
    wm_core_ctrl_write(&core, chCtrl.value(), chCtrl.valueLength());
    refresh_info();
  }
  if (!connected && adv_role != wm_core_role(&core)) {
    adv_role = wm_core_role(&core);
    advertise();
  }
  read_imu();
  wm_core_poll(&core);
}

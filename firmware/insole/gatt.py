"""The insole's GATT table and advertising data, defined once: the firmware's
BLE binding serves this table and the host looks its characteristics up here.

Standard services (readable by anyone in range):

    Running Speed and Cadence 0x1814   RSC Measurement 0x2A53 (notify),
                                       RSC Feature 0x2A54 (read),
                                       Sensor Location 0x2A5D (read: 2, in-shoe)
    Battery 0x180F                     Battery Level 0x2A19 (read, notify)
    Device Information 0x180A          manufacturer 0x2A29, model 0x2A24,
                                       serial 0x2A25 (the auth device id),
                                       firmware rev 0x2A26, hardware rev 0x2A27

The insole service and its characteristics share one random 128-bit base,
cdb5XXXX-6242-459e-bd79-2408665f7356, XXXX = 0001 for the service, then
0002 Status (read, notify), 0003 Alerts (notify), 0004 Records (notify),
0005 Control point (write, indicate). Byte layouts: protocol.py and docs/ble.md.

Access levels: OPEN (anyone), BONDED (an encrypted, bonded link: the control
point, whose handler then gates each command on the session) and SESSION (a
bonded link and an authenticated session, auth.py).

Properties use the Bluetooth bit values, which MicroPython's `bluetooth` and
Bumble share.

Advertising interval, with no central connected: fast for a while after boot
and after each disconnect, so a phone finds the insole at once, then slow,
which costs the battery almost nothing; the board config's "ble" object sets
them (`advertising_intervals`). The defaults follow Apple's accessory design
guidelines: 20 ms for the first 30 s, then one of their slower steps (152.5,
211.25, 318.75, 417.5, 546.25, 760, 852.5, 1022.5 or 1285 ms): 1022.5 ms.
"""
import struct

READ = 0x02
WRITE = 0x08
NOTIFY = 0x10
INDICATE = 0x20

OPEN = 0
BONDED = 1
SESSION = 2

APPEARANCE = 0x0441  # Running Walking Sensor: In-Shoe; in the advertising data only (the GAP
# Appearance characteristic reads 0x0000 on MicroPython's NimBLE build, which fixes it)
SENSOR_LOCATION_IN_SHOE = 2
RSC_FEATURES = 0  # no stride length, distance, walking/running status, calibration or multiple locations

_INSOLE_BASE = "cdb5%04x-6242-459e-bd79-2408665f7356"
_SIG_BASE = "0000%04x-0000-1000-8000-00805f9b34fb"


def insole_uuid(n):
    """The insole's 128-bit UUID number n (1 the service, 2.. its characteristics)."""
    return _INSOLE_BASE % n


def full_uuid(uuid):
    """The 128-bit string of a UUID: a 16-bit SIG number or an insole UUID string."""
    return _SIG_BASE % uuid if isinstance(uuid, int) else uuid


def uuid_bytes(uuid):
    """A UUID as it goes over the air: little-endian, 2 bytes (16-bit) or 16 bytes."""
    if isinstance(uuid, int):
        return struct.pack("<H", uuid)
    digits = uuid.replace("-", "")
    return bytes(int(digits[i:i + 2], 16) for i in range(30, -1, -2))


class Characteristic:
    """One characteristic: its name, uuid, property bits and access level."""

    def __init__(self, name, uuid, flags, access):
        self.name = name
        self.uuid = uuid
        self.flags = flags
        self.access = access


class Service:
    """One service: its name, uuid and characteristics."""

    def __init__(self, name, uuid, characteristics):
        self.name = name
        self.uuid = uuid
        self.characteristics = characteristics


RSC_MEASUREMENT = Characteristic("rsc_measurement", 0x2A53, NOTIFY, OPEN)
RSC_FEATURE = Characteristic("rsc_feature", 0x2A54, READ, OPEN)
SENSOR_LOCATION = Characteristic("sensor_location", 0x2A5D, READ, OPEN)
BATTERY_LEVEL = Characteristic("battery_level", 0x2A19, READ | NOTIFY, OPEN)
MANUFACTURER = Characteristic("manufacturer", 0x2A29, READ, OPEN)
MODEL = Characteristic("model", 0x2A24, READ, OPEN)
SERIAL = Characteristic("serial", 0x2A25, READ, OPEN)
FIRMWARE_REV = Characteristic("firmware_rev", 0x2A26, READ, OPEN)
HARDWARE_REV = Characteristic("hardware_rev", 0x2A27, READ, OPEN)

STATUS = Characteristic("status", insole_uuid(2), READ | NOTIFY, SESSION)
ALERTS = Characteristic("alerts", insole_uuid(3), NOTIFY, SESSION)
RECORDS = Characteristic("records", insole_uuid(4), NOTIFY, SESSION)
CONTROL = Characteristic("control", insole_uuid(5), WRITE | INDICATE, BONDED)

RSC = Service("rsc", 0x1814, (RSC_MEASUREMENT, RSC_FEATURE, SENSOR_LOCATION))
BATTERY = Service("battery", 0x180F, (BATTERY_LEVEL,))
DEVICE_INFO = Service("device_info", 0x180A, (MANUFACTURER, MODEL, SERIAL, FIRMWARE_REV, HARDWARE_REV))
INSOLE = Service("insole", insole_uuid(1), (STATUS, ALERTS, RECORDS, CONTROL))
SERVICES = (RSC, BATTERY, DEVICE_INFO, INSOLE)

ADV_FAST_MS = 20
ADV_FAST_S = 30
ADV_SLOW_MS = 1022.5
ADV_MIN_MS = 20      # the Core specification's range for a connectable advertising interval
ADV_MAX_MS = 10240

AD_MAX = 31
AD_FLAGS = 0x01
AD_UUID16_COMPLETE = 0x03
AD_UUID128_COMPLETE = 0x07
AD_SHORT_NAME = 0x08
AD_COMPLETE_NAME = 0x09
AD_APPEARANCE = 0x19
GENERAL_DISCOVERABLE_LE_ONLY = 0x06
NAME_MAX = AD_MAX - 2 - 4  # the scan response: the name and the RSC service UUID


def _ad(kind, value):
    return bytes((len(value) + 1, kind)) + value


def _name_bytes(name):
    raw = name.encode()
    if not 0 < len(raw) <= NAME_MAX:
        raise ValueError("device name %r: 1..%d bytes of UTF-8" % (name, NAME_MAX))
    return raw


def advertising_data(name):
    """The advertising payload: flags, appearance, the insole service UUID and the
    name, complete when it fits, else shortened (the scan response has it whole)."""
    raw = _name_bytes(name)
    head = (_ad(AD_FLAGS, bytes((GENERAL_DISCOVERABLE_LE_ONLY,)))
            + _ad(AD_APPEARANCE, struct.pack("<H", APPEARANCE))
            + _ad(AD_UUID128_COMPLETE, uuid_bytes(INSOLE.uuid)))
    room = AD_MAX - len(head) - 2
    if len(raw) <= room:
        return head + _ad(AD_COMPLETE_NAME, raw)
    while raw[room] & 0xC0 == 0x80:  # do not cut a UTF-8 character in two
        room -= 1
    return head + _ad(AD_SHORT_NAME, raw[:room])


def scan_response_data(name):
    """The scan response: the complete name and the RSC service UUID (for fitness apps)."""
    return _ad(AD_COMPLETE_NAME, _name_bytes(name)) + _ad(AD_UUID16_COMPLETE, uuid_bytes(RSC.uuid))


def advertising_intervals(ble):
    """(fast_us, fast_ms, slow_us) of a board config's "ble" object ({} for the
    defaults): every fast_us for fast_ms after boot or a disconnect, then every
    slow_us until a central connects. "adv_fast_ms" and "adv_slow_ms" are ms
    (ADV_MIN_MS..ADV_MAX_MS, fractions allowed, fast <= slow), "adv_fast_s"
    whole seconds (0: no fast stage); ValueError names the key that is wrong."""
    fast_us = _interval_us(ble, "adv_fast_ms", ADV_FAST_MS)
    slow_us = _interval_us(ble, "adv_slow_ms", ADV_SLOW_MS)
    fast_s = ble.get("adv_fast_s", ADV_FAST_S)
    if isinstance(fast_s, bool) or not isinstance(fast_s, int) or fast_s < 0:
        raise ValueError("config: ble.adv_fast_s %r: whole seconds, 0 or more" % (fast_s,))
    if fast_us > slow_us:
        raise ValueError("config: ble.adv_fast_ms is above ble.adv_slow_ms")
    return fast_us, fast_s * 1000, slow_us


def _interval_us(ble, key, default):
    ms = ble.get(key, default)
    if isinstance(ms, bool) or not isinstance(ms, (int, float)) or not ADV_MIN_MS <= ms <= ADV_MAX_MS:
        raise ValueError("config: ble.%s %r: ms, %d..%d" % (key, ms, ADV_MIN_MS, ADV_MAX_MS))
    return int(ms * 1000 + 0.5)

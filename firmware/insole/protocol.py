"""Byte layouts of the BLE link, both directions (little-endian; docs/ble.md has the tables).

    RSC measurement  flags u8 (0: walking, no optional fields), speed u16
                     (1/256 m/s: 0, not measured), cadence u8 (steps/min)
    Status           wear_s u32, limit_s u32 (NO_LIMIT: none), steps u32,
                     pronation_permille i16, battery_pct u8, flags u8,
                     record_seq u32 (newest closed record, 0: none): 20 bytes
    Alert event      seq u32, kind u8, day_second u32, wear_s u32, limit_s u32
    Records          one record per notification, as record.py encodes it
    Control point    request: opcode u8 + payload; response (indication):
                     0x80 | opcode, response code u8, a payload on some OKs

The firmware side never raises on what the radio brings: `decode_command`
answers a response code. The host side raises ProtocolError with a message.
"""
import struct

from insole import alerts, record
from insole.auth import MAC_LEN, NONCE_LEN
from insole.schedule import CUSTOM_PARAMS, MAX_PAIN, custom_steps


class ProtocolError(ValueError):
    """Bytes or values that do not follow the link protocol."""


U32 = 0xFFFFFFFF
NO_LIMIT = U32

ON_FOOT = 0x01
ADVISORY = 0x02
CLOCK_UNSET = 0x04
AUTHENTICATED = 0x08
SNOOZED = 0x10
SENSOR_FAULT = 0x20
STATUS_FLAGS = 0x3F  # the flag bits are contiguous: any mix of them is 0..STATUS_FLAGS

OK = 0
UNKNOWN_OPCODE = 1
BAD_LENGTH = 2
BAD_VALUE = 3
NOT_AUTHENTICATED = 4
AUTH_FAILED = 5
BUSY = 6
INTERNAL_ERROR = 7
RESPONSE_NAMES = ("OK", "UNKNOWN_OPCODE", "BAD_LENGTH", "BAD_VALUE", "NOT_AUTHENTICATED",
                  "AUTH_FAILED", "BUSY", "INTERNAL_ERROR")

SET_TIME = 0x01
SET_SCHEDULE = 0x02
REPORT_PAIN = 0x03
ACK_ALERT = 0x04
SNOOZE = 0x05
REQUEST_RECORDS = 0x06
ZERO_CALIBRATION = 0x07
AUTH_START = 0x08
AUTH_PROOF = 0x09
AUTH_END = 0x0A
FACTORY_RESET = 0x0B
RESPONSE_BIT = 0x80

MIN_UNIX_S = 1704067200  # 2024-01-01: anything earlier is a host bug (ms, or an unset clock)
TZ_MIN = (-720, 840)     # UTC-12:00 .. UTC+14:00
RESET_MAGIC = 0x54455352  # b"RSET" little-endian
PRESETS = ("standard", "gentle", "custom")
MAX_REST = 32
_CUSTOM = "<BIIIB"  # preset, start_s, step_s, cap_s, rest_every; then up to MAX_REST rest-day indices u8
_CUSTOM_SIZE = struct.calcsize(_CUSTOM)

# A layout: (struct format, ((field, lo, hi), ...)): an integer in lo..hi, or
# with hi None, exactly lo bytes.
RSC_LAYOUT = ("<BHB", (("flags", 0, 0), ("speed_256", 0, 0xFFFF), ("cadence_spm", 0, 0xFF)))
STATUS_LAYOUT = ("<IIIhBBI", (("wear_s", 0, U32), ("limit_s", 0, U32), ("steps", 0, U32),
                              ("pronation_permille", -1000, 1000), ("battery_pct", 0, 100),
                              ("flags", 0, STATUS_FLAGS), ("record_seq", 0, U32)))
ALERT_LAYOUT = ("<IBIII", (("seq", 1, U32), ("kind", alerts.PRE_WARNING, alerts.PAIN_ROLLBACK),
                           ("day_second", 0, U32), ("wear_s", 0, U32), ("limit_s", 0, U32)))

# opcode: (name, payload layout); the name is also the device's method (commands.py).
COMMANDS = {
    SET_TIME: ("set_time", ("<Ih", (("unix_s", MIN_UNIX_S, U32), ("tz_min",) + TZ_MIN))),
    SET_SCHEDULE: ("set_schedule", None),  # variable length: _parse_schedule
    REPORT_PAIN: ("report_pain", ("<B", (("severity", 1, MAX_PAIN),))),
    ACK_ALERT: ("ack_alert", ("<", ())),
    SNOOZE: ("snooze", ("<", ())),
    REQUEST_RECORDS: ("request_records", ("<I", (("after_seq", 0, U32),))),
    ZERO_CALIBRATION: ("zero_calibration", ("<", ())),
    AUTH_START: ("auth_start", ("<", ())),
    AUTH_PROOF: ("auth_proof", ("<%ds%ds" % (NONCE_LEN, MAC_LEN),
                                (("client_nonce", NONCE_LEN, None), ("mac", MAC_LEN, None)))),
    AUTH_END: ("auth_end", ("<", ())),
    FACTORY_RESET: ("factory_reset", ("<I", (("magic", RESET_MAGIC, RESET_MAGIC),))),
}

# The payload of an OK response, by opcode: device nonce, device proof, record count.
RESPONSE_FORMATS = {AUTH_START: "<%ds" % NONCE_LEN, AUTH_PROOF: "<%ds" % MAC_LEN, REQUEST_RECORDS: "<I"}


def _complaint(fields, values):
    """What is wrong with `values` for `fields`, or None."""
    for (name, lo, hi), v in zip(fields, values):
        if hi is None:
            if not isinstance(v, (bytes, bytearray)) or len(v) != lo:
                return "%s %r is not %d bytes" % (name, v, lo)
        elif not isinstance(v, int) or not lo <= v <= hi:
            return "%s %r is not an integer in %d..%d" % (name, v, lo, hi)
    return None


def _parse(layout, data):
    """(OK, values) or (BAD_LENGTH | BAD_VALUE, message); never raises on bytes."""
    fmt, fields = layout
    size = struct.calcsize(fmt)
    if len(data) != size:
        return BAD_LENGTH, "%d bytes, expected %d" % (len(data), size)
    values = struct.unpack(fmt, data)
    complaint = _complaint(fields, values)
    return (BAD_VALUE, complaint) if complaint else (OK, values)


def _pack(layout, values):
    """The bytes of `values`, range-checked first (MicroPython's struct wraps silently)."""
    fmt, fields = layout
    if len(values) != len(fields):
        raise ProtocolError("%d values for %d fields" % (len(values), len(fields)))
    complaint = _complaint(fields, values)
    if complaint:
        raise ProtocolError(complaint)
    return struct.pack(fmt, *values)


def _unpack(layout, data, what):
    """Host side: a dict of the fields, or ProtocolError."""
    code, values = _parse(layout, data)
    if code != OK:
        raise ProtocolError("%s: %s" % (what, values))
    return dict(zip([f[0] for f in layout[1]], values))


def _limit(limit_s):
    return NO_LIMIT if limit_s is None or limit_s == alerts.NO_LIMIT else limit_s


def _unlimit(fields):
    if fields["limit_s"] == NO_LIMIT:
        fields["limit_s"] = None
    return fields


def encode_rsc(cadence_spm):
    """RSC measurement: walking, speed 0 (not measured), cadence clamped to 0..255."""
    return _pack(RSC_LAYOUT, (0, 0, min(max(cadence_spm, 0), 0xFF)))


def decode_rsc(data):
    """{"flags", "speed_256", "cadence_spm"} of an RSC measurement."""
    return _unpack(RSC_LAYOUT, data, "RSC measurement")


def encode_status(wear_s, limit_s, steps, pronation_permille, battery_pct, flags, record_seq):
    """The Status value; limit_s None is no limit."""
    return _pack(STATUS_LAYOUT, (wear_s, _limit(limit_s), steps, pronation_permille, battery_pct, flags, record_seq))


def decode_status(data):
    """The Status fields (keyword arguments of encode_status)."""
    return _unlimit(_unpack(STATUS_LAYOUT, data, "status"))


def encode_alert(event):
    """An Alerts notification from AlertEngine.pop's (seq, kind, day_second, wear_s, limit_s)."""
    seq, kind, day_second, wear_s, limit_s = event
    return _pack(ALERT_LAYOUT, (seq, kind, day_second, wear_s, _limit(limit_s)))


def decode_alert(data):
    """{"seq", "kind", "day_second", "wear_s", "limit_s"} of an alert event; limit_s None: no limit."""
    return _unlimit(_unpack(ALERT_LAYOUT, data, "alert event"))


def decode_record(data):
    """The record fields of a Records notification (exactly one record)."""
    try:
        return record.decode(data)
    except record.RecordError as e:
        raise ProtocolError("records notification: %s" % e)


def _parse_schedule(payload):
    """SET_SCHEDULE: (OK, (preset, params)) or (code, message)."""
    if not payload:
        return BAD_LENGTH, "no preset"
    if payload[0] >= len(PRESETS):
        return BAD_VALUE, "preset %d outside 0..%d" % (payload[0], len(PRESETS) - 1)
    preset = PRESETS[payload[0]]
    if preset != "custom":
        return (OK, (preset, {})) if len(payload) == 1 else (BAD_LENGTH, "preset %s takes no parameters" % preset)
    if not _CUSTOM_SIZE <= len(payload) <= _CUSTOM_SIZE + MAX_REST:
        return BAD_LENGTH, "custom plan: %d bytes, expected %d..%d" % (
            len(payload), _CUSTOM_SIZE, _CUSTOM_SIZE + MAX_REST)
    _, start_s, step_s, cap_s, rest_every = struct.unpack_from(_CUSTOM, payload)
    params = {"start_s": start_s, "step_s": step_s, "cap_s": cap_s,
              "rest": tuple(payload[_CUSTOM_SIZE:]), "rest_every": rest_every}
    try:
        custom_steps(**params)
    except ValueError as e:
        return BAD_VALUE, str(e)
    return OK, (preset, params)


def decode_command(data):
    """Firmware side: (opcode, code, args) of a control-point write; never raises on bytes.

    args is the tuple of the payload's values when code is OK (SET_SCHEDULE:
    (preset, params for schedule.custom_steps)), else a message for people.
    """
    if not data:
        return 0, BAD_LENGTH, "empty write"
    opcode = data[0]
    command = COMMANDS.get(opcode)
    if command is None:
        return opcode, UNKNOWN_OPCODE, "unknown opcode 0x%02x" % opcode
    payload = bytes(data[1:])
    code, args = _parse_schedule(payload) if opcode == SET_SCHEDULE else _parse(command[1], payload)
    return opcode, code, args


def encode_command(opcode, *args):
    """Host side: the control-point write of a command, checked as the device checks it.

    SET_SCHEDULE takes (preset, params): params a dict with start_s, step_s,
    cap_s and optionally rest (indices) or rest_every, for "custom" only.
    """
    command = COMMANDS.get(opcode)
    if command is None:
        raise ProtocolError("unknown opcode 0x%02x" % opcode)
    name, layout = command
    try:
        payload = _pack_schedule(*args) if opcode == SET_SCHEDULE else _pack(layout, args)
    except (ProtocolError, TypeError) as e:
        raise ProtocolError("%s: %s" % (name, e))
    data = bytes((opcode,)) + payload
    _, code, parsed = decode_command(data)
    if code != OK:
        raise ProtocolError("%s: %s" % (name, parsed))
    return data


def _pack_schedule(preset, params=None):
    if preset not in PRESETS:
        raise ProtocolError("unknown preset %r (%s)" % (preset, ", ".join(PRESETS)))
    if preset != "custom":
        if params:
            raise ProtocolError("preset %s takes no parameters" % preset)
        return bytes((PRESETS.index(preset),))
    params = params or {}
    for key in params:
        if key not in CUSTOM_PARAMS:
            raise ProtocolError("unknown custom plan parameter %r (%s)" % (key, ", ".join(CUSTOM_PARAMS)))
    for key in CUSTOM_PARAMS[:3]:
        if key not in params:
            raise ProtocolError("a custom plan needs %s" % key)
    rest = tuple(params.get("rest", ()))
    values = (PRESETS.index(preset), params["start_s"], params["step_s"], params["cap_s"],
              params.get("rest_every", 0)) + rest
    layout = (_CUSTOM + "B" * len(rest),
              (("preset", 0, len(PRESETS) - 1), ("start_s", 0, U32), ("step_s", 0, U32), ("cap_s", 0, U32),
               ("rest_every", 0, 0xFF)) + (("rest", 0, 0xFF),) * len(rest))
    return _pack(layout, values)


def encode_response(opcode, code, value=None):
    """Firmware side: the indication answering `opcode`; `value` fills an OK's payload."""
    head = bytes((RESPONSE_BIT | opcode, code))
    fmt = RESPONSE_FORMATS.get(opcode)
    if code != OK or fmt is None:
        return head
    return head + struct.pack(fmt, value)


def decode_response(data):
    """Host side: (opcode, code, value) of an indication; value is the OK payload's
    (device nonce, device proof, record count) or None."""
    if len(data) < 2 or not data[0] & RESPONSE_BIT:
        raise ProtocolError("control-point response: %r is not 0x80|opcode, code" % bytes(data))
    opcode = data[0] & ~RESPONSE_BIT
    code = data[1]
    if code >= len(RESPONSE_NAMES):
        raise ProtocolError("control-point response: unknown response code %d" % code)
    fmt = RESPONSE_FORMATS.get(opcode) if code == OK else None
    payload = bytes(data[2:])
    size = struct.calcsize(fmt) if fmt else 0
    if len(payload) != size:
        raise ProtocolError("control-point response to 0x%02x (%s): %d payload bytes, expected %d"
                            % (opcode, RESPONSE_NAMES[code], len(payload), size))
    return opcode, code, struct.unpack(fmt, payload)[0] if fmt else None

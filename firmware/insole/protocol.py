"""Byte layouts of the BLE link and the device's side of them (little-endian; docs/ble.md has the tables).

    RSC measurement  flags u8 (0: walking, no optional fields), speed u16
                     (1/256 m/s: 0, not measured), cadence u8 (steps/min)
    Status           wear_s u24, limit_s u24 (STATUS_NO_LIMIT: none), steps u24,
                     samples_lost u24 (since power-up, saturating), pronation_permille
                     i16, battery_pct u8, flags u8 (the layout's version in bits
                     6-7), record_seq u32 (newest closed record, 0: none): 20 bytes
    Alert event      seq u32, kind u8, day_second u32, wear_s u32, limit_s u32
                     (ALERT_NO_LIMIT: none)
    Records          a stream of units, record (record.py) + its 8-byte tag,
                     each unit cut into notifications of at most MTU - 3 bytes
    Control point    request: opcode u8 + payload (+ counter and tag in a
                     session, auth.py); response (indication): 0x80 | opcode,
                     response code u8, a payload on some OKs (+ tag)

Every value the device sends fits MTU - 3 at the smallest MTU, 23, except a
record unit (63 bytes), which `record_chunks` cuts. A layout's format may hold
"T", a 3-byte unsigned field (struct has none): it packs as "HB", its low 16
bits then its high 8, as record.py's 3-byte fields do. The device side never
raises on what the radio brings: `decode_command` answers a response code.
The host's codecs are in host_tools (insole_host/codec.py): a board does not
load them.
"""
import struct

from insole import alerts, record
from insole.auth import NONCE_LEN, PROOF_LEN, TAG_LEN
from insole.clock import UTC_OFFSET_MIN
from insole.schedule import MAX_PAIN, custom_steps


class ProtocolError(ValueError):
    """Bytes or values that do not follow the link protocol."""


U32 = 0xFFFFFFFF
U24 = record.U24
STATUS_NO_LIMIT = U24  # limit_s of the Status: no limit today
ALERT_NO_LIMIT = U32   # limit_s of an alert event: no limit

# Status flags (record.py has the record's own table)
STATUS_ON_FOOT = 0x01
STATUS_ADVISORY = 0x02
STATUS_CLOCK_UNSET = 0x04
STATUS_AUTHENTICATED = 0x08
STATUS_SNOOZED = 0x10
STATUS_SENSOR_FAULT = 0x20
STATUS_FLAGS = 0x3F  # the flag bits are contiguous: any mix of them is 0..STATUS_FLAGS
# The flags byte's bits 6-7 say which Status layout this is: 1, this one. The first
# layout (u32 wear_s, limit_s and steps, no samples_lost) had 0 there.
STATUS_VERSION = 1
STATUS_VERSION_SHIFT = 6
STATUS_VERSION_AT = 15  # the flags byte's offset, the same in every layout
_STATUS_VERSION_BITS = STATUS_VERSION << STATUS_VERSION_SHIFT

OK = 0
UNKNOWN_OPCODE = 1
BAD_LENGTH = 2
BAD_VALUE = 3
NOT_AUTHENTICATED = 4
AUTH_FAILED = 5
BUSY = 6
INTERNAL_ERROR = 7
BAD_TAG = 8       # in a session: the command's tag does not verify (changed, reflected, or none)
BAD_COUNTER = 9   # in a session: the tag is good but the counter is not above the last taken (replayed, reordered)
RESPONSE_NAMES = ("OK", "UNKNOWN_OPCODE", "BAD_LENGTH", "BAD_VALUE", "NOT_AUTHENTICATED",
                  "AUTH_FAILED", "BUSY", "INTERNAL_ERROR", "BAD_TAG", "BAD_COUNTER")

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
PAYLOAD_MIN = 20         # MTU 23 - 3: every value but a record unit fits in this
UNIT_SIZE = record.SIZE + TAG_LEN
RESET_MAGIC = 0x54455352  # b"RSET" little-endian
PRESETS = ("standard", "gentle", "custom")
MAX_REST = 32
CUSTOM_FORMAT = "<BIIIB"  # preset, start_s, step_s, cap_s, rest_every; then up to MAX_REST rest-day indices u8
CUSTOM_SIZE = struct.calcsize(CUSTOM_FORMAT)

# A layout: (struct format, ((field, lo, hi), ...)): an integer in lo..hi, or
# with hi None, exactly lo bytes.
RSC_LAYOUT = ("<BHB", (("flags", 0, 0), ("speed_256", 0, 0xFFFF), ("cadence_spm", 0, 0xFF)))
STATUS_LAYOUT = ("<TTTThBBI", (("wear_s", 0, U24), ("limit_s", 0, U24), ("steps", 0, U24),
                               ("samples_lost", 0, U24), ("pronation_permille", -1000, 1000),
                               ("battery_pct", 0, 100),
                               ("flags", _STATUS_VERSION_BITS, _STATUS_VERSION_BITS | STATUS_FLAGS),
                               ("record_seq", 0, U32)))
ALERT_LAYOUT = ("<IBIII", (("seq", 1, U32), ("kind", alerts.PRE_WARNING, alerts.PAIN_ROLLBACK),
                           ("day_second", 0, U32), ("wear_s", 0, U32), ("limit_s", 0, U32)))

# opcode: (name, payload layout); what each does is commands.DISPATCH.
COMMANDS = {
    SET_TIME: ("set_time", ("<Ih", (("unix_s", MIN_UNIX_S, U32), ("tz_min",) + UTC_OFFSET_MIN))),
    SET_SCHEDULE: ("set_schedule", None),  # variable length: _parse_schedule
    REPORT_PAIN: ("report_pain", ("<B", (("severity", 1, MAX_PAIN),))),
    ACK_ALERT: ("ack_alert", ("<", ())),
    SNOOZE: ("snooze", ("<", ())),
    REQUEST_RECORDS: ("request_records", ("<I", (("after_seq", 0, U32),))),
    ZERO_CALIBRATION: ("zero_calibration", ("<", ())),
    AUTH_START: ("auth_start", ("<", ())),
    AUTH_PROOF: ("auth_proof", ("<%ds%ds" % (NONCE_LEN, PROOF_LEN),
                                (("client_nonce", NONCE_LEN, None), ("proof", PROOF_LEN, None)))),
    AUTH_END: ("auth_end", ("<", ())),
    FACTORY_RESET: ("factory_reset", ("<I", (("magic", RESET_MAGIC, RESET_MAGIC),))),
}

# The payload of an OK response, by opcode: device nonce, device proof, record count.
RESPONSE_FORMATS = {AUTH_START: "<%ds" % NONCE_LEN, AUTH_PROOF: "<%ds" % PROOF_LEN, REQUEST_RECORDS: "<I"}


def _complaint(fields, values):
    """What is wrong with `values` for `fields`, or None."""
    for (name, lo, hi), v in zip(fields, values):
        if hi is None:
            if not isinstance(v, (bytes, bytearray)) or len(v) != lo:
                return "%s %r is not %d bytes" % (name, v, lo)
        elif not isinstance(v, int) or not lo <= v <= hi:
            return "%s %r is not an integer in %d..%d" % (name, v, lo, hi)
    return None


def _struct(fmt):
    return fmt.replace("T", "HB")


def size(layout):
    """The bytes of a layout's value."""
    return struct.calcsize(_struct(layout[0]))


def parse(layout, data):
    """(OK, values) or (BAD_LENGTH | BAD_VALUE, message); never raises on bytes."""
    fmt, fields = layout
    n = size(layout)
    if len(data) != n:
        return BAD_LENGTH, "%d bytes, expected %d" % (len(data), n)
    values = struct.unpack(_struct(fmt), data)
    if "T" in fmt:
        joined, i = [], 0
        for kind in fmt[1:]:
            joined.append(values[i] | values[i + 1] << 16 if kind == "T" else values[i])
            i += 2 if kind == "T" else 1
        values = tuple(joined)
    complaint = _complaint(fields, values)
    return (BAD_VALUE, complaint) if complaint else (OK, values)


def pack(layout, values):
    """The bytes of `values`, range-checked first (MicroPython's struct wraps silently)."""
    fmt, fields = layout
    if len(values) != len(fields):
        raise ProtocolError("%d values for %d fields" % (len(values), len(fields)))
    complaint = _complaint(fields, values)
    if complaint:
        raise ProtocolError(complaint)
    if "T" in fmt:
        split = []
        for kind, v in zip(fmt[1:], values):
            split += (v & 0xFFFF, v >> 16) if kind == "T" else (v,)
        values = split
    return struct.pack(_struct(fmt), *values)


def _limit(limit_s, none):
    return none if limit_s is None or limit_s == alerts.RING_NO_LIMIT else limit_s


def encode_rsc(cadence_spm):
    """RSC measurement: walking, speed 0 (not measured), cadence clamped to 0..255."""
    return pack(RSC_LAYOUT, (0, 0, min(max(cadence_spm, 0), 0xFF)))


def encode_status(wear_s, limit_s, steps, samples_lost, pronation_permille, battery_pct, flags, record_seq):
    """The Status value; limit_s None is no limit; `flags` the STATUS_* bits (the
    layout's version is added here)."""
    return pack(STATUS_LAYOUT, (wear_s, _limit(limit_s, STATUS_NO_LIMIT), steps, samples_lost,
                                pronation_permille, battery_pct, flags + _STATUS_VERSION_BITS, record_seq))


def encode_alert(event):
    """An Alerts notification from AlertEngine.pop's (seq, kind, day_second, wear_s, limit_s)."""
    seq, kind, day_second, wear_s, limit_s = event
    return pack(ALERT_LAYOUT, (seq, kind, day_second, wear_s, _limit(limit_s, ALERT_NO_LIMIT)))


def _parse_schedule(payload):
    """SET_SCHEDULE: (OK, (preset, params)) or (code, message)."""
    if not payload:
        return BAD_LENGTH, "no preset"
    if payload[0] >= len(PRESETS):
        return BAD_VALUE, "preset %d outside 0..%d" % (payload[0], len(PRESETS) - 1)
    preset = PRESETS[payload[0]]
    if preset != "custom":
        return (OK, (preset, {})) if len(payload) == 1 else (BAD_LENGTH, "preset %s takes no parameters" % preset)
    if not CUSTOM_SIZE <= len(payload) <= CUSTOM_SIZE + MAX_REST:
        return BAD_LENGTH, "custom plan: %d bytes, expected %d..%d" % (
            len(payload), CUSTOM_SIZE, CUSTOM_SIZE + MAX_REST)
    _, start_s, step_s, cap_s, rest_every = struct.unpack_from(CUSTOM_FORMAT, payload)
    params = {"start_s": start_s, "step_s": step_s, "cap_s": cap_s,
              "rest": tuple(payload[CUSTOM_SIZE:]), "rest_every": rest_every}
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
    code, args = _parse_schedule(payload) if opcode == SET_SCHEDULE else parse(command[1], payload)
    return opcode, code, args


def encode_response(opcode, code, value=None):
    """Firmware side: the indication answering `opcode`; `value` fills an OK's payload."""
    head = bytes((RESPONSE_BIT | opcode, code))
    fmt = RESPONSE_FORMATS.get(opcode)
    if code != OK or fmt is None:
        return head
    return head + struct.pack(fmt, value)


def starts_stream(answer):
    """Is `answer` the OK to a REQUEST_RECORDS (its records follow)?"""
    return len(answer) > 1 and answer[0] == RESPONSE_BIT | REQUEST_RECORDS and answer[1] == OK


def record_chunks(unit, payload_max):
    """A record unit (record + tag) as the notifications that carry it: slices of at
    most `payload_max` bytes (MTU - 3), a unit never sharing one with the next."""
    return [unit[i:i + payload_max] for i in range(0, len(unit), payload_max)]

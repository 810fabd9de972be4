"""The daily summary record: a fixed-size, versioned, CRC-checked binary codec.

One record per day, little-endian, SIZE (55) bytes; the last 4 bytes are the
CRC-32 (the zip/binascii one) of all the bytes before them. The firmware
writes it and the host decodes it with this same module. `encode` writes
version 2; `decode` reads versions 1 and 2 (records a version 1 firmware
left on flash, or in a host's database).

    off size field             unit
      0   1  version           (= 2)
      1   1  flags             FLAG_CLOCK_UNSET | FLAG_PAIN | FLAG_ADVISORY | FLAG_REST_DAY | FLAG_PARTIAL
      2   4  seq               1, 2, ... with no gaps
      6   2  day               days since 2000-01-01; days since boot with FLAG_CLOCK_UNSET
      8   3  wear_s            s
     11   3  limit_s           s, the limit at the day's close (0 = no limit); after a
                               pain report, the rolled-back one
     14   3  planned_s         s, the day's limit as planned at its start, before any
                               rollback (0 = no limit)
     17   3  steps             steps (saturating)
     20   2  cadence_x10       steps/min x10
     22   2  mli_median        per-mille (signed): medial-lateral index
     24   2  cpei_median       per-mille (signed)
     26   2  supinated         steps with MLI < -150 (saturating)
     28   2  neutral           steps with -150 <= MLI <= +150 (saturating)
     30   2  pronated          steps with MLI > +150 (saturating)
     32  16  peaks_dn          8 x stance peak force per channel, dN (saturating)
     48   1  flagged_channels  bitmask: channel stuck high, without signal or saturating (health.py)
     49   1  alerts            alerts fired that day
     50   1  pain              pain severity (0 = none)
     51   4  crc               CRC-32 of bytes 0..50

The 3-byte fields are unsigned, little-endian (up to 16777215). Version 1 had
wear_s, limit_s and steps as 4 bytes at 8, 12 and 16 and no planned_s: it
decodes with planned_s = limit_s, the only limit it kept.

The +-150 per-mille MLI thresholds are our working thresholds for this sensor
layout (see pronation.py for the index), not clinical cut-offs.

A checkpoint of an unfinished day is a record too, with FLAG_PARTIAL set.
`DaySummary` turns the day's per-step indices into a record's fields without
allocating per step.
"""
import struct
from array import array

VERSION = 2
VERSIONS = (1, 2)

FLAG_CLOCK_UNSET = 0x01
FLAG_PAIN = 0x02
FLAG_ADVISORY = 0x04
FLAG_REST_DAY = 0x08
FLAG_PARTIAL = 0x10
KNOWN_FLAGS = FLAG_CLOCK_UNSET | FLAG_PAIN | FLAG_ADVISORY | FLAG_REST_DAY | FLAG_PARTIAL
RECORD_NO_LIMIT = 0  # limit_s of a day without a limit (a rest day's limit 0 has FLAG_REST_DAY)

SUPINATED_BELOW = -150
PRONATED_ABOVE = 150
CHANNELS = 8
U24 = 0xFFFFFF

# A 3-byte field packs as "HB": its low 16 bits, then its high 8.
_BODY = "<BBIH" + "HB" * 4 + "HhhHHH8HBBB"
_BODY_V1 = "<BBIHIIIHhhHHH8HBBB"
_BODY_SIZE = struct.calcsize(_BODY)
SIZE = _BODY_SIZE + 4
_WIDE = ("wear_s", "limit_s", "planned_s", "steps")  # the 3-byte fields of version 2

# (name, lowest, highest) in the order of the layout; peaks_dn is handled apart.
_RANGES = (
    ("flags", 0, 0xFF),
    ("seq", 1, 0xFFFFFFFF),
    ("day", 0, 0xFFFF),
    ("wear_s", 0, U24),
    ("limit_s", 0, U24),
    ("planned_s", 0, U24),
    ("steps", 0, U24),
    ("cadence_x10", 0, 0xFFFF),
    ("mli_median", -1000, 1000),
    ("cpei_median", -1000, 1000),
    ("supinated", 0, 0xFFFF),
    ("neutral", 0, 0xFFFF),
    ("pronated", 0, 0xFFFF),
)
_HEAD_V1 = ("flags", "seq", "day", "wear_s", "limit_s", "steps", "cadence_x10", "mli_median", "cpei_median",
            "supinated", "neutral", "pronated")
_TAIL = (
    ("flagged_channels", 0, 0xFF),
    ("alerts", 0, 0xFF),
    ("pain", 0, 0xFF),
)
FIELDS = ("version",) + tuple(r[0] for r in _RANGES) + ("peaks_dn",) + tuple(r[0] for r in _TAIL)


class RecordError(ValueError):
    """Bytes that are not a valid record: wrong length, unknown version or bad CRC."""


def crc32_bitwise(data, crc=0):
    """CRC-32 (reflected, polynomial 0xEDB88320), bit by bit: binascii.crc32 without a table."""
    crc ^= 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0xEDB88320 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


try:
    from binascii import crc32
except ImportError:  # a CircuitPython build without binascii.crc32
    crc32 = crc32_bitwise


def _checked(fields, name, lo, hi):
    if name not in fields:
        raise ValueError("record field %s is missing" % name)
    v = fields[name]
    if not isinstance(v, int) or not lo <= v <= hi:
        raise ValueError("record field %s must be an integer in %d..%d, not %r" % (name, lo, hi, v))
    return v


def encode(fields):
    """The record bytes (version 2) of a fields dict (keys FIELDS; `version` may be left
    out, and `planned_s` too on a day whose limit did not change: it is limit_s then)."""
    for name in fields:
        if name not in FIELDS:
            raise ValueError("unknown record field %s" % name)
    if fields.get("version", VERSION) != VERSION:
        raise ValueError("record field version must be %d" % VERSION)
    if "planned_s" not in fields and "limit_s" in fields:
        fields = dict(fields)
        fields["planned_s"] = fields["limit_s"]
    values = [VERSION]
    for name, lo, hi in _RANGES:
        v = _checked(fields, name, lo, hi)
        if name in _WIDE:
            values.append(v & 0xFFFF)
            values.append(v >> 16)
        else:
            values.append(v)
    if values[1] & ~KNOWN_FLAGS:
        raise ValueError("record field flags has unknown bits 0x%02x" % (values[1] & ~KNOWN_FLAGS))
    peaks = fields.get("peaks_dn")
    if peaks is None or len(peaks) != CHANNELS:
        raise ValueError("record field peaks_dn must hold %d values" % CHANNELS)
    for p in peaks:
        if not isinstance(p, int) or not 0 <= p <= 0xFFFF:
            raise ValueError("record field peaks_dn values must be integers in 0..65535, not %r" % p)
        values.append(p)
    for name, lo, hi in _TAIL:
        values.append(_checked(fields, name, lo, hi))
    buf = bytearray(SIZE)
    struct.pack_into(_BODY, buf, 0, *values)
    struct.pack_into("<I", buf, _BODY_SIZE, crc32(memoryview(buf)[:_BODY_SIZE]) & 0xFFFFFFFF)
    return bytes(buf)


def decode(data):
    """The fields dict of record bytes (version 1 or 2); RecordError if they are not a valid record."""
    if len(data) and data[0] not in VERSIONS:
        raise RecordError("unknown record version %d (this codec reads versions 1 and %d)" % (data[0], VERSION))
    if len(data) != SIZE:
        raise RecordError("a record is %d bytes, not %d" % (SIZE, len(data)))
    mv = memoryview(data)
    (stored,) = struct.unpack_from("<I", mv, _BODY_SIZE)
    if crc32(mv[:_BODY_SIZE]) & 0xFFFFFFFF != stored:
        raise RecordError("record CRC mismatch: corrupt or torn")
    version = data[0]
    v = struct.unpack_from(_BODY if version == VERSION else _BODY_V1, mv, 0)
    out = {"version": version}
    i = 1
    for name, _, _ in _RANGES:
        if version == VERSION and name in _WIDE:
            out[name] = v[i] | v[i + 1] << 16
            i += 2
        elif version == VERSION or name in _HEAD_V1:
            out[name] = v[i]
            i += 1
    if version != VERSION:
        out["planned_s"] = out["limit_s"]
    out["peaks_dn"] = list(v[i:i + CHANNELS])
    i += CHANNELS
    for name, _, _ in _TAIL:
        out[name] = v[i]
        i += 1
    return out


HIST_STEP = 10
HIST_BINS = 2000 // HIST_STEP + 1


def _bin(permille):
    """Histogram bin of a per-mille value, clamped to -1000..1000, rounded to HIST_STEP."""
    if permille < -1000:
        permille = -1000
    elif permille > 1000:
        permille = 1000
    return (permille + 1000 + HIST_STEP // 2) // HIST_STEP


def _median(hist, n):
    """Lower median of a histogram holding n values (0 when empty), at the bin's centre."""
    if n <= 0:
        return 0
    rank = (n - 1) // 2
    seen = 0
    for i in range(HIST_BINS - 1):
        seen += hist[i]
        if seen > rank:
            return i * HIST_STEP - 1000
    return 1000


def _saturate(v, hi):
    return 0 if v < 0 else hi if v > hi else v


class DaySummary:
    """One day's step statistics: histograms for the medians, counters for the distribution.

    Medians come from 10 per-mille bins, so they are within 5 per-mille of the
    exact lower median. `add_step` allocates nothing.
    """

    def __init__(self):
        self.mli_hist = array("I", [0] * HIST_BINS)
        self.cpei_hist = array("I", [0] * HIST_BINS)
        self.reset()

    def reset(self):
        """Start an empty day."""
        for i in range(HIST_BINS):
            self.mli_hist[i] = 0
            self.cpei_hist[i] = 0
        self.steps = 0
        self.supinated = 0
        self.neutral = 0
        self.pronated = 0

    def add_step(self, mli, cpei):
        """Count one step with its medial-lateral index and CPEI (per-mille)."""
        self.steps += 1
        if mli < SUPINATED_BELOW:
            self.supinated += 1
        elif mli > PRONATED_ABOVE:
            self.pronated += 1
        else:
            self.neutral += 1
        self.mli_hist[_bin(mli)] += 1
        self.cpei_hist[_bin(cpei)] += 1

    def mli_median(self):
        """The day's median medial-lateral index so far, per-mille (0 before the first step)."""
        return _median(self.mli_hist, self.steps)

    def close(self, seq, day, wear_s, limit_s=0, alerts=0, cadence_x10=0, pain=0, flags=0, health=None,
              planned_s=None):
        """The day's record fields; `health` (a ChannelHealth) gives each channel's
        stance-peak average (its EMA at this moment) and the flagged channels (`flagged`);
        `planned_s` is the day's limit before any rollback (None: limit_s)."""
        peaks = [0] * CHANNELS
        flagged = 0
        if health is not None:
            for ch in range(min(health.channels, CHANNELS)):
                peaks[ch] = _saturate(health.peak_avg[ch], 0xFFFF)
                if health.flagged(ch):
                    flagged |= 1 << ch
        return {
            "version": VERSION, "flags": flags, "seq": seq, "day": day,
            "wear_s": _saturate(wear_s, U24), "limit_s": limit_s,
            "planned_s": limit_s if planned_s is None else planned_s,
            "steps": _saturate(self.steps, U24), "cadence_x10": cadence_x10,
            "mli_median": self.mli_median(),
            "cpei_median": _median(self.cpei_hist, self.steps),
            "supinated": _saturate(self.supinated, 0xFFFF),
            "neutral": _saturate(self.neutral, 0xFFFF),
            "pronated": _saturate(self.pronated, 0xFFFF),
            "peaks_dn": peaks, "flagged_channels": flagged,
            "alerts": _saturate(alerts, 0xFF), "pain": pain,
        }

    def snapshot(self, seq, day, wear_s, **more):
        """A checkpoint of the unfinished day: the record bytes of `close(...)` with FLAG_PARTIAL set."""
        fields = self.close(seq, day, wear_s, **more)
        fields["flags"] |= FLAG_PARTIAL
        return encode(fields)

    def restore(self, data):
        """Continue from a checkpoint's bytes; returns its fields (wear, alerts... for the caller).

        The counters come back exactly; each histogram comes back as all the
        checkpoint's steps in its median's bin, so later medians weigh the
        time before the checkpoint by its median.
        """
        fields = decode(data)
        self.reset()
        self.steps = fields["steps"]
        self.supinated = fields["supinated"]
        self.neutral = fields["neutral"]
        self.pronated = fields["pronated"]
        self.mli_hist[_bin(fields["mli_median"])] = self.steps
        self.cpei_hist[_bin(fields["cpei_median"])] = self.steps
        return fields

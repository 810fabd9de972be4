"""Readers for the recorded force data the virtual insole replays.

- gaitpdb (PhysioNet "Gait in Parkinson's Disease"): text, 19 columns per
  line at 100 Hz: time, 8 left forces, 8 right forces (N), 2 totals.
- gaitndd (PhysioNet "Gait Dynamics in Neuro-Degenerative Disease"): one
  FSR per foot, raw 12-bit counts in WFDB format 212 at 300 Hz.

Files are read CHUNK bytes at a time, so a day-long recording costs no more
memory than a walk. A file that cannot be a recording (missing, a folder,
binary where text is due) raises RecordingError with one line saying so.
Bad lines are not fatal: each reader yields samples and records what it
skipped in `errors` (the first MAX_ERRORS, as (line or sample number,
message)) and `error_count` (all of them).
"""
import os
from array import array

GAITPDB_FS = 100
GAITPDB_COLUMNS = 19
GAITNDD_FS = 300
WFDB_INVALID = -2048
CHUNK = 4096
MAX_ERRORS = 20
S_IFDIR = 0x4000


class RecordingError(ValueError):
    """The file is not a recording this reader can replay (one line, for the user)."""


def check_file(path):
    """Raise RecordingError unless `path` is an existing file."""
    try:
        mode = os.stat(path)[0]
    except OSError:
        raise RecordingError("%s: no such file" % path)
    if mode & S_IFDIR:
        raise RecordingError("%s: is a directory, not a recording" % path)


def _text_problem(chunk):
    """Offset of the first byte a text recording cannot hold (NUL, control, non-ASCII), or -1."""
    for i in range(len(chunk)):
        b = chunk[i]
        if b >= 0x80 or (b < 32 and b not in (9, 10, 13)):
            return i
    return -1


class _Errors:
    """Skipped input: the first MAX_ERRORS kept, all counted."""

    def __init__(self):
        self.errors = []
        self.error_count = 0

    def _skip(self, at, message):
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append((at, message))


def text_lines(path):
    """(line number, bytes) for every line of a text file, read CHUNK bytes at a time.

    Raises RecordingError if the file's first chunk is not text."""
    check_file(path)
    with open(path, "rb") as f:
        tail = b""
        number = 0
        first = True
        while True:
            chunk = f.read(CHUNK)
            if first:
                bad = _text_problem(chunk)
                if bad >= 0:
                    raise RecordingError("%s: not a text recording (byte 0x%02x at offset %d)" % (path, chunk[bad], bad))
                first = False
            if not chunk:
                break
            lines = (tail + chunk).split(b"\n")
            tail = lines.pop()
            for line in lines:
                number += 1
                yield number, line
        if tail:
            yield number + 1, tail


class GaitpdbReader(_Errors):
    """Yields the 8 forces (N) of one foot per line of a gaitpdb file."""

    def __init__(self, path, foot):
        if foot not in ("L", "R"):
            raise ValueError("foot must be L or R, not %r" % foot)
        _Errors.__init__(self)
        self.path = path
        self.first = 1 if foot == "L" else 9

    def __iter__(self):
        first = self.first
        for number, line in text_lines(self.path):
            cols = line.split()
            if not cols:
                continue
            if len(cols) != GAITPDB_COLUMNS:
                self._skip(number, "expected %d columns, found %d" % (GAITPDB_COLUMNS, len(cols)))
                continue
            try:
                forces = [float(c) for c in cols[first:first + 8]]
            except ValueError:
                self._skip(number, "not a number: %r" % line.strip()[:60])
                continue
            yield forces

def decode_212(data):
    """Decode WFDB format 212: every 3 bytes carry two 12-bit signed samples."""
    out = []
    for i in range(0, len(data) - 2, 3):
        b0 = data[i]
        b1 = data[i + 1]
        b2 = data[i + 2]
        a = b0 | ((b1 & 0x0F) << 8)
        b = b2 | ((b1 >> 4) << 8)
        out.append(a - 4096 if a >= 2048 else a)
        out.append(b - 4096 if b >= 2048 else b)
    return out


def read_header(path):
    """Parse a WFDB .hea: {'fs': Hz, 'samples': n, 'signals': {file: (first, checksum)}}."""
    with open(path) as f:
        lines = [ln.split() for ln in f if ln.strip() and not ln.startswith("#")]
    head = lines[0]
    info = {"fs": int(float(head[2])), "samples": int(head[3]), "signals": {}}
    for cols in lines[1:]:
        info["signals"][cols[0]] = (int(cols[5]), int(cols[6]))
    return info


class GaitnddReader(_Errors):
    """Yields one foot's FSR reading per sample as a 1-channel 16-bit count, in
    one array reused for every sample (as a board's ADC buffer is).

    Invalid samples (-2048) hold the previous reading and are listed in `errors`.
    """

    def __init__(self, signal_path):
        _Errors.__init__(self)
        self.path = signal_path

    def _chunks(self):
        check_file(self.path)
        with open(self.path, "rb") as f:
            while True:
                data = f.read(3 * CHUNK)
                if not data:
                    break
                yield decode_212(data)

    def _first_valid(self):
        for samples in self._chunks():
            for v in samples:
                if v != WFDB_INVALID:
                    return v
        return 0

    def __iter__(self):
        last = self._first_valid()
        buf = array("H", [0])
        i = 0
        for samples in self._chunks():
            for v in samples:
                if v == WFDB_INVALID:
                    self._skip(i, "invalid sample")
                    v = last
                last = v
                buf[0] = (v + 2048) << 4
                i += 1
                yield buf

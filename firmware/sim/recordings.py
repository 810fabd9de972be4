"""Readers for the recorded force data the virtual insole replays.

- gaitpdb (PhysioNet "Gait in Parkinson's Disease"): text, 19 columns per
  line at 100 Hz: time, 8 left forces, 8 right forces (N), 2 totals.
- gaitndd (PhysioNet "Gait Dynamics in Neuro-Degenerative Disease"): one
  FSR per foot, raw 12-bit counts in WFDB format 212 at 300 Hz.

Bad lines are not fatal: each reader yields samples and records what it
skipped in `errors` as (line or sample number, message).
"""
from array import array

GAITPDB_FS = 100
GAITPDB_COLUMNS = 19
GAITNDD_FS = 300
WFDB_INVALID = -2048


class GaitpdbReader:
    """Yields the 8 forces (N) of one foot per line of a gaitpdb file."""

    def __init__(self, path, foot):
        if foot not in ("L", "R"):
            raise ValueError("foot must be L or R, not %r" % foot)
        self.path = path
        self.first = 1 if foot == "L" else 9
        self.errors = []

    def __iter__(self):
        first = self.first
        with open(self.path) as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                cols = line.split()
                if len(cols) != GAITPDB_COLUMNS:
                    self.errors.append((number, "expected %d columns, found %d" % (GAITPDB_COLUMNS, len(cols))))
                    continue
                try:
                    forces = [float(c) for c in cols[first:first + 8]]
                except ValueError:
                    self.errors.append((number, "not a number: %r" % line.strip()[:60]))
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


class GaitnddReader:
    """Yields one foot's FSR reading per sample as a 1-channel 16-bit count, in
    one array reused for every sample (as a board's ADC buffer is).

    Invalid samples (-2048) hold the previous reading and are listed in `errors`.
    """

    def __init__(self, signal_path):
        self.path = signal_path
        self.errors = []

    def __iter__(self):
        with open(self.path, "rb") as f:
            samples = decode_212(f.read())
        last = 0
        for v in samples:
            if v != WFDB_INVALID:
                last = v
                break
        buf = array("H", [0])
        for i, v in enumerate(samples):
            if v == WFDB_INVALID:
                self.errors.append((i, "invalid sample"))
                v = last
            last = v
            buf[0] = (v + 2048) << 4
            yield buf

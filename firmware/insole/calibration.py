"""ADC counts to force, per channel, through a piecewise-linear table.

Counts are 16-bit (0..65535, as `ADC.read_u16()` and CircuitPython's
`AnalogIn.value` give them, whatever the ADC's real resolution). Each channel
has a table of 65 forces in deci-newtons at counts 0, 1024, ..., 65536 above
that channel's zero; between breakpoints the force is interpolated linearly
on the Q4 reading with shifts only, rounded to the nearest dN.

The zero (the count at no load) is kept in Q4 counts; it is 0 until
`set_zero` takes an unloaded reading (the pipeline decides when a reading is
unloaded). A reading below it pulls it halfway down at once (no force is
negative, so the zero sits at each channel's lowest level); while the foot is
off the insole `track_zero` lets it follow slow drift upward.

Each channel's `peak` force and whether it was `clipped` are kept until the
health check reads and clears them once a step.

A reading at the top rail (RAIL_HI) is off the table: it reads the table's
top (its peak too) and marks the channel `clipped`. A rail under a foot is clipping, not a
fault: a loaded, standing heel may sit there for minutes. A shorted FSR or a
broken measuring resistor reads the rail with no foot on the insole too, so
a channel is `stuck` once it has spent `stuck_s` seconds on the rail while
the channels below the rail carried under FOOT_DN together (the foot off,
or in swing); a stuck channel reads 0 N until it leaves the rail, so the
other channels still work.
"""
from array import array

from insole.compat import const, zeros
from insole.wear import LOADED_DN

_SEG_SHIFT = const(10)
BREAKPOINTS = const(65)
ZERO_FRAC = const(4)
ZERO_SEG_SHIFT = const(14)  # ZERO_FRAC + _SEG_SHIFT: Q4 counts -> table segment
ZERO_SEG_MASK = const(16383)  # Q4 counts -> position inside the segment
ZERO_SEG_HALF = const(8192)   # rounds the interpolation to the nearest dN
_ZERO_SHIFT = const(8)      # upward zero drift: EMA with weight 1/256 per unloaded sample
FORCE_LIMIT_DN = const(32000)  # tables are clamped to this, which bounds every sum downstream
RAIL_HI = const(65472)      # top 64 counts of 16 bits (the top 4 LSB of a 12-bit ADC)
STUCK_S = 3
FOOT_DN = LOADED_DN  # load on the channels below the rail that means a foot is on the insole


def divider_table(f_half_dn, f_max_dn):
    """Table for an FSR above a measuring resistor: V/Vcc = F / (F + F_half).

    The FSR's conductance grows about linearly with force, so the divider
    output saturates; inverted, F = F_half * v / (1 - v), clamped to f_max.
    """
    if not 0 < f_max_dn <= FORCE_LIMIT_DN or f_half_dn <= 0:
        raise ValueError("divider table: need 0 < f_max <= %d dN and f_half > 0" % FORCE_LIMIT_DN)
    table = []
    for i in range(BREAKPOINTS):
        v = i << _SEG_SHIFT
        table.append(f_max_dn if v >= 65536 else min(f_max_dn, f_half_dn * v // (65536 - v)))
    return table


def linear_table(f_max_dn):
    """Table for a sensor whose counts are proportional to force."""
    return [f_max_dn * i // (BREAKPOINTS - 1) for i in range(BREAKPOINTS)]


class Calibration:
    """Per-channel counts -> deci-newtons, with zero tracking and rail detection."""

    def __init__(self, tables, fs_hz, stuck_s=STUCK_S):
        n = len(tables)
        self.channels = n
        self.lut = zeros("h", n * BREAKPOINTS)
        for ch in range(n):
            t = tables[ch]
            if len(t) != BREAKPOINTS:
                raise ValueError("calibration: channel %d table has %d points, expected %d" % (ch, len(t), BREAKPOINTS))
            base = ch * BREAKPOINTS
            for i in range(BREAKPOINTS):
                if not 0 <= t[i] <= FORCE_LIMIT_DN or (i and t[i] < t[i - 1]):
                    raise ValueError("calibration: channel %d table must rise within 0..%d dN" % (ch, FORCE_LIMIT_DN))
                self.lut[base + i] = t[i]
        self.zero_q4 = zeros("i", n)
        self.stuck_samples = stuck_s * fs_hz
        self.rail_run = zeros("i", n)  # samples on the rail, saturating at stuck_samples
        self.footless = zeros("i", n)  # of those, samples with no foot on the other channels
        self.railing = False
        self.clipped = zeros("b", n)
        self.peak = zeros("i", n)

    def to_force(self, counts, force):
        """Fill `force` (dN; an array('i') of `channels`) from `counts`; return their sum."""
        lut = self.lut
        zero = self.zero_q4
        peak = self.peak
        total = 0
        base = 0
        ch = 0
        for c in counts:
            d = (c << ZERO_FRAC) - zero[ch]
            if c >= RAIL_HI:
                total += self._at_rail(ch, force)
            elif d <= 0:
                force[ch] = 0
                if d:
                    zero[ch] += d >> 1
            else:
                b = base + (d >> ZERO_SEG_SHIFT)
                f = lut[b]
                f += ((lut[b + 1] - f) * (d & ZERO_SEG_MASK) + ZERO_SEG_HALF) >> ZERO_SEG_SHIFT
                force[ch] = f
                total += f
                if f > peak[ch]:
                    peak[ch] = f
            base += BREAKPOINTS
            ch += 1
        if self.railing:
            self._rail_runs(counts, force)
        return total

    def _at_rail(self, ch, force):
        """Channel ch reads the top rail: its force (the table's top, or 0 once stuck)."""
        self.clipped[ch] = 1
        self.railing = True
        f = 0 if self.footless[ch] >= self.stuck_samples else self.lut[ch * BREAKPOINTS + BREAKPOINTS - 1]
        force[ch] = f
        if f > self.peak[ch]:
            self.peak[ch] = f
        return f

    def _rail_runs(self, counts, force):
        """After a sample with a channel on the rail (runs only then): count each
        railed channel's run, and the part of it with no foot on the channels
        below the rail; end the runs of the channels that left it."""
        foot = 0
        for ch in range(self.channels):
            if counts[ch] < RAIL_HI:
                foot += force[ch]
        railing = False
        stuck = self.stuck_samples
        rail = self.rail_run
        footless = self.footless
        for ch in range(self.channels):
            if counts[ch] < RAIL_HI:
                rail[ch] = 0
                footless[ch] = 0
                continue
            railing = True
            if rail[ch] < stuck:
                rail[ch] += 1
            if foot < FOOT_DN and footless[ch] < stuck:
                footless[ch] += 1
        self.railing = railing

    def stuck(self, ch):
        """True while the channel is pinned at the top rail with no foot to explain it, and reads 0 N."""
        return self.footless[ch] >= self.stuck_samples

    def on_rail(self, ch):
        """True while the channel's latest reading was on the top rail."""
        return self.rail_run[ch] > 0

    def track_zero(self, counts):
        """Foot off the insole: let each channel's zero follow slow drift upward."""
        zero = self.zero_q4
        for ch in range(self.channels):
            z = zero[ch]
            zero[ch] = z + (((counts[ch] << ZERO_FRAC) - z) >> _ZERO_SHIFT)

    def set_zero(self, counts):
        """Zero every channel at its current reading (guided zeroing, foot off).

        A channel at the top rail keeps its zero: that reading is a fault, not a zero.
        `counts` is the ADC buffer every later sample comes in: an array of
        16-bit items, one per channel (the viper loop reads it as such).
        """
        if not isinstance(counts, array) or len(counts) != self.channels or len(bytes(counts)) != 2 * self.channels:
            raise ValueError("calibration: samples must be a 16-bit array('H') of %d channels, got %r"
                             % (self.channels, counts))
        for ch in range(self.channels):
            if counts[ch] < RAIL_HI:
                self.zero_q4[ch] = counts[ch] << ZERO_FRAC

    def load_zero(self, zero_q4):
        """Every channel's zero as kept (Q4 counts, one per channel) before a reset."""
        if len(zero_q4) != self.channels:
            raise ValueError("calibration: %d zeros kept, %d channels" % (len(zero_q4), self.channels))
        for ch in range(self.channels):
            self.zero_q4[ch] = zero_q4[ch]


def fastest():
    """The quickest Calibration this runtime runs: ViperCalibration where
    MicroPython's viper emitter is there, else the plain class (CPython,
    CircuitPython, a port or .mpy without native code). The per-sample
    results are the same; only the speed tells them apart."""
    try:
        from insole.calibration_viper import ViperCalibration
        return ViperCalibration
    except (ImportError, SyntaxError, ValueError):
        return Calibration


def from_config(cfg, fs_hz):
    """Calibration for a board config: explicit `tables`, or the FSR model's."""
    n = len(cfg["sensors"])
    if "tables" in cfg:
        return fastest()(cfg["tables"], fs_hz)
    fsr = cfg["fsr"]
    model = fsr.get("model")
    if model == "divider":
        t = divider_table(int(fsr["f_half_n"] * 10), int(fsr["f_max_n"] * 10))
    elif model == "linear":
        t = linear_table(int(fsr["f_max_n"] * 10))
    else:
        raise ValueError("calibration: unknown fsr model %r (divider or linear)" % model)
    return fastest()([t] * n, fs_hz)

"""A modelled FSR + voltage divider + ADC, turning newtons into 16-bit counts.

The divider gives V/Vcc = F / (F + F_half); the ADC adds its offset, noise
(triangular, +-`noise` LSB) and quantisation at `bits`, and the reading is
scaled to 16 bits the way `ADC.read_u16()` does. Noise comes from a seeded
xorshift generator, so a replay is repeatable.

Faults break one channel: `open` reads 0 (a broken wire), `short` reads full
scale (FSR pins bridged), and `saturate` reads full scale whenever the sensor
carries more than SATURATE_N and normally below it: an FSR that bottoms out
under ordinary load (its spacer crushed or its ink worn through, so its
layers short once pressed). With no series resistor in this divider, that
is the ADC's rail for most of the channel's stance.
"""

DEFAULT_OFFSETS = (6, 10, 3, 8, 12, 5, 9, 4)
SATURATE_N = 50


class FsrAdc:
    """Forces (N) in, counts out, for `channels` sensors."""

    def __init__(self, channels, f_half_n=400, bits=12, noise=2, offsets=DEFAULT_OFFSETS, seed=1):
        self.channels = channels
        self.f_half = f_half_n
        self.bits = bits
        self.top = (1 << bits) - 1
        self.noise = noise
        self.offsets = [offsets[i % len(offsets)] for i in range(channels)]
        self.state = seed or 1
        self.faults = {}

    def fault(self, ch, kind):
        """Break a channel: 'open', 'short' or 'saturate' (see the module's docstring)."""
        if kind not in ("open", "short", "saturate"):
            raise ValueError("unknown fault %r (open, short or saturate)" % kind)
        if not 0 <= ch < self.channels:
            raise ValueError("fault on channel %d: channels are 0..%d" % (ch, self.channels - 1))
        self.faults[ch] = kind

    def _rand(self):
        x = self.state
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self.state = x
        return x

    def _jitter(self):
        n = self.noise
        if not n:
            return 0
        return self._rand() % (n + 1) - self._rand() % (n + 1)

    def read(self, forces, counts):
        """Fill `counts` (16-bit) from `forces` (N, one per channel)."""
        shift = 16 - self.bits
        for ch in range(self.channels):
            f = forces[ch]
            kind = self.faults.get(ch)
            c = int(self.top * f / (f + self.f_half) + 0.5) if f > 0 else 0
            c += self.offsets[ch] + self._jitter()
            c = 0 if c < 0 else (self.top if c > self.top else c)
            if kind == "open":
                c = 0
            elif kind == "short" or kind == "saturate" and f > SATURATE_N:
                c = self.top
            counts[ch] = (c << shift) | (c >> (self.bits - shift))

    def force_of(self, counts_u16, ch):
        """The model's exact inverse (N) for a reading, offset removed: for tests."""
        c = (counts_u16 >> (16 - self.bits)) - self.offsets[ch]
        v = c / self.top
        return self.f_half * v / (1 - v) if 0 < v < 1 else 0.0

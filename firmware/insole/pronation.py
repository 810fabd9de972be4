"""Per-step pronation index from the sensor map, in integer per-mille.

Over the samples of one stance (forces F_i in dN):

Medial-lateral impulse index (the primary index, `mli`):

    MLI = 1000 * (sum_t sum_{i medial} F_i - sum_t sum_{i lateral} F_i)
               / (sum_t sum_{i medial or lateral} F_i)

Centre-of-pressure excursion index (`cpei`, CPEI-style): with the centre of
pressure P_t = sum_i F_i (x_i, y_i) / sum_i F_i and the heel-toe line from H
to T of length L (by default from the rearmost to the foremost central
sensor), the signed distance of P_t from the line, positive on the medial
side, is d_t = ((P_t - H) x (T - H)) / L and its position along the line is
p_t = ((P_t - H) . (T - H)) / L. Each sample's distance weighs by its load
F_t = sum_i F_i times a ramp along the line, so the midfoot and forefoot part
of the path counts and near-unloaded samples (a toe off's last 20-50 N,
where FSR noise moves the CoP most) cannot swing a step:

    w_t  = clamp(p_t - L/3, 0, L/3)            (Q2: quarter mm)
    CPEI = 1000 * (sum_t w_t F_t d_t / sum_t w_t F_t) / W

with W the map's medial-lateral width; if the path never passes L/3, the
load-weighted mean of d_t is used. Samples whose total is under _COP_MIN_DN
(20 N) are left out of the path.

Both are positive when the foot loads its medial side (pronation) and negative
toward the lateral side (supination).

Arithmetic: d_t and p_t are linear in the forces, so each sensor's distance
from the heel-toe line and its position along it are worked out once, in Q2
mm (quarter mm), and a sample costs two weighted sums; d_t comes out in Q4
mm, p_t and w_t in Q2, each rounded to nearest. A sample's weight w_t F_t
is taken in units of 2**WEIGHT_SHIFT, and whenever a weighted sum passes
2**28 both sums of that mean are halved (and later weights with them), so
they stay inside a 31-bit small int over any stance. The MLI sums each
channel's impulse over the stance and applies the sides at its end.
"""
from array import array

from insole.compat import const
from insole.gait import RING, median

_COP_MIN_DN = const(200)  # the CoP of a total under 20 N is noise: such samples are left out
NORM_LIMIT = 1 << 18  # 2000 * 2**18 stays inside a 31-bit small int
WEIGHT_SHIFT = 12     # w_t * F_t (<= 453 * 512000) >> 12 <= 56 625; times |d_t| (<= 5 440): < 2**29
SUM_LIMIT = 1 << 28   # a weighted sum past this halves (with its weights): sums stay under 2**30
_RAMP = const(0)      # PronationIndex.sums: the ramp-and-load-weighted mean of d_t ...
_LOAD = const(3)      # ... and the load-weighted one, used when the path never passes L/3


def permille(num, den):
    """round(1000 * num / den) for |num| <= den, without leaving 31 bits."""
    while den >= NORM_LIMIT:
        num >>= 1
        den >>= 1
    if den <= 0:
        return 0
    q = 2000 * num // den
    return (q + 1) >> 1


class PronationIndex:
    """Accumulates one stance at a time; keeps the recent per-step values."""

    def __init__(self, smap):
        n = smap.channels
        self.channels = n
        self.side = array("b", smap.side)
        hx, hy = smap.heel
        tx, ty = smap.toe
        lx = tx - hx
        ly = ty - hy
        length = 1
        while length * length < lx * lx + ly * ly:
            length += 1
        # each sensor across the heel-toe line (+ medial) and along it, Q2 mm, rounded
        self.across = array("h", [0] * n)
        self.along = array("h", [0] * n)
        for ch in range(n):
            dx = smap.x[ch] - hx
            dy = smap.y[ch] - hy
            self.across[ch] = (((dx * ly - dy * lx) << 3) + length) // (2 * length)
            self.along[ch] = (((dx * lx + dy * ly) << 3) + length) // (2 * length)
        self.third4 = (length << 2) // 3
        self.width = smap.width_mm
        self.impulse = array("i", [0] * n)
        self.sums = array("i", [0] * 6)   # the two weighted means of d_t: _RAMP (w_t F_t) and _LOAD (F_t)
        self.mli = array("h", [0] * RING)
        self.cpei = array("h", [0] * RING)
        self._scratch = array("i", [0] * RING)
        self.steps = 0
        self.begin()

    def begin(self):
        """Start a new stance."""
        impulse = self.impulse
        for ch in range(self.channels):
            impulse[ch] = 0
        sums = self.sums
        for k in range(6):
            sums[k] = 0

    def add(self, force, total):
        """Add one stance sample of forces (dN) and their total."""
        impulse = self.impulse
        across = self.across
        along = self.along
        sd = 0
        sp = 0
        ch = 0
        for f in force:
            if f:
                impulse[ch] += f
                sd += across[ch] * f
                sp += along[ch] * f
            ch += 1
        if total < _COP_MIN_DN:
            return
        d = ((sd // total) << 2) + (((sd % total) << 2) + (total >> 1)) // total  # Q4 mm, rounded
        self._weigh(_LOAD, total >> 4, d)
        w = (sp + (total >> 1)) // total - self.third4   # Q2 mm, rounded
        if w > 0:
            if w > self.third4:
                w = self.third4
            self._weigh(_RAMP, (w * total) >> WEIGHT_SHIFT, d)

    def _weigh(self, k, u, d):
        """Add distance d with weight u to the weighted mean at sums[k:k + 3]
        (sum of u * d, sum of u, times halved), halving both sums past SUM_LIMIT."""
        sums = self.sums
        u >>= sums[k + 2]
        num = sums[k] + u * d
        den = sums[k + 1] + u
        if den > SUM_LIMIT or not -SUM_LIMIT < num < SUM_LIMIT:
            num >>= 1
            den >>= 1
            sums[k + 2] += 1
        sums[k] = num
        sums[k + 1] = den

    def end(self):
        """Close the stance: store and return its MLI (per-mille)."""
        i = self.steps % RING
        ml = 0
        both = 0
        for ch in range(self.channels):
            s = self.side[ch]
            if s:
                ml += s * self.impulse[ch]
                both += self.impulse[ch]
        self.mli[i] = permille(ml, both)
        sums = self.sums
        k = _RAMP if sums[_RAMP + 1] else _LOAD
        num = sums[k]
        den = sums[k + 1]
        while den >= NORM_LIMIT:   # den * width * 16 must stay in 31 bits (width <= 240 mm)
            num >>= 1
            den >>= 1
        self.cpei[i] = permille(num, den * self.width * 16)   # 0 when no sample reached 20 N
        self.steps += 1
        return self.mli[i]

    def median_mli(self):
        """Median MLI of the recent steps (0 before the first step)."""
        k = self.steps if self.steps < RING else RING
        return median(self.mli, k, self._scratch) if k else 0

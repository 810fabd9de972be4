"""Heel strike and toe off at force onset and offset, confirmed by the loading.

Timing follows the gait-analysis convention for initial contact from force:
force onset, the first sample of the loaded run above a small absolute
threshold over the unloaded level; toe off is the last sample above the
matching offset threshold. The detector reads the foot's total force F (dN)
sample by sample, unfiltered (a filter's lag would move the events):

    onset     F rises above   floor + onset_dn  + r * onset_q10 / 1024
    confirm   F then reaches  lo + r * confirm_q10 / 1024  (default ~8 % of r)
    toe off   F falls to      floor + offset_dn + r * offset_q10 / 1024

`floor` is the unloaded level of the latest swing: its lowest F, following
slow drift upward (while no onset is pending) as `lo` does. `lo` and `hi` are
the long envelope: `lo` drops to every new minimum and, except during a
step's stance, rises toward F with time constant ~2**decay samples (~5 s; by
at least 1 dN a sample, so it never stalls short of F); `hi` jumps to every
new peak and decays toward F the same way; r = hi - lo. The envelope only
rejects what is not walking: an onset becomes a heel strike, dated at the
onset, once the loading that follows passes the confirm level with
r >= `min_range_dn` (100 N). An onset that falls back under the onset level
for more than MAX_DIP_S (a light touch that lifts again) is dropped, and so
is one that never loads: noise, a shoe on a shelf or a foot resting while seated.

With `fall_q10` set, toe off waits for the unloading to end: after the offset
level, the stance goes on while F still falls by more than r * fall_q10 / 1024
a sample. A single FSR (gaitndd's foot switch) relaxes slowly after the foot
lifts, so its offset level must sit high, on the steep part of the fall.

The defaults (onset 18 N, offset 15 N, no range terms) suit an insole of
several sensors, whose total falls to zero in swing; a board config may set
others (`gait` in firmware/config/), as gaitndd's foot switch does.

A stance must last MIN_STANCE_S..MAX_STANCE_S and a swing at least
MIN_SWING_S; a longer stance is standing, not a step. Completed steps go into
preallocated rings (no allocation per sample).
"""
from array import array

from insole.compat import const

NONE = 0
HEEL_STRIKE = 1
TOE_OFF = 2

_ONSET_DN = const(180)
_OFFSET_DN = const(150)
_CONFIRM_Q10 = const(80)
_MIN_STANCE_S_X100 = const(15)
MAX_STANCE_S_X100 = 250
_MIN_SWING_S_X100 = const(10)
_MAX_DIP_S_X100 = const(4)
_MAX_STRIDE_S_X100 = const(400)
RING = 32


class GaitDetector:
    """Step events for one foot; all times are sample indices of the day."""

    def __init__(self, fs_hz, min_range_dn=1000, onset_dn=_ONSET_DN, offset_dn=_OFFSET_DN,
                 onset_q10=0, offset_q10=0, confirm_q10=_CONFIRM_Q10, fall_q10=0):
        if not (0 < offset_dn and 0 < onset_dn and 0 <= onset_q10 < confirm_q10 < 1024
                and 0 <= offset_q10 < confirm_q10 and 0 <= fall_q10 < 1024):
            raise ValueError("gait thresholds: need onset, offset > 0 dN; 0 <= onset, offset < confirm < 1024 "
                             "and 0 <= fall < 1024 (Q10)")
        self.fs = fs_hz
        self.onset_dn = onset_dn
        self.offset_dn = offset_dn
        self.onset_q10 = onset_q10
        self.offset_q10 = offset_q10
        self.confirm_q10 = confirm_q10
        self.fall_q10 = fall_q10
        self.min_range = min_range_dn
        self.decay = 1
        while (1 << self.decay) < fs_hz * 5:
            self.decay += 1
        self.min_stance = fs_hz * _MIN_STANCE_S_X100 // 100
        self.max_stance = fs_hz * MAX_STANCE_S_X100 // 100
        self.min_swing = fs_hz * _MIN_SWING_S_X100 // 100
        self.max_stride = fs_hz * _MAX_STRIDE_S_X100 // 100
        self.max_dip = fs_hz * _MAX_DIP_S_X100 // 100
        self.heel = array("i", [0] * RING)
        self.toe = array("i", [0] * RING)
        self.stride = array("i", [0] * RING)
        self._scratch = array("i", [0] * RING)
        self.start_day()

    def start_day(self):
        """Reset the day's counters (sample clock, steps, strides)."""
        self.n = 0
        self.hi = 0
        self.lo = 0
        self.floor = 0
        self.last = -1          # while unloading, the last force (-1: not unloading)
        self.stance = True      # unknown start: wait for a toe off before counting
        self.valid = False      # a stance that began with a real heel strike (never in swing)
        self.onset = -1         # sample of a loading not yet confirmed as a step (-1: none)
        self.dip = 0            # samples the pending loading has fallen back under the onset level
        self.since = 0          # samples in the current phase
        self.last_heel = -1
        self.steps = 0
        self.strides = 0

    def update(self, f):
        """Take one total-force sample; return NONE, HEEL_STRIKE or TOE_OFF."""
        n = self.n
        self.n = n + 1
        since = self.since + 1
        self.since = since
        hi = self.hi
        lo = self.lo
        if f > hi:
            hi = f
        else:
            hi += (f - hi) >> self.decay
        if f < lo:
            lo = f
        elif f > lo and not self.valid:
            lo += ((f - lo) >> self.decay) or 1
        self.hi = hi
        self.lo = lo
        r = hi - lo
        floor = self.floor
        if self.stance:
            if since > self.max_stance:
                self.valid = False
            if not self.valid:
                floor = lo   # standing, or the unknown start: no swing to measure from
            if self.last >= 0:   # unloading: the offset level passed, the fall not yet over
                if self.last - f > (r * self.fall_q10) >> 10:
                    self.last = f
                    return NONE
            elif f > floor + self.offset_dn + ((r * self.offset_q10) >> 10) or since < self.min_stance:
                return NONE
            elif self.fall_q10:
                self.last = f
                return NONE
            self.last = -1
            self.stance = False
            self.since = 0
            self.floor = f
            if self.valid:
                self.valid = False
                self._record_step(n - 1)
                return TOE_OFF
            return NONE
        if f < floor:
            floor = f
        elif f > floor and self.onset < 0:
            floor += ((f - floor) >> self.decay) or 1
        self.floor = floor
        if f <= floor + self.onset_dn + ((r * self.onset_q10) >> 10):
            if self.onset >= 0:
                self.dip += 1
                if self.dip > self.max_dip:
                    self.onset = -1
        elif self.onset < 0:
            if since >= self.min_swing:
                self.onset = n
                self.dip = 0
        elif n - self.onset > self.max_stance:
            self.onset = -1
        else:
            self.dip = 0
            if f > lo + ((r * self.confirm_q10) >> 10) and r >= self.min_range:
                self.stance = True
                self.valid = True
                self.since = n - self.onset
                self._heel_strike(self.onset)
                self.onset = -1
                return HEEL_STRIKE
        return NONE

    def resting(self):
        """True while the foot is unloaded (in the air or the shoe off)."""
        return not self.stance and self.since >= self.min_swing

    def _heel_strike(self, t):
        last = self.last_heel
        self.last_heel = t
        if last >= 0 and t - last <= self.max_stride:
            self.stride[self.strides % RING] = t - last
            self.strides += 1

    def _record_step(self, t):
        i = self.steps % RING
        self.heel[i] = self.last_heel
        self.toe[i] = t
        self.steps += 1

    def cadence_x10(self):
        """Steps per minute x10 from the median of the recent strides (0 if none)."""
        k = self.strides if self.strides < RING else RING
        return cadence_x10(self.stride, k, self.fs, self._scratch)


def median(values, k, scratch):
    """Median (lower) of values[:k] by insertion sort into `scratch`; no allocation."""
    for i in range(k):
        v = values[i]
        j = i
        while j > 0 and scratch[j - 1] > v:
            scratch[j] = scratch[j - 1]
            j -= 1
        scratch[j] = v
    return scratch[(k - 1) // 2]


def cadence_x10(strides, k, fs_hz, scratch):
    """Cadence as RSC reports it, from one insole: 120 / median stride, x10."""
    if k == 0:
        return 0
    m = median(strides, k, scratch)
    return (1200 * fs_hz + m // 2) // m

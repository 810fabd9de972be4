"""Change detectors over the daily records: over-correction, insole wear, left/right asymmetry.

Method: a robust median baseline with a minimum effect size (a moving-median
control chart). Per series of daily values, oldest first, since the detector was
last armed, on each day t:

    baseline   the median of the first worn days, at most BASELINE_MAX (14), never
               the RECENT (3) newest ones; needs BASELINE_MIN (3), so a series is
               judged from its MIN_DAYS-th (6th) day on
    spread     the noise floor, or 1.4826 x the baseline days' median absolute
               deviation when that is larger (once there are MAD_MIN_DAYS = 10)
    threshold  max(minimum effect, k x spread), k per detector
    change     the median of the RECENT newest days lies beyond the baseline by the
               threshold, in the detector's direction

The median of three needs two of them beyond: one atypical day cannot raise a
change. The first change opens an *episode*: when it started (the first day of
the run of days at least half the threshold beyond the baseline), its size (the
median since the start minus the baseline) and the baseline's dates. It stays
until acknowledged (`insole ack`), which re-arms the detector at the episode's
start: the new level is the new baseline. Detectors, per insole:

    over_correction  mli_median, a fall (toward supination) of at least 50 per mille;
                     noise floor 15 per mille, k 2.5
    insole_wear      per channel loaded in its first 3 worn days (median >= 50 dN): the
                     log of its peak over the sum of the foot's other peaks, so weight
                     and activity cancel; a fall of at least 15 % (log 0.85); floor
                     3 %, k 3.5; the medial and lateral channels not judged while the
                     insole's over-correction is open, which moves force between them
    asymmetry        both feet: L - R mli_median on the days both worn (clock set), its
                     level the difference of each foot's median; a change either way of
                     at least 80 per mille; floor 21 (15 x sqrt 2), k 3; not judged
                     while either foot has an open over-correction, which is where a
                     one-sided shift is reported

Measured by `insole simulate --runs 200` (host_tools/insole_host/simulate.py; noise:
daily MLI median sd 15 per mille, channel peaks sd 3 %, a one-day outlier about once
a fortnight on each foot): an 80 per-mille shift toward supination from day 4 on is
found within 3 worn days in 99 % of runs (median 2 days), a 120 one in 100 %, the
minimum 50 within 10 days in 82 % (median 3); a channel decaying 30 % over 20 days
by day 20 of the decay in 100 %, naming its channel (median day 12), a 15 % step
within 10 days in 77 %; stable feet anywhere from -200 to +200 per mille: 0.05
false alarms per wearer-year (2 in 40 years), every channel losing 30 % at once:
none. A wearer with twice that noise gets about 4 a year. README.md has the table.
"""
from __future__ import annotations

import math
from statistics import median
from typing import Callable, NamedTuple, Optional, Sequence

RECENT = 3
BASELINE_MIN = 3
BASELINE_MAX = 14
MIN_DAYS = BASELINE_MIN + RECENT
MAD_MIN_DAYS = 10
MAD_TO_SD = 1.4826  # a normal distribution's sd per median absolute deviation
LOADED_DN = 50  # the insole's own no-signal threshold (health.QUIET_DN)


class Detector(NamedTuple):
    """What a detector looks for: direction -1 a fall, 0 either way; sizes in the series' units."""
    kind: str
    direction: int
    min_effect: float
    noise_floor: float
    k_sigma: float
    recent: int = RECENT

    @property
    def min_days(self) -> int:
        """Worn days before the first judgement."""
        return BASELINE_MIN + self.recent


WEAR_MIN_PCT = 15
OVER_CORRECTION = Detector("over_correction", -1, 50, 15, 2.5)
INSOLE_WEAR = Detector("insole_wear", -1, -math.log(1 - WEAR_MIN_PCT / 100), 0.03, 3.5)
ASYMMETRY = Detector("asymmetry", 0, 80, 15 * math.sqrt(2), 3.0)
KINDS = (OVER_CORRECTION.kind, INSOLE_WEAR.kind, ASYMMETRY.kind)


class Change(NamedTuple):
    """A detected change: indices into the series (start, detected), the baseline's day count and value."""
    start: int
    detected: int
    baseline_days: int
    before: float
    threshold: float


def first_change(values: Sequence[float], detector: Detector,
                 centre: Optional[Callable[[int, int], float]] = None) -> Optional[Change]:
    """The first sustained change in `values` (oldest first), or None.

    `centre(lo, hi)` is the level of values[lo:hi] (default their median); the
    asymmetry detector gives the difference of each foot's median, so that one
    foot's atypical day and the other's on the next do not add up.
    """
    centre = centre or (lambda lo, hi: median(values[lo:hi]))
    recent = detector.recent
    for t in range(detector.min_days - 1, len(values)):
        n_base = min(BASELINE_MAX, t + 1 - recent)
        before = centre(0, n_base)
        spread = detector.noise_floor
        if n_base >= MAD_MIN_DAYS:
            spread = max(spread, MAD_TO_SD * median(abs(v - before) for v in values[:n_base]))
        threshold = max(detector.min_effect, detector.k_sigma * spread)
        move = centre(t - recent + 1, t + 1) - before
        sign = detector.direction or (1 if move > 0 else -1)
        if move * sign < threshold:
            continue
        beyond = [(v - before) * sign >= threshold / 2 for v in values]
        start = next((i for i in range(t - recent + 1, t + 1) if beyond[i]), t - recent + 1)
        while start > n_base and beyond[start - 1]:
            start -= 1
        return Change(start, t, n_base, before, threshold)
    return None


def peak_share(peaks: Sequence[int], channel: int) -> float:
    """log(channel's peak / the sum of the other channels' peaks), each at least 1 dN."""
    others = sum(max(p, 1) for i, p in enumerate(peaks) if i != channel)
    return math.log(max(peaks[channel], 1) / others)

"""Sensor faults and wear, per channel, judged once per step.

- stuck high: pinned at the top rail with no foot on the other channels (a
  short, see calibration); the channel reads 0 N.
- saturating: touched the top rail in more than 1/8 of the day's steps, and
  in _SATURATED_STEPS of them at least: a sensor that bottoms out under
  ordinary load (an FSR shorting once pressed, an Rm too large, a missing Rs).
  A clean build never reaches the rail; the channel still counts, clamped at
  the table's top, but its force and the indices built on it are not to be
  trusted, so the day's record flags it.
- clipping: on the top rail now with a foot on the insole (a loaded, standing
  heel); it still counts, clamped at the table's top, and is not flagged.
- no signal: the channel's peak force stayed under QUIET_DN (5 N) for
  _QUIET_STEPS steps in a row while the foot was walking (an open wire or a
  dead FSR; an unloaded arch sensor can look the same, so it is a warning).
- peak trend: an EMA (1/16 per step) of each channel's stance peak, the
  signature a compressed or cracked sensor drifts away from.

`flagged` (stuck high, no signal or saturating) is what the day's record
carries per channel.
"""
from array import array

from insole.compat import const

QUIET_DN = 50
_QUIET_STEPS = const(20)
_SATURATED_STEPS = const(20)

OK = "ok"
STUCK_HIGH = "stuck_high"
CLIPPING = "clipping"
SATURATING = "saturating"
NO_SIGNAL = "no_signal"
FLAGGED = (STUCK_HIGH, NO_SIGNAL, SATURATING)


class ChannelHealth:
    """Per-channel fault state, judged from the calibration's peaks and clips at each step's end."""

    def __init__(self, calibration):
        n = calibration.channels
        self.channels = n
        self.calibration = calibration
        self.peak_avg = array("i", [0] * n)
        self.quiet = array("i", [0] * n)
        self.clip_steps = array("i", [0] * n)
        self.steps = 0

    def start_day(self):
        """Day rollover: count the new day's steps on the rail from none."""
        for ch in range(self.channels):
            self.clip_steps[ch] = 0
        self.steps = 0

    def start_step(self):
        """Heel strike: clear the calibration's peaks and clips for this stance."""
        peak = self.calibration.peak
        clipped = self.calibration.clipped
        for ch in range(self.channels):
            peak[ch] = 0
            clipped[ch] = 0

    def end_step(self):
        """Toe off: fold the stance's peaks and clips into the counters."""
        clipped = self.calibration.clipped
        peak = self.calibration.peak
        if self.steps < 0x3FFFFFFF:
            self.steps += 1
        for ch in range(self.channels):
            p = peak[ch]
            self.peak_avg[ch] += (p - self.peak_avg[ch]) >> 4
            if p >= QUIET_DN or self.calibration.stuck(ch):
                self.quiet[ch] = 0
            elif self.quiet[ch] < _QUIET_STEPS:
                self.quiet[ch] += 1
            if clipped[ch] and self.clip_steps[ch] < self.steps:
                self.clip_steps[ch] += 1

    def faulty(self, ch):
        """True while the channel gives no usable force: stuck high or without signal."""
        return self.status(ch) in (STUCK_HIGH, NO_SIGNAL)

    def flagged(self, ch):
        """True while the day's record flags the channel: stuck high, without signal or saturating."""
        return self.status(ch) in FLAGGED

    def status(self, ch):
        """ok, stuck_high, no_signal, saturating or clipping."""
        if self.calibration.stuck(ch):
            return STUCK_HIGH
        if self.quiet[ch] >= _QUIET_STEPS:
            return NO_SIGNAL
        clipped = self.clip_steps[ch]
        if clipped >= _SATURATED_STEPS and clipped > (self.steps >> 3):
            return SATURATING
        if self.calibration.on_rail(ch):
            return CLIPPING
        return OK

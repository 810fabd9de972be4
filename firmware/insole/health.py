"""Sensor faults and wear, per channel, judged once per step.

- stuck high: pinned at the top rail with no foot on the other channels (a
  short, see calibration); the channel reads 0 N.
- clipping: the channel is on the top rail now with a foot on the insole
  (a loaded, standing heel), or touched it in more than 1/8 of the steps
  (force above the table's range); it still counts, clamped at the table's top.
- no signal: the channel's peak force stayed under QUIET_DN (5 N) for
  QUIET_STEPS steps in a row while the foot was walking (an open wire or a
  dead FSR; an unloaded arch sensor can look the same, so it is a warning).
- peak trend: an EMA (1/16 per step) of each channel's stance peak, the
  signature a compressed or cracked sensor drifts away from.
"""
from array import array

QUIET_DN = 50
QUIET_STEPS = 20

OK = "ok"
STUCK_HIGH = "stuck_high"
CLIPPING = "clipping"
NO_SIGNAL = "no_signal"


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
            elif self.quiet[ch] < QUIET_STEPS:
                self.quiet[ch] += 1
            if clipped[ch] and self.clip_steps[ch] < self.steps:
                self.clip_steps[ch] += 1

    def faulty(self, ch):
        """True while the channel gives no usable force: stuck high or without signal."""
        return self.status(ch) in (STUCK_HIGH, NO_SIGNAL)

    def status(self, ch):
        """ok, stuck_high, no_signal or clipping."""
        if self.calibration.stuck(ch):
            return STUCK_HIGH
        if self.quiet[ch] >= QUIET_STEPS:
            return NO_SIGNAL
        if self.calibration.on_rail(ch) or self.clip_steps[ch] > (self.steps >> 3):
            return CLIPPING
        return OK

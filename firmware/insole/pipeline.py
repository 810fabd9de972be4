"""The per-sample path of one insole: counts in, steps, wear and pronation out.

    counts -> calibration (+ zero, rails) -> total force
           -> gait events (on the raw total: a filter's lag would move them)
           -> per-step pronation index and channel peaks
    total force -> low-pass -> wear time, and the zero's drift while unloaded

The pronation indices take the stance at PRONATION_HZ (every fs/50-th
sample): integrals over a stance of 0.4 s or more need no more, and it
halves the heaviest loop at 100 Hz.

The zero is never taken from a loaded reading. A guided zero (`insole
calibrate`: the wearer has lifted the foot) is taken at the next sample.
Otherwise, at boot or at the start of a recording, the zero stays at 0 counts
(the ADC's offset reads as a few newtons) until the gait detector sees the
foot in swing, within _UNLOADED_DN of its unloaded floor: the zero settles
there. A boot or recording that starts loaded thus measures its first steps
with the swing's zero, like the rest; after that the zero follows slow drift
while the foot reads under _REST_DN.

Everything is preallocated here; `feed` creates no object, so it allocates
nothing on the heap (tests measure this under MicroPython).
"""
from insole import calibration, sensormap
from insole.compat import const, zeros
from insole.filters import LowPass
from insole.gait import GaitDetector
from insole.health import ChannelHealth
from insole.pronation import PronationIndex
from insole.wear import WearTimer

_CUTOFF_HZ = const(5)
MAX_FS_HZ = 400
_REST_DN = const(50)  # zero drift is followed only while the whole foot reads under 5 N,
_ZERO_EVERY = const(15)
_UNLOADED_DN = const(30)  # a zero is taken only in swing, within 3 N of the foot's unloaded floor
PRONATION_HZ = 50  # on one sample in 16: drift is slow, and the loop costs 8 channels


class Pipeline:
    """One insole's core state, built from a board config dict."""

    def __init__(self, cfg):
        self.fs = cfg["fs_hz"]
        if not 10 <= self.fs <= MAX_FS_HZ:
            raise ValueError("config: fs_hz: %r; allowed 10..%d" % (self.fs, MAX_FS_HZ))
        self.map = sensormap.from_config(cfg)
        n = self.map.channels
        self.channels = n
        self.calibration = calibration.from_config(cfg, self.fs)
        self.health = ChannelHealth(self.calibration)
        self.lowpass = LowPass(self.fs, _CUTOFF_HZ)
        try:  # a config's optional `gait` thresholds (GaitDetector's keyword arguments)
            self.gait = GaitDetector(self.fs, **cfg.get("gait", {}))
        except (TypeError, ValueError) as e:
            raise ValueError("config: gait: %s" % e)
        self.pronation = PronationIndex(self.map) if self.map.has_sides() else None
        self.pronation_every = max(1, self.fs // PRONATION_HZ)
        self.wear = WearTimer(self.fs)
        self.force = zeros("i", n)
        self.raw_total = 0  # the last sample's total force (dN)
        # bound once: the per-sample calls skip a lookup each
        self._to_force = self.calibration.to_force
        self._lowpass = self.lowpass.update
        self._gait = self.gait.update
        self._wear = self.wear.update
        self.primed = True      # False: a guided zero (the foot off, `insole calibrate`) at the next sample
        self.settled = False    # no zero yet: it settles on the first clearly unloaded stretch

    def set_zero(self, counts):
        """Zero every channel at this unloaded reading."""
        self.calibration.set_zero(counts)
        self.primed = True
        self.settled = True

    def start_day(self):
        """Day rollover: reset the day's clock, steps, wear and steps on the rail."""
        self.gait.start_day()
        self.wear.start_day()
        self.health.start_day()

    def total(self, counts):
        """One sample's total force (dN), outside the per-sample path."""
        return self._to_force(counts, self.force)

    def feed(self, counts):
        """Process one sample of 16-bit counts; returns the gait event."""
        if not self.primed:
            self.set_zero(counts)
        raw_total = self._to_force(counts, self.force)
        self.raw_total = raw_total
        total = self._lowpass(raw_total)
        gait = self.gait
        event = self._gait(raw_total)
        pronation = self.pronation
        if gait.stance:
            if event:  # heel strike
                self.health.start_step()
                if pronation:
                    pronation.begin()
            if gait.valid and pronation and not gait.since % self.pronation_every:
                pronation.add(self.force, raw_total)
        elif event:  # toe off
            if pronation:
                pronation.end()
            self.health.end_step()
        elif not self.settled:
            if gait.resting() and raw_total <= gait.lo + _UNLOADED_DN:
                self.set_zero(counts)
        elif total < _REST_DN and not gait.n & _ZERO_EVERY:
            self.calibration.track_zero(counts)
        self._wear(total)
        return event

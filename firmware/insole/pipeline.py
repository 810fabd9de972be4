"""The per-sample path of one insole: counts in, steps, wear and pronation out.

    counts -> calibration (+ zero, rails) -> total force -> low-pass
           -> gait events -> per-step pronation index and channel peaks
           -> wear time

The pronation indices take the stance at PRONATION_HZ (every fs/50-th
sample): integrals over a stance of 0.4 s or more need no more, and it
halves the heaviest loop at 100 Hz.

Everything is preallocated here; `feed` creates no object, so it allocates
nothing on the heap (tests measure this under MicroPython).
"""
from insole import calibration, sensormap
from insole.compat import const, zeros
from insole.filters import LowPass
from insole.gait import OFF_Q10, ON_Q10, GaitDetector
from insole.health import ChannelHealth
from insole.pronation import PronationIndex
from insole.wear import WearTimer

CUTOFF_HZ = 5
MAX_FS_HZ = 400
REST_DN = const(50)  # zero drift is followed only while the whole foot reads under 5 N,
ZERO_EVERY = const(15)
PRONATION_HZ = 50  # on one sample in 16: drift is slow, and the loop costs 8 channels


class Pipeline:
    """One insole's core state, built from a board config dict."""

    def __init__(self, cfg):
        self.fs = cfg["fs_hz"]
        if not 10 <= self.fs <= MAX_FS_HZ:
            raise ValueError("config: fs_hz must be 10..%d, not %r" % (MAX_FS_HZ, self.fs))
        self.map = sensormap.from_config(cfg)
        n = self.map.channels
        self.channels = n
        self.calibration = calibration.from_config(cfg, self.fs)
        self.health = ChannelHealth(self.calibration)
        self.lowpass = LowPass(self.fs, CUTOFF_HZ)
        g = cfg.get("gait", {})
        self.gait = GaitDetector(self.fs, self.lowpass.delay // 2,
                                 on_q10=g.get("on_q10", ON_Q10), off_q10=g.get("off_q10", OFF_Q10))
        self.pronation = PronationIndex(self.map) if self.map.has_sides() else None
        self.pronation_every = max(1, self.fs // PRONATION_HZ)
        self.wear = WearTimer(self.fs)
        self.force = zeros("i", n)
        # bound once: the per-sample calls skip a lookup each
        self._to_force = self.calibration.to_force
        self._lowpass = self.lowpass.update
        self._gait = self.gait.update
        self._wear = self.wear.update
        self.primed = False

    def start_day(self):
        """Day rollover: reset the day's clock, steps and wear."""
        self.gait.start_day()
        self.wear.start_day()

    def loaded(self, counts):
        """True when one sample's total force is a load (the wear timer's threshold)."""
        return self._to_force(counts, self.force) >= self.wear.loaded_dn

    def feed(self, counts):
        """Process one sample of 16-bit counts; returns the gait event."""
        if not self.primed:
            self.calibration.set_zero(counts)
            self.primed = True
        raw_total = self._to_force(counts, self.force)
        total = self._lowpass(raw_total)
        gait = self.gait
        event = self._gait(total)
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
        elif total < REST_DN and not gait.n & ZERO_EVERY:
            self.calibration.track_zero(counts)
        self._wear(total)
        return event

"""Wear time: seconds of the day the insole is on a foot.

A second is *loaded* when the total force reached LOADED_DN (20 N) in any
sample of it. Bridging rule: an unloaded gap between two loaded seconds
counts as worn when it lasts at most `bridge_s` (15 min by default), as when
sitting with feet lifted or crossed; a longer gap, and any unloaded time
before the day's first or after its last loaded second, does not count. So
shoes on a shelf never count, and the error of the rule is bounded by the
gap length at the edges of a wearing period.
"""
from insole.compat import const

LOADED_DN = 200
BRIDGE_S = 15 * 60
_IDLE_CAP_S = const(1 << 24)  # idle_s stops here (194 days): a small int on every board


class WearTimer:
    """Counts worn seconds; `worn_s` is final, `gap_s` still pending."""

    def __init__(self, fs_hz, bridge_s=BRIDGE_S, loaded_dn=LOADED_DN):
        self.fs = fs_hz
        self.bridge = bridge_s
        self.loaded_dn = loaded_dn
        self.idle_s = 0  # unloaded seconds in a row, across days (Device's off-the-foot rule)
        self.start_day()

    def start_day(self):
        """Reset at the day's rollover."""
        self.worn_s = 0
        self.gap_s = 0
        self.worn_today = False
        self.loaded = False
        self.sub = 0  # samples into the current second; Device ticks its clock when it wraps

    def update(self, total):
        """Take one total-force sample (dN)."""
        if total >= self.loaded_dn:
            self.loaded = True
        self.sub += 1
        if self.sub == self.fs:
            self.sub = 0
            self._second()

    def rest_second(self, loaded):
        """A whole second seen in one sample (the board samples slowly off the foot)."""
        self.loaded = loaded
        self._second()

    def _second(self):
        if self.loaded:
            if self.worn_today and self.gap_s <= self.bridge:
                self.worn_s += self.gap_s
            self.worn_s += 1
            self.gap_s = 0
            self.worn_today = True
            self.loaded = False
            self.idle_s = 0
            return
        if self.idle_s < _IDLE_CAP_S:
            self.idle_s += 1
        if self.worn_today and self.gap_s <= self.bridge:
            self.gap_s += 1

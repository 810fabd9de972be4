"""When the insole may save power: a policy that a board applies to its Device.

    FAST   sample at the board config's fs_hz: not yet off the foot (not
           Device.resting: loaded, or unloaded for under a minute) and not still
    STILL  on the foot but not stepping for `still_after_s` (standing or
           seated: Device.still): sample once a second until the load moves
           (each sample stands for the whole second: Device.slow_second)
    SLOW   off the foot (Device.resting: the device's rule, the one its alerts
           keep to): sample once a second until a load appears (the same:
           Device.slow_second)
    SLEEP  off the foot for `sleep_after_s` (an hour): deep sleep until a load
           wakes the board, where it can be woken so (0: never)

The board config's "power" object sets them; the defaults are below.
"""
FAST = 0
SLOW = 1
SLEEP = 2
STILL = 3

SLOW_HZ = 1  # a sample stands for a whole second
SLEEP_AFTER_S = 3600
STILL_AFTER_S = 10  # long enough that a pause between steps is not standing (0: never)


class Policy:
    """The mode for a Device's state, and the sample rate of each mode."""

    def __init__(self, cfg):
        p = cfg.get("power", {})
        self.fs = cfg["fs_hz"]
        self.sleep_after_s = p.get("sleep_after_s", SLEEP_AFTER_S)
        self.still_after_s = p.get("still_after_s", STILL_AFTER_S)

    def mode(self, device):
        """SLOW off the foot, SLEEP once off it for `sleep_after_s`; on it STILL
        when `device.still`, else FAST."""
        if device.resting():
            idle = device.pipeline.wear.idle_s
            return SLEEP if self.sleep_after_s and idle >= self.sleep_after_s else SLOW
        return STILL if device.still(self.still_after_s) else FAST

    def hz(self, mode):
        """The sample rate of a mode."""
        return self.fs if mode == FAST else SLOW_HZ

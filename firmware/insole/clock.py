"""Device time: the day and the second of the day, counted once a second.

The host sets the clock (unix seconds and the wearer's UTC offset); from then
on days are dates, numbered from 2000-01-01, and roll over at local midnight.
Before that, days are counted from boot and flagged `unset`, so the host can
place them. Only small ints are kept: the day number and the second of the
day, never a unix timestamp.
"""

DAY_S = 86400
EPOCH_2000 = 946684800  # unix seconds at 2000-01-01 00:00 UTC
UTC_OFFSET_MIN = (-720, 840)  # minutes: UTC-12:00 .. UTC+14:00, the offsets in use


class Clock:
    """Ticks a second at a time; `tick()` is True at each rollover."""

    def __init__(self):
        self.unset = True
        self.day = 0
        self.second = 0
        self.utc_offset_min = 0

    def tick(self):
        """One second passed; True when a new day begins."""
        self.second += 1
        if self.second < DAY_S:
            return False
        self.second = 0
        self.day += 1
        return True

    def set(self, unix_s, utc_offset_min):
        """Set local time; the day in progress takes the new date."""
        if not UTC_OFFSET_MIN[0] <= utc_offset_min <= UTC_OFFSET_MIN[1]:
            raise ValueError("utc offset must be %d..%d minutes" % UTC_OFFSET_MIN)
        local = unix_s + utc_offset_min * 60 - EPOCH_2000
        if local < 0:
            raise ValueError("time before 2000-01-01")
        self.day = local // DAY_S
        self.second = local % DAY_S
        self.utc_offset_min = utc_offset_min
        self.unset = False

    def local_day(self, unix_s):
        """The local day number of a unix time, at this clock's UTC offset."""
        return (unix_s + self.utc_offset_min * 60 - EPOCH_2000) // DAY_S

    def to_ints(self):
        """(unset, day, second, utc_offset_min)."""
        return (int(self.unset), self.day, self.second, self.utc_offset_min)

    def load(self, ints):
        """Continue from `to_ints()`."""
        unset, day, second, offset = ints
        if not 0 <= second < DAY_S or not 0 <= day <= 0xFFFF or not -14 * 60 <= offset <= 14 * 60:
            raise ValueError("clock state out of range: %r" % (ints,))
        self.unset = unset == 1
        self.day = day
        self.second = second
        self.utc_offset_min = offset

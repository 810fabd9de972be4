"""A fake CircuitPython `rtc`: the board's one clock, set through `RTC().datetime`."""


class RTC:
    datetime = None

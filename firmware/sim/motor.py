"""The sim board's motor: a PWM that records its duty changes."""


class RecordingPWM:
    """Stands in for machine.PWM; `changes` lists (time_ms, duty_u16) at each change,
    and `log` (a file, or None) gets a line `time_ms duty_u16` for each.

    `clock_ms` is any callable returning milliseconds (a virtual clock in tests).
    The duty starts at 0, so the first change is the first pulse.
    """

    def __init__(self, clock_ms, log=None):
        self.clock_ms = clock_ms
        self.log = log
        self.duty = 0
        self.changes = []

    def duty_u16(self, value):
        if value != self.duty:
            self.duty = value
            self.changes.append((self.clock_ms(), value))
            if self.log:
                self.log.write("%d %d\n" % self.changes[-1])
                self.log.flush()

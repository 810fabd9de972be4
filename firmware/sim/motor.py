"""The sim board's motor: a PWM that records its duty changes."""


class RecordingPWM:
    """Stands in for machine.PWM; `changes` lists (time_ms, duty_u16) at each change.

    `clock_ms` is any callable returning milliseconds (a virtual clock in tests).
    The duty starts at 0, so the first change is the first pulse.
    """

    def __init__(self, clock_ms):
        self.clock_ms = clock_ms
        self.duty = 0
        self.changes = []

    def duty_u16(self, value):
        if value != self.duty:
            self.duty = value
            self.changes.append((self.clock_ms(), value))

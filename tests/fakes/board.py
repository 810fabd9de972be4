"""A fake CircuitPython `board` (XIAO nRF52840 names) for the board tests.

Each pin holds what a test lets an input read (`level`, or `source()`), what
is wired to it from outside for a digital read (`external`: None floating,
0 held to GND, 1 to 3V3) and what an output drives (`driven`, every value in
`history`).
"""


class Pin:
    def __init__(self, name):
        self.name = name
        self.level = 0
        self.source = None
        self.external = None
        self.driven = None
        self.history = []

    def read(self):
        return self.level if self.source is None else self.source()


def reset():
    """Fresh pins, as after a reboot."""
    for name in ["A%d" % i for i in range(6)] + ["D%d" % i for i in range(11)] + ["VBATT", "READ_BATT_ENABLE"]:
        globals()[name] = Pin(name)


reset()

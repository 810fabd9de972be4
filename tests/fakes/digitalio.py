"""A fake CircuitPython `digitalio`: an output drives the fake board pin."""


class Direction:
    INPUT = "input"
    OUTPUT = "output"


class DigitalInOut:
    def __init__(self, pin):
        self.pin = pin
        self.direction = Direction.INPUT

    def switch_to_output(self, value=False):
        self.direction = Direction.OUTPUT
        self.value = value

    @property
    def value(self):
        return self.pin.driven

    @value.setter
    def value(self, v):
        self.pin.driven = v
        self.pin.history.append(v)

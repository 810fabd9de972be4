"""A fake CircuitPython `digitalio`: an output drives the fake board pin; an
input reads what is wired to it, or its pull when nothing is."""


class Direction:
    INPUT = "input"
    OUTPUT = "output"


class Pull:
    UP = "up"
    DOWN = "down"


class DigitalInOut:
    def __init__(self, pin):
        self.pin = pin
        self.direction = Direction.INPUT
        self.pull = None
        self.deinited = False

    def switch_to_output(self, value=False):
        self.direction = Direction.OUTPUT
        self.value = value

    def switch_to_input(self, pull=None):
        self.direction = Direction.INPUT
        self.pull = pull

    def deinit(self):
        self.deinited = True

    @property
    def value(self):
        if self.direction == Direction.OUTPUT:
            return self.pin.driven
        if self.pin.external is not None:
            return bool(self.pin.external)
        return self.pull == Pull.UP

    @value.setter
    def value(self, v):
        self.pin.driven = v
        self.pin.history.append(v)

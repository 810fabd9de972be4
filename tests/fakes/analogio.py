"""A fake CircuitPython `analogio`: AnalogIn reads the fake board pin's level."""


class AnalogIn:
    def __init__(self, pin):
        self.pin = pin
        self.reference_voltage = 3.3
        self.deinited = False

    def deinit(self):
        self.deinited = True

    @property
    def value(self):
        return self.pin.read()

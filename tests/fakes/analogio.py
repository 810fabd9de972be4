"""A fake CircuitPython `analogio`: AnalogIn reads the fake board pin's level."""


class AnalogIn:
    def __init__(self, pin):
        self.pin = pin
        self.reference_voltage = 3.3

    @property
    def value(self):
        return self.pin.read()

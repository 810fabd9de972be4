"""A fake CircuitPython `pwmio`: PWMOut remembers every duty_cycle set (`duties`)."""


class PWMOut:
    def __init__(self, pin, frequency=500, duty_cycle=0):
        self.pin = pin
        self.frequency = frequency
        self._duty = duty_cycle
        self.duties = []

    @property
    def duty_cycle(self):
        return self._duty

    @duty_cycle.setter
    def duty_cycle(self, value):
        self._duty = value
        self.duties.append(value)

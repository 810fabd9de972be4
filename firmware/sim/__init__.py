"""The sim board: the virtual insole's stand-in for ADC, motor and flash."""

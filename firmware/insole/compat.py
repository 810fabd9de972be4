"""What MicroPython, CircuitPython and CPython spell differently."""
try:
    from micropython import const
except ImportError:
    def const(x):
        """CPython: `const` is the identity."""
        return x

"""What MicroPython, CircuitPython and CPython spell differently."""
from array import array

try:
    from micropython import const
except ImportError:
    def const(x):
        """CPython: `const` is the identity."""
        return x


_ITEMSIZE = {"b": 1, "B": 1, "h": 2, "H": 2, "i": 4, "I": 4}


def zeros(typecode, n):
    """A zero-filled array of n items, built without a list of n ints."""
    return array(typecode, bytes(n * _ITEMSIZE[typecode]))


def log_exception(where, error):
    """One line on the console for an exception caught where it must not escape
    (a BLE callback, the control-point handler): MicroPython has no traceback module."""
    print("%s: %s: %s" % (where, type(error).__name__, error))

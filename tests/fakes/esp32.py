"""A fake `esp32` module: the deep-sleep wake sources the board set."""
WAKEUP_ALL_LOW = 0
WAKEUP_ANY_HIGH = 1

ext1 = []


def wake_on_ext1(pins=None, level=WAKEUP_ANY_HIGH):
    ext1.append((tuple(p.id for p in pins), level))

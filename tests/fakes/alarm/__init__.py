"""A fake CircuitPython `alarm`: the deep sleep the board asked for, and its alarms."""
from alarm import pin  # noqa: F401  (alarm.pin, as on CircuitPython)

slept = []


def exit_and_deep_sleep_until_alarms(*alarms):
    """CircuitPython resets on waking; the fake records the alarms and returns."""
    slept.append(alarms)

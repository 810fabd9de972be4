"""CircuitPython runs this at reset, before code.py: who may write CIRCUITPY.

CircuitPython's filesystem is writable by one side at a time. By default USB
has it and the firmware cannot save its store, so this remounts it writable
for the firmware. With the config's "safe_boot_pin" held to GND at reset (a
button or a wire, D1 on the XIAO nRF52840), the drive stays writable over
USB for `make deploy`, and code.py leaves the firmware off (boards.safe_boot).
Without a readable config.json (a half-finished deploy) the drive stays with
USB too, so a new deploy can always fix it. A config without the pin gives
the drive to the firmware; CircuitPython's own safe mode (press reset again
while the LED blinks yellow at boot) skips boot.py and leaves it to USB.
"""
import json

import board
import digitalio
import storage

CONFIG = "config.json"


def read_config(path=CONFIG):
    """The board config, or None when it cannot be read."""
    try:
        with open(path) as f:
            cfg = json.load(f)
    except (OSError, ValueError):
        return None
    return cfg if isinstance(cfg, dict) else None


def held(name):
    """True while the pin is pulled to GND (a pull-up holds it high otherwise)."""
    pin = digitalio.DigitalInOut(getattr(board, name))
    try:
        pin.switch_to_input(pull=digitalio.Pull.UP)
        return not pin.value
    finally:
        pin.deinit()


def main(path=CONFIG):
    """Give the filesystem to the firmware unless USB must keep it; True if given."""
    cfg = read_config(path)
    if cfg is None:
        print("boot: no readable %s: CIRCUITPY stays writable over USB for make deploy" % path)
        return False
    pin = cfg.get("safe_boot_pin")
    if pin and held(pin):
        print("boot: %s held: CIRCUITPY stays writable over USB for make deploy; the insole does not run" % pin)
        return False
    storage.remount("/", readonly=False)
    return True


if __name__ == "__main__":
    main()

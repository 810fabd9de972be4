"""A fake CircuitPython `storage`: who may write CIRCUITPY.

As on a board: "/" is read-only to CircuitPython (writable over USB) after
every reset until boot.py remounts it, and only boot.py may remount it (later
USB is up and CircuitPython refuses). `reset(booting)` starts a new boot.
"""


class VfsFat:
    def __init__(self):
        self.readonly = True  # to CircuitPython: USB may write


root = VfsFat()
booting = True
remounts = []


def reset(in_boot_py=True):
    """A reset: the drive back to USB; `in_boot_py` while boot.py runs."""
    global root, booting
    root = VfsFat()
    booting = in_boot_py
    del remounts[:]


def getmount(mount_path):
    if mount_path != "/":
        raise OSError(22)  # EINVAL: nothing else is mounted
    return root


def remount(mount_path, readonly=False, *, disable_concurrent_write_protection=False):
    if mount_path != "/":
        raise OSError(22)
    if not booting:
        raise RuntimeError("Cannot remount '/' when visible via USB.")
    root.readonly = readonly
    remounts.append((mount_path, readonly))

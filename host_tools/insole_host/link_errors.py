"""One line for each way a link's backend can fail before the insole protocol starts.

The backends raise their own exceptions (bleak's D-Bus errors, Bumble's
transport errors, libusb's, pyserial's); `explain(exc, via)` gives the line the
CLI prints for one, or None when it is not a backend failure.
"""
from __future__ import annotations

import os
from typing import Optional

from insole_host.transport import TransportError

NO_BLUEZ = ("the laptop's Bluetooth is not reachable through bleak: BlueZ is not running here "
            "(no D-Bus system bus); start bluetoothd, or use --via bumble:usb:0 with a USB dongle")


def _backend_errors() -> tuple:
    """The exception classes of the optional backends that are installed."""
    found = []
    for module, name in (("bleak.exc", "BleakError"), ("bumble.core", "BaseBumbleError"), ("usb1", "USBError")):
        try:
            found.append(getattr(__import__(module, fromlist=[name]), name))
        except ImportError:
            pass
    return tuple(found)


def explain(exc: BaseException, via: str) -> Optional[str]:
    """The one-line message of a failure of the link `via`, or None if `exc` is none."""
    if isinstance(exc, TransportError):
        return str(exc)
    kind, _, rest = via.partition(":")
    if not isinstance(exc, (OSError,) + _backend_errors()):
        return None
    if kind == "bleak":
        if isinstance(exc, OSError) or "dbus" in type(exc).__name__.lower():
            return NO_BLUEZ
        return f"bleak: {exc}"
    if kind == "bumble":
        if rest.startswith("usb") and not isinstance(exc, OSError):
            return (f"no Bluetooth USB dongle at {rest} ({exc}): plug one in, or list the connected ones with "
                    f"bumble-usb-probe")
        errno = getattr(exc, "errno", None)
        reason = os.strerror(errno) if isinstance(errno, int) else str(exc)
        return f"cannot open the HCI transport {rest}: {reason}"
    return f"{via}: {exc}"

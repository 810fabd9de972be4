"""How the host reaches an insole: one `Transport` interface (base.py), one module per backend.

    bumble_central   Bumble as the central: a USB HCI dongle (or any Bumble transport
                     spec), and in the tests two virtual controllers on one LocalLink
    bleak_central    bleak: the laptop's own Bluetooth
    virtual          the virtual insole: the firmware in the `micropython` executable,
                     speaking the link's bytes over stdio (firmware/link_stdio.py)

`open_transport(spec)` picks one from a string: "bumble:usb:0", "bleak",
"bleak:AA:BB:CC:DD:EE:FF", "virtual:STORE_DIR". The backends are imported only
when asked for, so bleak and Bumble stay optional at import time.
"""
from __future__ import annotations

from insole_host.transport.base import AccessDenied, Found, LinkLost, Rejected, Transport, TransportError

BACKENDS = ("bumble", "bleak", "virtual")


def open_transport(spec: str) -> Transport:
    """A transport from its spec string (see the module docstring); not yet connected."""
    kind, _, rest = spec.partition(":")
    if kind == "bumble":
        if not rest:
            raise TransportError("bumble needs an HCI transport spec, e.g. bumble:usb:0 or bumble:serial:/dev/ttyACM0")
        from insole_host.transport.bumble_central import BumbleCentral
        return BumbleCentral(rest)
    if kind == "bleak":
        from insole_host.transport.bleak_central import BleakCentral
        return BleakCentral(rest or None)
    if kind == "virtual":
        if not rest:
            raise TransportError("virtual needs the folder of a deployed virtual insole: virtual:DIR "
                                 "(make deploy BOARD=sim PORT=DIR lays one out)")
        from insole_host.transport.virtual import VirtualInsole
        return VirtualInsole(rest)
    raise TransportError(f"unknown transport {kind!r}: one of {', '.join(BACKENDS)} (e.g. bumble:usb:0, bleak, virtual:DIR)")


__all__ = ["AccessDenied", "Found", "LinkLost", "Rejected", "Transport", "TransportError", "open_transport"]

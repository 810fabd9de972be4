"""The fake aioble.core: the one IRQ handler MicroPython calls, and the `ble` object.

`deliver(event, data)` is the stack raising an event: it runs the installed
handler (`ble.irq(handler)`; aioble's `ble_irq` by default) and returns True,
or, once a handler has raised (MicroPython then switches it off), does
nothing and returns False.
"""
IRQ_CENTRAL_CONNECT = 1
IRQ_CENTRAL_DISCONNECT = 2
IRQ_GATTS_WRITE = 3
IRQ_GATTS_READ_REQUEST = 4
IRQ_GATTS_INDICATE_DONE = 20
IRQ_PASSKEY_ACTION = 31

_irq_handlers = []
_shutdown_handlers = []


class FakeBLE:
    """bluetooth.BLE() as far as the bindings use it."""

    def __init__(self):
        self.handler = ble_irq
        self.dead = False
        self.errors = []
        self.on = True
        self.broken = False  # True: the radio does not come back on
        self.on_off = []  # called when the radio goes off
        self.passkeys = []  # (connection handle, action, passkey) given to gap_passkey

    def irq(self, handler):
        self.handler = handler

    def active(self, on=None):
        if on is not None:
            self.on = bool(on) and not self.broken
            if not self.on:  # advertising stops with the radio
                for wake in self.on_off:
                    wake()
        return self.on

    def gap_passkey(self, conn_handle, action, passkey):
        self.passkeys.append((conn_handle, action, passkey))


def register_irq_handler(irq, shutdown):
    if irq:
        _irq_handlers.append(irq)
    if shutdown:
        _shutdown_handlers.append(shutdown)


def ble_irq(event, data):
    """aioble's dispatcher: each handler in turn, until one returns a value."""
    for handler in _irq_handlers:
        result = handler(event, data)
        if result is not None:
            return result
    return None


def deliver(event, data):
    if ble.dead or ble.handler is None:
        return False
    try:
        ble.handler(event, data)
    except Exception as e:  # MicroPython: "Unhandled exception in IRQ callback handler", then no more IRQs
        ble.errors.append(e)
        ble.dead = True
        return False
    return True


def reset():
    global ble
    del _irq_handlers[:]
    del _shutdown_handlers[:]
    ble = FakeBLE()


ble = FakeBLE()

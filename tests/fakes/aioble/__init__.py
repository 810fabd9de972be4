"""A fake aioble that keeps the real stack's rules (MicroPython and CPython; never on a board's path).

What a test sees: `calls` (config, register_services, advertise), the
registered services with their UUIDs, flags and handles, and per connection
what reached the central. A test plays the central through `FakeConnection`:
`connect(conn)` makes a pending `advertise()` return it
(`time_out_advertising()` runs its timeout out); `conn.subscribe(ch)`
writes its CCCD; `conn.write(ch, data)` and `conn.read(ch)` go through the
stack's checks; `conn.drop()` loses the link.

The stack's rules, as MicroPython's unix port on NimBLE showed them:

- Every event (a connection, a write, an indication's confirmation, a
  disconnection) reaches Python through one IRQ handler (`core.ble.irq`,
  aioble's `core.ble_irq` unless the binding installs its own). If the
  handler raises, MicroPython prints the exception and switches it off: from
  then on the fake delivers no event at all (`core.ble.dead`, the exception
  in `core.ble.errors`).
- CCCD writes stay in the stack: no event reaches Python. NimBLE takes them
  on an unencrypted link too, refuses bits the characteristic's properties
  do not offer (ATT Request Not Supported, 0x06), and on a bonded link
  answers a write of 0 with 0x05 (the port keeps no CCCDs in its bond store)
  though the CCCD is cleared.
- `Characteristic.write(data, send_update=True)` (ble_gatts_chr_updated)
  sends the value to each connected central as its CCCD for that
  characteristic asks: a notification (notify bit), else an indication
  (indicate bit). A notification the full buffers refuse is lost, silently.
  On a connection whose CCCD asks for neither the value stays marked, and
  after the next confirmed indication there NimBLE sends it as an
  indication (ble_gatts_send_next_indicate), even on a characteristic
  without `indicate`: its confirmation reaches aioble's `_indicate_done`,
  which raises AttributeError. The central's CCCD write clears the mark.
- `notify(connection)` and `indicate(connection)` reach that central
  whatever its CCCD says. The central keeps what arrives:
  `conn.notified` [(uuid, bytes)], `conn.indicated` [bytes]. A value longer
  than MTU - 3 arrives cut to MTU - 3.
- An indication waits for the central's confirmation; a second one on the
  same characteristic meanwhile raises ValueError("In progress"). A link lost
  with one outstanding confirms it with an error status first.
- A write to an encrypted characteristic on an unencrypted link gets ATT
  Insufficient Authentication (0x05), as NimBLE answers.
- `conn.full` makes the next that many notifications fail as a full NimBLE
  buffer does (OSError ENOMEM from `notify`).
"""
import asyncio

from aioble import core

FLAG_READ = 0x0002
FLAG_WRITE_NO_RESPONSE = 0x0004
FLAG_WRITE = 0x0008
FLAG_NOTIFY = 0x0010
FLAG_INDICATE = 0x0020
FLAG_READ_ENCRYPTED = 0x0200
FLAG_WRITE_ENCRYPTED = 0x1000
FLAG_WRITE_CAPTURE = 0x10000
ATT_INSUFFICIENT_AUTHENTICATION = 0x05
ATT_REQUEST_NOT_SUPPORTED = 0x06
ATT_INVALID_LENGTH = 0x0D
STATUS_LINK_LOST = 0x13

calls = []
registered = []  # the Service objects, in registration order
_by_handle = {}  # value handle -> Characteristic
_connections = {}  # connection handle -> FakeConnection, from its connection to its disconnection event
_incoming = []
_waiting = []
_pending = {}
_timed_out = []  # time_out_advertising() was called: the pending advertise's timeout ran out


class GattError(Exception):
    pass


class DeviceDisconnectedError(Exception):
    pass


def reset():
    """Forget everything (between tests)."""
    del calls[:]
    del registered[:]
    _by_handle.clear()
    _connections.clear()
    del _incoming[:]
    del _waiting[:]
    del _timed_out[:]
    _pending.clear()
    del FakeConnection.live[:]
    core.reset()
    core.register_irq_handler(_irq, None)
    core.ble.on_off.append(_wake_advertisers)


def _wake_advertisers():
    while _waiting:
        _waiting.pop(0).set()


def time_out_advertising():
    """The pending advertise() was given a timeout_ms, and it runs out now (the test
    says when: no wall clock): it raises asyncio.TimeoutError, as aioble's does. An
    advertise without a timeout goes on."""
    _timed_out.append(True)
    _wake_advertisers()


def config(*args, **kwargs):
    calls.append(("config", kwargs))


def stop():
    """aioble.stop(): the radio off (a binding restarting BLE)."""
    calls.append(("stop",))
    core.ble.active(False)


def _irq(event, data):
    """The fake's share of aioble's IRQ handlers: what server.py and peripheral.py do."""
    if event == core.IRQ_CENTRAL_CONNECT:
        conn = _pending.pop(data)
        _connections[data] = conn
        _incoming.append(conn)
        while _waiting:
            _waiting.pop(0).set()
    elif event == core.IRQ_CENTRAL_DISCONNECT:
        conn = _connections.pop(data, None)
        if conn is not None:
            conn._gone.set()
    elif event == core.IRQ_GATTS_WRITE:
        conn_handle, handle = data
        ch = _by_handle.get(handle)
        if ch is not None and conn_handle in _connections:
            ch._written.append((_connections[conn_handle], ch.value))
            ch._write_event.set()
    elif event == core.IRQ_GATTS_INDICATE_DONE:
        conn_handle, handle, status = data
        Characteristic._indicate_done(conn_handle, handle, status)


class Service:
    def __init__(self, uuid):
        self.uuid = uuid
        self.characteristics = []


class Characteristic:
    def __init__(self, service, uuid, read=False, write=False, write_no_response=False, notify=False,
                 indicate=False, initial=None, capture=False):
        service.characteristics.append(self)
        flags = 0
        if read:
            flags |= FLAG_READ
        if write:
            flags |= FLAG_WRITE
        if write_no_response:
            flags |= FLAG_WRITE_NO_RESPONSE
        if (write or write_no_response) and capture:
            flags |= FLAG_WRITE_CAPTURE
        if notify:
            flags |= FLAG_NOTIFY
        if indicate:
            flags |= FLAG_INDICATE
            self._indicate_connection = None  # as aioble: only indicate characteristics have it
            self._indicate_event = asyncio.Event()
            self._indicate_status = None
        self.uuid = uuid
        self.flags = flags
        self.value = initial or b""
        self._value_handle = None
        self.writes = []  # the local database writes: (bytes, send_update)
        self._written = []
        self._write_event = asyncio.Event()

    def read(self):
        return self.value

    def write(self, data, send_update=False):
        self.value = bytes(data)
        self.writes.append((self.value, send_update))
        if send_update:  # NimBLE's ble_gatts_chr_updated: per connection, as its CCCD asks
            for conn in list(FakeConnection.live):
                bits = conn.cccd.get(self._value_handle, 0)
                if bits & 1:
                    if conn.full:
                        conn.full -= 1
                    else:
                        conn._receive("notify", self, self.value)
                elif bits & 2 and not conn._outstanding:
                    conn._send_indication(self)
                elif self._value_handle not in conn._marked:
                    conn._marked.append(self._value_handle)

    def notify(self, connection, data=None):
        if not self.flags & FLAG_NOTIFY:
            raise ValueError("Not supported")
        if not connection.is_connected():
            raise ValueError("Not connected")
        if connection.full:
            connection.full -= 1
            raise OSError(12)
        connection._receive("notify", self, self.value if data is None else data)

    async def indicate(self, connection, data=None, timeout_ms=1000):
        if not self.flags & FLAG_INDICATE:
            raise ValueError("Not supported")
        if self._indicate_connection is not None:
            raise ValueError("In progress")
        if not connection.is_connected():
            raise ValueError("Not connected")
        self._indicate_connection = connection
        self._indicate_status = None
        self._indicate_event.clear()
        try:
            connection._send_indication(self, data)
            await asyncio.wait_for(self._indicate_event.wait(), timeout_ms / 1000)
            if self._indicate_status != 0:
                raise GattError(self._indicate_status)
        finally:
            self._indicate_connection = None

    @staticmethod
    def _indicate_done(conn_handle, handle, status):
        """aioble's server.py in what matters: no `_indicate_connection` on a
        characteristic made without `indicate` -> AttributeError."""
        characteristic = _by_handle.get(handle)
        if characteristic is not None and conn_handle in _connections:
            if not characteristic._indicate_connection:
                return
            characteristic._indicate_status = status
            characteristic._indicate_event.set()

    async def written(self, timeout_ms=None):
        while not self._written:
            self._write_event.clear()
            await self._write_event.wait()
        return self._written.pop(0)

    def on_read(self, connection):
        return 0


class BufferedCharacteristic(Characteristic):
    def __init__(self, *args, max_len=20, append=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_len = max_len


def register_services(*services):
    calls.append(("register_services", len(services)))
    handle = 1
    for service in services:
        registered.append(service)
        handle += 1
        for ch in service.characteristics:
            handle += 1
            ch._value_handle = handle
            _by_handle[handle] = ch
            handle += 1 + (1 if ch.flags & (FLAG_NOTIFY | FLAG_INDICATE) else 0)  # the CCCD: value handle + 1


async def advertise(interval_us, adv_data=None, resp_data=None, connectable=True, limited_disc=False,
                    br_edr=False, name=None, services=None, appearance=0, manufacturer=None, timeout_ms=None):
    calls.append(("advertise", {"interval_us": interval_us, "adv_data": bytes(adv_data or b""),
                                "resp_data": bytes(resp_data or b""), "appearance": appearance,
                                "timeout_ms": timeout_ms}))
    while not _incoming:
        if not core.ble.active():
            raise OSError(19)  # ENODEV: the radio is off (or went off while advertising)
        if _timed_out:
            del _timed_out[:]
            if timeout_ms:
                raise asyncio.TimeoutError
        event = asyncio.Event()
        _waiting.append(event)
        await event.wait()
    return _incoming.pop(0)


def connect(connection):
    """The test's central connects (to the pending or the next advertise); lost
    when the stack no longer delivers events."""
    _pending[connection._conn_handle] = connection
    if core.deliver(core.IRQ_CENTRAL_CONNECT, connection._conn_handle):
        FakeConnection.live.append(connection)
        connection.connected = True


class FakeConnection:
    """A central's connection as aioble's DeviceConnection shows it to a peripheral."""

    live = []
    _handles = [64]

    def __init__(self, encrypted=True, bonded=True, central_mtu=247, confirm=True):
        self.encrypted = encrypted
        self.bonded = bonded
        self.authenticated = False
        self.key_size = 16 if encrypted else 0
        self.central_mtu = central_mtu
        self.mtu = 23
        self.connected = False
        self.confirm = confirm  # False: the central leaves indications unconfirmed
        self.notified = []
        self.indicated = []
        self.cccd = {}  # value handle -> CCCD bits (1 notify, 2 indicate), kept by the stack
        self.pairs = []
        self.full = 0
        self.on_notify = None  # the test's hook: on_notify(uuid value, bytes) after each notification
        self._outstanding = []
        self._marked = []  # value handles send_update left for this connection (NimBLE's MODIFIED flag)
        self._gone = asyncio.Event()
        FakeConnection._handles[0] += 1
        self._conn_handle = FakeConnection._handles[0]

    def is_connected(self):
        return self.connected

    async def exchange_mtu(self, mtu=None, timeout_ms=1000):
        self.mtu = min(mtu or 23, self.central_mtu)
        return self.mtu

    async def disconnected(self, timeout_ms=60000, disconnect=False):
        if disconnect:
            self.drop()
        await self._gone.wait()

    async def disconnect(self, timeout_ms=2000):
        self.drop()

    async def pair(self, *args, **kwargs):
        self.pairs.append(kwargs)

    # -- the central's side

    def _receive(self, kind, ch, data):
        data = bytes(data)[:self.mtu - 3]
        if kind == "notify":
            self.notified.append((ch.uuid.value, data))
            if self.on_notify:
                self.on_notify(ch.uuid.value, data)
        else:
            self.indicated.append(data)

    def _send_indication(self, ch, data=None):
        """An indication; confirmed (when `confirm`), it is done and NimBLE sends
        the next marked value as an indication."""
        self._receive("indicate", ch, ch.value if data is None else data)
        if not self.confirm:
            self._outstanding.append(ch._value_handle)
            return
        core.deliver(core.IRQ_GATTS_INDICATE_DONE, (self._conn_handle, ch._value_handle, 0))
        if self._marked and self.connected:  # the first marked in the table's order
            handle = min(self._marked)
            self._marked.remove(handle)
            self._send_indication(_by_handle[handle])

    def drop(self):
        """The link is lost: outstanding indications end with an error, then the disconnect."""
        if self.connected:
            self.connected = False
            FakeConnection.live.remove(self)
            for handle in self._outstanding:
                core.deliver(core.IRQ_GATTS_INDICATE_DONE, (self._conn_handle, handle, STATUS_LINK_LOST))
            del self._outstanding[:]
            core.deliver(core.IRQ_CENTRAL_DISCONNECT, self._conn_handle)

    def subscribe(self, characteristic, notify=True, indicate=False):
        """The central writes the characteristic's CCCD: 0, or the ATT error. The
        stack keeps it; nothing reaches the IRQ handler."""
        handle = characteristic._value_handle
        bits = (1 if notify else 0) | (2 if indicate else 0)
        offered = (1 if characteristic.flags & FLAG_NOTIFY else 0) | (2 if characteristic.flags & FLAG_INDICATE else 0)
        if bits & ~offered:
            return ATT_REQUEST_NOT_SUPPORTED
        changed = self.cccd.get(handle, 0) != bits
        self.cccd[handle] = bits
        if handle in self._marked:
            self._marked.remove(handle)
        return ATT_INSUFFICIENT_AUTHENTICATION if changed and not bits and self.bonded else 0

    def write(self, characteristic, data):
        """A write from the central: 0 when the stack takes it, else the ATT error."""
        if characteristic.flags & FLAG_WRITE_ENCRYPTED and not self.encrypted:
            return ATT_INSUFFICIENT_AUTHENTICATION
        if len(data) > getattr(characteristic, "max_len", 512):
            return ATT_INVALID_LENGTH
        characteristic.value = bytes(data)
        core.deliver(core.IRQ_GATTS_WRITE, (self._conn_handle, characteristic._value_handle))
        return 0

    def read(self, characteristic):
        """(ATT error, value) of a read by the central."""
        if characteristic.flags & FLAG_READ_ENCRYPTED and not self.encrypted:
            return ATT_INSUFFICIENT_AUTHENTICATION, None
        code = characteristic.on_read(self)
        if code:
            return code, None
        return 0, characteristic.value


reset()

"""A fake aioble for the binding tests (MicroPython and CPython; never on a board's path).

It keeps what the binding did: `calls` (config, register_services, advertise),
the registered services with their UUIDs and flags, and, per connection, what
went to the central. A test plays the central through `FakeConnection`:
`connect(conn)` makes a pending `advertise()` return it; `conn.write(ch, data)`,
`conn.read(ch)` go through the stack's checks (the encrypted-flags, `on_read`);
`conn.drop()` loses the link. Notifications land in `conn.notified`
[(uuid value, bytes)] (and go to `conn.on_notify` if set), indications in
`conn.indicated`; `conn.full` makes the next that many notifications fail as a
full NimBLE buffer does (OSError ENOMEM).
"""
import asyncio

FLAG_READ = 0x0002
FLAG_WRITE_NO_RESPONSE = 0x0004
FLAG_WRITE = 0x0008
FLAG_NOTIFY = 0x0010
FLAG_INDICATE = 0x0020
FLAG_READ_ENCRYPTED = 0x0200
FLAG_WRITE_ENCRYPTED = 0x1000
FLAG_WRITE_CAPTURE = 0x10000
ATT_INSUFFICIENT_ENCRYPTION = 0x0F

calls = []
registered = []  # the Service objects, in registration order
_incoming = []
_waiting = []


class GattError(Exception):
    pass


class DeviceDisconnectedError(Exception):
    pass


def reset():
    """Forget everything (between tests)."""
    del calls[:]
    del registered[:]
    del _incoming[:]
    del _waiting[:]
    del FakeConnection.live[:]


def config(*args, **kwargs):
    calls.append(("config", kwargs))


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
        self.uuid = uuid
        self.flags = flags
        self.value = initial or b""
        self.handle = None
        self.writes = []  # the local database writes: (bytes, send_update)
        self._written = []
        self._write_event = asyncio.Event()

    def read(self):
        return self.value

    def write(self, data, send_update=False):
        self.value = bytes(data)
        self.writes.append((self.value, send_update))
        if send_update:
            for conn in FakeConnection.live:
                if self.handle in conn.subscribed:
                    conn.notified.append((self.uuid.value, self.value))

    def notify(self, connection, data=None):
        if not self.flags & FLAG_NOTIFY:
            raise ValueError("Not supported")
        if not connection.is_connected():
            raise ValueError("Not connected")
        if connection.full:
            connection.full -= 1
            raise OSError(12)
        sent = (self.uuid.value, bytes(self.value if data is None else data))
        connection.notified.append(sent)
        if connection.on_notify:
            connection.on_notify(*sent)

    async def indicate(self, connection, data=None, timeout_ms=1000):
        if not self.flags & FLAG_INDICATE:
            raise ValueError("Not supported")
        if not connection.is_connected():
            raise ValueError("Not connected")
        connection.indicated.append(bytes(self.value if data is None else data))
        await asyncio.sleep(0)

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
            ch.handle = handle
            handle += 1 + (1 if ch.flags & (FLAG_NOTIFY | FLAG_INDICATE) else 0)


async def advertise(interval_us, adv_data=None, resp_data=None, connectable=True, limited_disc=False,
                    br_edr=False, name=None, services=None, appearance=0, manufacturer=None, timeout_ms=None):
    calls.append(("advertise", {"interval_us": interval_us, "adv_data": bytes(adv_data or b""),
                                "resp_data": bytes(resp_data or b""), "appearance": appearance}))
    while not _incoming:
        event = asyncio.Event()
        _waiting.append(event)
        await event.wait()
    return _incoming.pop(0)


def connect(connection):
    """The test's central connects (to the pending or the next advertise)."""
    _incoming.append(connection)
    while _waiting:
        _waiting.pop(0).set()


class FakeConnection:
    """A central's connection as aioble's DeviceConnection shows it to a peripheral."""

    live = []

    def __init__(self, encrypted=True, bonded=True, central_mtu=247):
        self.encrypted = encrypted
        self.bonded = bonded
        self.authenticated = False
        self.key_size = 16 if encrypted else 0
        self.central_mtu = central_mtu
        self.mtu = None
        self.connected = True
        self.notified = []
        self.indicated = []
        self.subscribed = set()
        self.pairs = []
        self.full = 0
        self.on_notify = None  # the test's hook: on_notify(uuid value, bytes) after each notification
        self._gone = asyncio.Event()
        FakeConnection.live.append(self)

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

    def drop(self):
        """The link is lost."""
        if self.connected:
            self.connected = False
            FakeConnection.live.remove(self)
            self._gone.set()

    def subscribe(self, characteristic):
        self.subscribed.add(characteristic.handle)

    def write(self, characteristic, data):
        """A write from the central: 0 when the stack takes it, else the ATT error."""
        if characteristic.flags & FLAG_WRITE_ENCRYPTED and not self.encrypted:
            return ATT_INSUFFICIENT_ENCRYPTION
        characteristic.value = bytes(data)
        characteristic._written.append((self, bytes(data)))
        characteristic._write_event.set()
        return 0

    def read(self, characteristic):
        """(ATT error, value) of a read by the central."""
        if characteristic.flags & FLAG_READ_ENCRYPTED and not self.encrypted:
            return ATT_INSUFFICIENT_ENCRYPTION, None
        code = characteristic.on_read(self)
        if code:
            return code, None
        return 0, characteristic.value

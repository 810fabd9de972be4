"""A fake `_bleio`, CircuitPython's native BLE module, under the real adafruit_ble
(installed from PyPI) for the CircuitPython binding's tests (CPython; never on
a board's path). It follows CircuitPython's documented `_bleio` API and the
nRF port's rules:

- `adapter`: the radio. `start_advertising` takes at most 31 bytes of
  advertising data and of scan response ("Already advertising" while it
  does); a central connecting stops advertising. `adapter.name` is the GAP
  Device Name. `adapter.enabled = False` stops it; while `adapter.broken`
  (the test's switch) it refuses to advertise, enabled or not.
- `Service(uuid)` adds a service to the local GATT table (`registered`), and
  `Characteristic.add_to_service` a characteristic to the newest one.
- Setting a local characteristic's `value` checks it against `max_length`
  (ValueError), stores it, then sends it to every connected central whose
  CCCD asks for it: a notification when it subscribed to notifications, an
  indication when it subscribed to indications, nothing otherwise. A central
  can subscribe only to what the characteristic's properties offer (a CCCD
  write for indications on a notify-only characteristic is refused), and the
  CCCD's write permission is the value's read permission. What arrives is
  cut to the link's MTU - 3 (`max_packet_length`).

A test plays the central through `FakeConnection`: `connect(conn)` connects it
to the advertising adapter; `conn.subscribe(local)`, `conn.write(local, data)`,
`conn.read(local)` go through the checks above and answer 0 or the ATT error;
`conn.drop()` loses the link. Notifications land in `conn.notified`
[(uuid value, bytes)] (and go to `conn.on_notify` if set), indications in
`conn.indicated`; `conn.busy = n` makes the next n indications fail as an
unconfirmed one does. `paired` is the link's encryption (the nRF port pairs
with legacy Just Works); `pair()` succeeds when `pairable`.
"""
ATT_READ_NOT_PERMITTED = 0x02
ATT_WRITE_NOT_PERMITTED = 0x03
ATT_INSUFFICIENT_AUTHENTICATION = 0x05
ATT_INVALID_ATTRIBUTE_VALUE_LENGTH = 0x0D
ATT_CCCD_IMPROPERLY_CONFIGURED = 0xFD

calls = []
registered = []  # the local Services, in the order they were made
live = []  # the connected FakeConnections


def reset():
    """Forget everything (between tests)."""
    global adapter
    del calls[:]
    del registered[:]
    del live[:]
    adapter = Adapter()


def local(uuid):
    """The local Characteristic of a uuid value (an int or a 128-bit string) in the table."""
    found = [c for s in registered for c in s.characteristics if c.uuid.value == uuid]
    assert len(found) == 1, (uuid, found)
    return found[0]


class UUID:
    """A 16-bit number, a 128-bit UUID string, or its 16 bytes (little-endian)."""

    def __init__(self, value):
        if isinstance(value, (bytes, bytearray)):
            digits = bytes(value)[::-1].hex()
            value = "%s-%s-%s-%s-%s" % (digits[:8], digits[8:12], digits[12:16], digits[16:20], digits[20:])
        self.value = value.lower() if isinstance(value, str) else value
        self.size = 128 if isinstance(self.value, str) else 16

    @property
    def uuid16(self):
        return self.value if self.size == 16 else int(self.value[4:8], 16)

    @property
    def uuid128(self):
        return bytes.fromhex(self.value.replace("-", ""))[::-1]

    def pack_into(self, buffer, offset=0):
        raw = self.uuid128 if self.size == 128 else self.value.to_bytes(2, "little")
        buffer[offset:offset + len(raw)] = raw

    def __eq__(self, other):
        return isinstance(other, UUID) and self.value == other.value

    def __hash__(self):
        return hash(self.value)


class Attribute:
    NO_ACCESS = 0x00
    OPEN = 0x01
    ENCRYPT_NO_MITM = 0x02
    ENCRYPT_WITH_MITM = 0x03
    LESC_ENCRYPT_WITH_MITM = 0x04
    SIGNED_NO_MITM = 0x05
    SIGNED_WITH_MITM = 0x06


def _refused(perm, connection):
    """0 when the link meets the security mode, else the ATT error."""
    if perm == Attribute.OPEN:
        return 0
    if perm == Attribute.ENCRYPT_NO_MITM:
        return 0 if connection.paired else ATT_INSUFFICIENT_AUTHENTICATION
    return ATT_INSUFFICIENT_AUTHENTICATION  # no MITM or signing on a Just Works link


class Service:
    def __init__(self, uuid, *, secondary=False):
        self.uuid = uuid
        self.secondary = secondary
        self.remote = False
        self.characteristics = []
        registered.append(self)


class Characteristic:
    BROADCAST = 0x01
    INDICATE = 0x02
    NOTIFY = 0x04
    READ = 0x08
    WRITE = 0x10
    WRITE_NO_RESPONSE = 0x20

    def __init__(self, service, uuid, properties, read_perm, write_perm, max_length, fixed_length, initial_value):
        self.service = service
        self.uuid = uuid
        self.properties = properties
        self.read_perm = read_perm
        self.write_perm = write_perm
        self.max_length = max_length
        self.fixed_length = fixed_length
        self._value = bytes(initial_value or b"")
        self.sets = []  # every value set locally

    @classmethod
    def add_to_service(cls, service, uuid, *, properties=0, read_perm=Attribute.OPEN, write_perm=Attribute.OPEN,
                       max_length=20, fixed_length=False, initial_value=None, user_description=None):
        if service is not registered[-1]:
            raise RuntimeError("characteristics go into the newest service only (the SoftDevice's rule)")
        ch = cls(service, uuid, properties, read_perm, write_perm, max_length, fixed_length, initial_value)
        service.characteristics.append(ch)
        return ch

    @property
    def value(self):
        return self._value

    @value.setter
    def value(self, data):
        data = bytes(data)
        if self.fixed_length and len(data) != self.max_length:
            raise ValueError("Value length != required fixed length")
        if len(data) > self.max_length:
            raise ValueError("Value length > max_length")
        self._value = data
        self.sets.append(data)
        for connection in list(live):
            connection._updated(self, data)


class Address:
    def __init__(self, address, address_type=0):
        self.address_bytes = bytes(address)
        self.type = address_type


class Adapter:
    def __init__(self):
        self.name = "CIRCUITPY4a2c"
        self.address = Address(b"\x01\x02\x03\x04\x05\x06")
        self.advertising = False
        self.connectable = False
        self.broken = False
        self._enabled = True

    @property
    def enabled(self):
        return self._enabled

    @enabled.setter
    def enabled(self, on):
        calls.append(("enabled", bool(on)))
        self._enabled = bool(on)
        if not on:
            self.advertising = False

    def start_advertising(self, data, *, scan_response=None, connectable=True, anonymous=False, timeout=0,
                          interval=0.1, tx_power=0, directed_to=None):
        if self.broken or not self._enabled:
            raise RuntimeError("the adapter does not advertise")
        if self.advertising:
            raise RuntimeError("Already advertising")
        if not 0.02 <= interval <= 10.24:  # as CircuitPython's shared-bindings check it
            raise ValueError("interval must be in range 0.0200-10.24")
        data, resp = bytes(data), bytes(scan_response or b"")
        if len(data) > 31 or len(resp) > 31:
            raise ValueError("Data too large for advertisement packet")
        calls.append(("start_advertising", {"adv": data, "resp": resp, "connectable": connectable,
                                            "interval": interval, "timeout": timeout}))
        self.advertising = True
        self.connectable = connectable

    def stop_advertising(self):
        calls.append(("stop_advertising",))
        self.advertising = False

    @property
    def connected(self):
        return bool(live)

    @property
    def connections(self):
        return tuple(live)


adapter = Adapter()


def connect(connection, stray=False):
    """The test's central connects to the advertising adapter; `stray`: a link that
    turns up anyway (the binding must not serve two)."""
    if not stray:
        assert adapter.advertising and adapter.connectable, "nobody advertises connectable"
        adapter.advertising = False  # the stack stops advertising on a connection
    connection._connected = True
    live.append(connection)


class FakeConnection:
    """A central's connection as _bleio.Connection shows it, and the central's side."""

    def __init__(self, paired=True, pairable=True, mtu=247):
        self._connected = False
        self.paired = paired
        self.pairable = pairable
        self.max_packet_length = mtu - 3
        self.connection_interval = 30.0
        self.pairs = []
        self.cccd = {}  # local Characteristic -> bits: 1 notify, 2 indicate
        self.notified = []
        self.indicated = []
        self.busy = 0
        self.on_notify = None  # the test's hook: on_notify(uuid value, bytes) after each notification

    @property
    def connected(self):
        return self._connected

    def pair(self, *, bond=True):
        calls.append(("pair", bond))
        self.pairs.append(bond)
        if not self.pairable:
            raise RuntimeError("pairing failed")
        self.paired = True

    def disconnect(self):
        calls.append(("disconnect",))
        self.drop()

    def discover_remote_services(self, service_uuids_whitelist=None):
        return ()

    # -- what the stack does for this link

    def _updated(self, local, data):
        bits = self.cccd.get(local, 0)
        data = data[:self.max_packet_length]
        if bits & 1:
            self.notified.append((local.uuid.value, data))
            if self.on_notify:
                self.on_notify(local.uuid.value, data)
        if bits & 2:
            if self.busy:
                self.busy -= 1
                raise OSError("Failed to notify or indicate attribute value, err 0x0011")
            self.indicated.append(data)

    # -- the central's side

    def drop(self):
        """The link is lost."""
        if self._connected:
            self._connected = False
            live.remove(self)

    def subscribe(self, local, indicate=False):
        """Write the CCCD: 0, or the ATT error."""
        wanted = Characteristic.INDICATE if indicate else Characteristic.NOTIFY
        if not local.properties & wanted:
            return ATT_CCCD_IMPROPERLY_CONFIGURED
        code = _refused(local.read_perm, self)  # the CCCD's write permission is the value's read permission
        if not code:
            self.cccd[local] = self.cccd.get(local, 0) | (2 if indicate else 1)
        return code

    def write(self, local, data):
        """A write request: 0, or the ATT error."""
        if not local.properties & Characteristic.WRITE or local.write_perm == Attribute.NO_ACCESS:
            return ATT_WRITE_NOT_PERMITTED
        code = _refused(local.write_perm, self)
        if code:
            return code
        if len(data) > local.max_length:
            return ATT_INVALID_ATTRIBUTE_VALUE_LENGTH
        local._value = bytes(data)
        return 0

    def read(self, local):
        """(0, value) or (ATT error, None)."""
        if not local.properties & Characteristic.READ or local.read_perm == Attribute.NO_ACCESS:
            return ATT_READ_NOT_PERMITTED, None
        code = _refused(local.read_perm, self)
        return (code, None) if code else (0, local.value)

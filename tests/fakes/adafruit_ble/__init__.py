"""A fake adafruit_ble for the CircuitPython binding's tests (CPython; never on a board's path).

It keeps what the binding did: `calls` (start_advertising with the bytes sent,
stop_advertising, pair), the radios made (`radios`), the local GATT table
(`services.registered`: LocalService, each with its LocalCharacteristic list).
A test plays the central through `FakeConnection`: `connect(conn)` makes it
connect to the advertising radio (the stack stops advertising, as the nRF's
does); `conn.subscribe(ch)`, `conn.write(ch, data)`, `conn.read(ch)` go through
the stack's checks (the characteristic's properties, its read/write
permissions, the CCCD's write permission being the read permission, the
length) and answer 0 or the ATT error; `conn.drop()` loses the link.
Notifications land in `conn.notified` [(uuid value, bytes)] (and go to
`conn.on_notify` if set), indications in `conn.indicated`; `conn.busy = n`
makes the next n indications fail as an unconfirmed one does. `paired` is
the link's encryption; `pair()` succeeds when `pairable`.
"""
from . import services
from .advertising import Advertisement  # noqa: F401  (as the library exports it)
from .attributes import Attribute
from .characteristics import Characteristic
from .services import Service  # noqa: F401

ATT_READ_NOT_PERMITTED = 0x02
ATT_WRITE_NOT_PERMITTED = 0x03
ATT_INSUFFICIENT_AUTHENTICATION = 0x05
ATT_INVALID_ATTRIBUTE_VALUE_LENGTH = 0x0D

calls = []
radios = []
live = []  # the connected FakeConnections


def reset():
    """Forget everything (between tests)."""
    del calls[:]
    del radios[:]
    del live[:]
    del services.registered[:]


def local(uuid):
    """The LocalCharacteristic of a uuid value (an int or a 128-bit string) in the table."""
    found = [c for s in services.registered for c in s.characteristics if c.uuid.value == uuid]
    assert len(found) == 1, (uuid, found)
    return found[0]


def _refused(perm, connection):
    """0 when the link meets the security mode, else the ATT error."""
    if perm == Attribute.OPEN:
        return 0
    if perm == Attribute.ENCRYPT_NO_MITM:
        return 0 if connection.paired else ATT_INSUFFICIENT_AUTHENTICATION
    return ATT_INSUFFICIENT_AUTHENTICATION  # no MITM or signing on a Just Works link


class BLERadio:
    def __init__(self, adapter=None):
        self._advertising = False
        self.connectable = False
        self.name = "CIRCUITPY4a2c"
        radios.append(self)

    def start_advertising(self, advertisement, scan_response=None, interval=0.1, timeout=None):
        if self._advertising:
            raise RuntimeError("Already advertising")
        adv = bytes(advertisement)
        if not scan_response and len(adv) <= 31:  # the library's default scan response
            scan_response = Advertisement()
            scan_response.complete_name = self.name
        resp = bytes(scan_response) if scan_response else b""
        if len(adv) > 31 or len(resp) > 31:
            raise ValueError("Data too large for advertisement packet")
        calls.append(("start_advertising", {"adv": adv, "resp": resp, "connectable": advertisement.connectable,
                                            "interval": interval, "timeout": timeout}))
        self._advertising = True
        self.connectable = advertisement.connectable

    def stop_advertising(self):
        calls.append(("stop_advertising",))
        self._advertising = False

    @property
    def advertising(self):
        return self._advertising

    @property
    def connected(self):
        return bool(live)

    @property
    def connections(self):
        return tuple(live)


def connect(connection, stray=False):
    """The test's central connects to the advertising radio; `stray`: a link that
    turns up anyway (the binding must not serve two)."""
    if not stray:
        radio = radios[-1]
        assert radio.advertising and radio.connectable, "nobody advertises connectable"
        radio._advertising = False  # the stack stops advertising on a connection
    connection._connected = True
    live.append(connection)


class FakeConnection:
    """A central's connection as adafruit_ble's BLEConnection shows it, and the central's side."""

    def __init__(self, paired=True, pairable=True):
        self._connected = False
        self.paired = paired
        self.pairable = pairable
        self.pairs = []
        self.cccd = {}  # LocalCharacteristic -> bits: 1 notify, 2 indicate
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

    # -- what the stack does for this link

    def _updated(self, local, data):
        bits = self.cccd.get(local, 0)
        if local.properties & Characteristic.NOTIFY and bits & 1:
            self.notified.append((local.uuid.value, data))
            if self.on_notify:
                self.on_notify(local.uuid.value, data)
        if local.properties & Characteristic.INDICATE and bits & 2:
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
            return ATT_WRITE_NOT_PERMITTED
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

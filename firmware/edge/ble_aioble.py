"""The BLE link on MicroPython boards (ESP32): gatt.py's table served through aioble.

    link = Link(service, "Insole L")   # service: an insole.service.InsoleService
    link.register()                    # once, before asyncio runs the link
    asyncio.create_task(link.run())    # advertise, serve one central, advertise again

One central at a time. Per connection: the MTU is exchanged up to 247 (a
record notification is 55 bytes, an AUTH_PROOF write 49); pairing is LE
Secure Connections, Just Works, with bonding, and aioble keeps the bonds in a
JSON file on the flash (`secrets`); a link loss ends the session and the link
goes back to advertising. Separate asyncio tasks serve the control point
(written -> InsoleService.control_write -> indicate), the record stream (one
record per notification, after a REQUEST_RECORDS), the alert events, the
Status and, to anyone, the RSC cadence and the battery level. None of this
runs in the sampling path: the tasks read the device's state between samples.

Access (gatt.py): the insole service's values need an encrypted link
(_FLAG_*_ENCRYPTED: the stack answers Insufficient Encryption); Status reads
also need a bonded link (else Insufficient Authentication) and a session (else
Insufficient Authorization), answered by `on_read` where the port delivers
read requests; for ports that do not, the Status value in the local database
is kept empty while the link may not see it.
Status, Alerts and Records notifications go out only when `allowed`.
"""
import asyncio

import aioble
import aioble.security  # its IRQ handler keeps the bonds (and the link's encryption state)
import bluetooth

from edge.clock import Monotonic
from insole import gatt, protocol

ADV_INTERVAL_US = 1_022_500  # slow (Apple BLE guidelines list 1022.5 ms): only without a central
MTU = 247
SECRETS = "ble_secrets.json"
_IO_NO_INPUT_OUTPUT = 3
_FLAG_READ_ENCRYPTED = 0x0200
_FLAG_WRITE_ENCRYPTED = 0x1000
_ATT_INSUFFICIENT_AUTHENTICATION = 0x05
_ATT_INSUFFICIENT_AUTHORIZATION = 0x08
_CONTROL_MAX = 64  # the longest write (a custom SET_SCHEDULE: 15 + 32 rest days = 48) and then some
_RETRY_S = 0.02    # the stack's buffers are full: try the notification again after this


def session_clock():
    """The auth session's clock: MicroPython's time.ticks_ms folded."""
    return Monotonic()


def _uuid(uuid):
    return bluetooth.UUID(uuid)


class _Guarded(aioble.Characteristic):
    """A characteristic whose remote reads the link's access level decides."""

    def __init__(self, link, spec, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.link = link
        self.spec = spec

    def on_read(self, connection):
        if not self.link.allowed(self.spec, connection):
            return _ATT_INSUFFICIENT_AUTHORIZATION if self.link.secure(connection) else _ATT_INSUFFICIENT_AUTHENTICATION
        if self.spec is gatt.STATUS:
            self.write(self.link.service.status_bytes())
        return 0


class Link:
    """Serves one InsoleService over aioble; `run()` loops for ever."""

    def __init__(self, service, name, secrets=SECRETS, status_s=2, rsc_s=1, battery_s=60, alert_s=1,
                 pair_after_s=1, adv_interval_us=ADV_INTERVAL_US):
        gatt.advertising_data(name)  # check the name now, not when advertising starts
        self.service = service
        self.name = name
        self.secrets = secrets
        self.status_s = status_s
        self.rsc_s = rsc_s
        self.battery_s = battery_s
        self.alert_s = alert_s
        self.pair_after_s = pair_after_s
        self.adv_interval_us = adv_interval_us
        self.connection = None
        self.records_due = asyncio.Event()
        self.chars = {}
        self.services = []
        for spec in gatt.SERVICES:
            svc = aioble.Service(_uuid(spec.uuid))
            for c in spec.characteristics:
                self.chars[c.name] = self._characteristic(svc, c)
            self.services.append(svc)

    def _characteristic(self, svc, c):
        kw = {"read": bool(c.flags & gatt.READ), "write": bool(c.flags & gatt.WRITE),
              "notify": bool(c.flags & gatt.NOTIFY), "indicate": bool(c.flags & gatt.INDICATE)}
        if c.flags & gatt.WRITE:
            # captured, so each write arrives with its own bytes; a buffer for the longest command
            ch = aioble.BufferedCharacteristic(svc, _uuid(c.uuid), capture=True, max_len=_CONTROL_MAX, **kw)
        elif c.access != gatt.OPEN and c.flags & gatt.READ:
            ch = _Guarded(self, c, svc, _uuid(c.uuid), **kw)
        else:
            ch = aioble.Characteristic(svc, _uuid(c.uuid), **kw)
        if c.access != gatt.OPEN:
            if c.flags & gatt.READ:
                ch.flags |= _FLAG_READ_ENCRYPTED
            if c.flags & gatt.WRITE:
                ch.flags |= _FLAG_WRITE_ENCRYPTED
        return ch

    def register(self):
        """Load the bonds, set pairing and MTU, register the table, fill the fixed values."""
        aioble.security.load_secrets(self.secrets)
        aioble.config(bond=True, le_secure=True, mitm=False, io=_IO_NO_INPUT_OUTPUT, mtu=MTU)
        aioble.register_services(*self.services)
        for spec in gatt.SERVICES:
            for c in spec.characteristics:
                if c.flags & gatt.READ and c.access == gatt.OPEN:
                    self.chars[c.name].write(self.service.read(c))
        self.chars["status"].write(b"")

    # -- access

    @staticmethod
    def secure(connection):
        """Encrypted with a bonded key (the stack was set to LE Secure Connections)."""
        return bool(connection is not None and connection.is_connected() and connection.encrypted
                    and connection.bonded)

    def allowed(self, spec, connection):
        return connection is self.connection and self.service.allowed(spec, self.secure(connection))

    # -- the connection loop

    async def run(self):
        """Advertise; serve the central that connects; when it leaves, advertise again."""
        adv = gatt.advertising_data(self.name)
        resp = gatt.scan_response_data(self.name)
        while True:
            connection = await aioble.advertise(self.adv_interval_us, adv_data=adv, resp_data=resp,
                                                appearance=gatt.APPEARANCE)
            await self.serve(connection)

    async def serve(self, connection):
        """One connection, until it is lost."""
        self.connection = connection
        self.service.on_connect()
        self.records_due.clear()
        tasks = [asyncio.create_task(t) for t in (
            self._mtu(connection), self._security(connection), self._control(connection),
            self._records(connection), self._alerts(connection), self._status(connection),
            self._rsc(connection), self._battery(connection))]
        try:
            await connection.disconnected(timeout_ms=None)
        finally:
            for t in tasks:
                t.cancel()
            self.connection = None
            self.service.on_disconnect()
            self.chars["status"].write(b"")
            await asyncio.sleep(0)  # let the cancelled tasks unwind

    async def _mtu(self, connection):
        try:
            await connection.exchange_mtu(MTU)
        except Exception:  # the central may have exchanged it first, or refuse: 23 still serves Status
            pass

    async def _security(self, connection):
        """Ask for security if the central has not encrypted the link within
        `pair_after_s`: a bonded central re-encrypts, a new one pairs (LE Secure
        Connections, Just Works, bonding)."""
        await asyncio.sleep(self.pair_after_s)
        if connection.is_connected() and not connection.encrypted:
            try:
                await connection.pair(bond=True, le_secure=True, mitm=False, io=_IO_NO_INPUT_OUTPUT)
            except Exception:
                pass

    async def _control(self, connection):
        control = self.chars["control"]
        while connection.is_connected():
            got = await control.written()
            if not got:
                continue
            who, data = got
            if who is not connection:
                continue
            answer = self.service.control_write(data, self.secure(connection))
            try:
                await control.indicate(connection, answer, timeout_ms=2000)
            except Exception:
                continue
            if answer[0] == protocol.RESPONSE_BIT | protocol.REQUEST_RECORDS and answer[1] == protocol.OK:
                self.records_due.set()

    async def _notify(self, ch, connection, data):
        """Notify, waiting while the stack's buffers are full; False once the link is gone."""
        while connection.is_connected():
            try:
                ch.notify(connection, data)
                return True
            except OSError:
                await asyncio.sleep(_RETRY_S)
        return False

    async def _records(self, connection):
        records = self.chars["records"]
        while connection.is_connected():
            await self.records_due.wait()
            self.records_due.clear()
            await self.service.send_records(lambda data: self._notify(records, connection, data),
                                            lambda: self.allowed(gatt.RECORDS, connection))

    async def _alerts(self, connection):
        alerts = self.chars["alerts"]
        while connection.is_connected():
            while self.allowed(gatt.ALERTS, connection):
                data = self.service.next_alert()
                if data is None or not await self._notify(alerts, connection, data):
                    break
            await asyncio.sleep(self.alert_s)

    async def _status(self, connection):
        status = self.chars["status"]
        last = None
        while connection.is_connected():
            if self.allowed(gatt.STATUS, connection):
                value = self.service.status_bytes()
                if value != last:
                    status.write(value)
                    await self._notify(status, connection, value)
                    last = value
            elif last is not None:
                status.write(b"")
                last = None
            await asyncio.sleep(self.status_s)

    async def _rsc(self, connection):
        rsc = self.chars["rsc_measurement"]
        while connection.is_connected():
            rsc.write(self.service.rsc_bytes(), True)  # to a subscribed central only
            await asyncio.sleep(self.rsc_s)

    async def _battery(self, connection):
        battery = self.chars["battery_level"]
        last = None
        while connection.is_connected():
            value = self.service.battery_bytes()
            if value != last:
                battery.write(value, True)
                last = value
            await asyncio.sleep(self.battery_s)

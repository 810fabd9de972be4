"""The BLE link on CircuitPython (nRF52840): gatt.py's table served through adafruit_ble.

    link = Link(service, "Insole L")   # service: an insole.service.InsoleService
    link.register()                    # once, before asyncio runs the link
    asyncio.create_task(link.run())    # advertise, serve one central, advertise again

The structure and behaviour of edge/ble_aioble.py, within what adafruit_ble
offers. One central at a time: the stack stops advertising when a central
connects, the link advertises again only once it has gone, and any other
connection that turns up meanwhile is dropped (a value set here goes to every
subscribed connection). Separate asyncio tasks serve the control point, the
record stream (one record per notification, after a REQUEST_RECORDS), the
alert events, the Status and, to anyone, the RSC cadence and the battery
level; none of them runs in the sampling path.

Where it differs from aioble, because of what adafruit_ble offers:

- Services come from gatt.SERVICES as adafruit_ble Service classes, one
  Characteristic per gatt.py entry (properties mapped to adafruit_ble's own
  bit values). adafruit_ble binds a service's characteristics in dir() order,
  so their order in the table (not their UUIDs) may differ from gatt.py's.
- Access: the insole service's characteristics need an encrypted link
  (Attribute.ENCRYPT_NO_MITM); read_perm is also the write permission of the
  CCCD, so subscribing needs it too. The stack answers Insufficient
  Authentication on an unencrypted link. There is no read callback: the
  Status value in the table holds the status only while the link may see it
  (bonded link and session), refreshed every `status_s` and after each
  command; before that it is empty, so a read without a session gets 0 bytes
  instead of the ATT error Insufficient Authorization. When a session ends the
  last value stays until the link goes (the same central already had it;
  clearing it would notify an empty Status). On a link loss the Status, Alerts,
  Records and control point values are cleared before advertising resumes.
- Writes: CircuitPython has no write callback, so the control point's value is
  polled every `control_s`. The answer to a write is set as the control
  point's value, which the stack sends as an indication to a central that
  subscribed to them (as the host does at connect); a value that differs from
  the last answer is a new write, so the same command written twice gets two
  answers. One command at a time: a host that writes again before the answer
  may overwrite the first write (the host waits for each answer), and a write
  whose bytes equal the last answer goes unanswered (so does an empty write
  as a connection's first). An indication the stack refuses (the previous one
  unconfirmed) is retried for `indicate_s`; one never sent leaves the write
  unanswered, and a record stream it would have counted is dropped.
- Notifications (Status, Alerts, Records, RSC, battery) are set values: the
  stack notifies a central that subscribed, and nobody else; nothing is
  indicated but the control point's answers (only the control point has the
  indicate property, so a central cannot ask for more). A record or an alert
  sent to a central that did not subscribe is lost (the host subscribes to
  Records, Status and Alerts at connect). While the stack's buffers are full,
  setting a value waits inside CircuitPython instead of failing.
- MTU: adafruit_ble does not exchange it; CircuitPython answers the central's
  Exchange MTU request (the host transports ask for 247). Every value fits
  MTU 23 but a record and its tag (63 bytes), which go out in notifications of
  the connection's `max_packet_length` (MTU - 3).
- Pairing: CircuitPython's nRF port pairs with legacy "Just Works" (neither LE
  Secure Connections nor passkey entry are implemented there) and bonds,
  keeping the bonds in its own flash area: this is the runtime that stays on
  Just Works, so a provisioned passkey is not used here. `secure` is
  `connection.paired`: the link is encrypted; it cannot tell a bonded key
  from a pairing without bonding. If the central has not encrypted the link
  within `pair_after_s`, `connection.pair()` is asked for; it blocks the event
  loop (sampling too) until pairing ends.
- Last resort: when the link has been neither advertising nor connected for
  `dead_s` (30 s), the adapter is switched off and on (`_bleio.adapter.enabled`),
  then, if that did not help, the board is reset.
- Advertising: the exact bytes of gatt.advertising_data and
  gatt.scan_response_data (flags, appearance 0x0441, the insole service UUID,
  the name; the complete name and 0x1814 in the scan response) through an
  Advertisement whose bytes are given; the GAP device name is the name.
  The fast stage ends on the link's own clock, in the loop that polls for a
  central: advertising is stopped and started again at the slow interval.
"""
import asyncio

import _bleio
from adafruit_ble import BLERadio
from adafruit_ble.advertising import Advertisement
from adafruit_ble.attributes import Attribute
from adafruit_ble.characteristics import Characteristic
from adafruit_ble.services import Service
from adafruit_ble.uuid import StandardUUID, VendorUUID
from adafruit_ticks import ticks_diff, ticks_ms

from edge.clock import LastResort, Monotonic
from insole import gatt, protocol
from insole.compat import log_exception

DEAD_S = 30       # neither advertising nor connected this long: restart the adapter, then the board
CONTROL_MAX = 64  # the longest write (a sealed custom SET_SCHEDULE: 48 + 12) and then some
_RETRY_S = 0.02   # the stack refused a value (an indication unconfirmed): try again after this
# the longest value of each characteristic that changes; the fixed ones are as long as their value
LENGTHS = {
    "rsc_measurement": protocol.size(protocol.RSC_LAYOUT),
    "battery_level": 1,
    "status": protocol.size(protocol.STATUS_LAYOUT),
    "alerts": protocol.size(protocol.ALERT_LAYOUT),
    "records": protocol.UNIT_SIZE,
    "control": CONTROL_MAX,
}
_PROPERTIES = ((gatt.READ, Characteristic.READ), (gatt.WRITE, Characteristic.WRITE),
               (gatt.NOTIFY, Characteristic.NOTIFY), (gatt.INDICATE, Characteristic.INDICATE))


def session_clock():
    """The auth session's clock: adafruit_ticks folded."""
    return Monotonic(ticks_ms, ticks_diff)


def _board_reset():
    import microcontroller
    microcontroller.reset()


def _uuid(uuid):
    return StandardUUID(uuid) if isinstance(uuid, int) else VendorUUID(uuid)


class RawAdvertisement(Advertisement):
    """An advertising payload given as its bytes: BLERadio.start_advertising sends
    bytes(advertisement), connectable when `connectable` says so."""

    def __init__(self, data):
        super().__init__()
        self.raw = bytes(data)
        self.connectable = True

    def __bytes__(self):
        return self.raw

    def __len__(self):  # start_advertising replaces an empty scan response with its own
        return len(self.raw)


class Link:
    """Serves one InsoleService over adafruit_ble; `run()` loops for ever."""

    def __init__(self, service, name, status_s=2, rsc_s=1, battery_s=60, alert_s=1, pair_after_s=1,
                 control_s=0.02, poll_s=0.1, indicate_s=2, advertising=gatt.advertising_intervals({}),
                 dead_s=DEAD_S, reset=_board_reset):
        self.adv = RawAdvertisement(gatt.advertising_data(name))  # checks the name now
        self.resp = RawAdvertisement(gatt.scan_response_data(name))
        self.service = service
        self.name = name
        self.status_s = status_s
        self.rsc_s = rsc_s
        self.battery_s = battery_s
        self.alert_s = alert_s
        self.pair_after_s = pair_after_s
        self.control_s = control_s
        self.poll_s = poll_s
        self.indicate_s = indicate_s
        self.advertising = advertising
        self.dead_s = dead_s
        self.reset = reset
        self.restarts = 0
        self.radio = None
        self.connection = None
        self.records_due = asyncio.Event()
        self._status_last = None
        self.chars = {}     # gatt name -> its adafruit_ble Characteristic
        self._owner = {}    # gatt name -> the Service instance that holds it (after register)
        self.classes = []
        for spec in gatt.SERVICES:
            attrs = {"uuid": _uuid(spec.uuid)}
            for c in spec.characteristics:
                attrs[c.name] = self.chars[c.name] = self._characteristic(c)
            self.classes.append(type("Insole_" + spec.name, (Service,), attrs))
        self.services = []

    def _characteristic(self, c):
        properties = 0
        for bit, prop in _PROPERTIES:
            if c.flags & bit:
                properties |= prop
        perm = Attribute.OPEN if c.access == gatt.OPEN else Attribute.ENCRYPT_NO_MITM
        # read_perm also guards the CCCD: subscribing needs what reading needs
        read_perm = perm if c.flags & (gatt.READ | gatt.NOTIFY | gatt.INDICATE) else Attribute.NO_ACCESS
        write_perm = perm if c.flags & gatt.WRITE else Attribute.NO_ACCESS
        initial = self.service.read(c) if c.flags & gatt.READ and c.access == gatt.OPEN else b""
        return Characteristic(uuid=_uuid(c.uuid), properties=properties, read_perm=read_perm,
                              write_perm=write_perm, max_length=LENGTHS.get(c.name, len(initial)) or 1,
                              initial_value=initial)

    def register(self):
        """Take the radio, name it, add the services (with their fixed values) to the table."""
        self.radio = BLERadio()
        self.radio.name = self.name
        self.services = [cls() for cls in self.classes]
        for svc, spec in zip(self.services, gatt.SERVICES):
            for c in spec.characteristics:
                self._owner[c.name] = svc

    def _get(self, name):
        return bytes(getattr(self._owner[name], name))

    def _set(self, name, data):
        """The local value; the stack notifies or indicates it to a subscribed central."""
        setattr(self._owner[name], name, data)

    def _clear(self):
        for name in ("status", "alerts", "records", "control"):
            try:
                self._set(name, b"")
            except Exception:
                pass
        self._status_last = None

    # -- access

    @staticmethod
    def secure(connection):
        """Encrypted (CircuitPython's nRF port pairs with legacy Just Works and bonds)."""
        return bool(connection is not None and connection.connected and connection.paired)

    def allowed(self, spec, connection):
        return connection is self.connection and self.service.allowed(spec, self.secure(connection))

    # -- the connection loop

    async def run(self):
        """Advertise; serve the central that connects; when it leaves, advertise again."""
        while True:
            connection = await self._connected()
            await self.serve(connection)

    async def _connected(self):
        """Advertise until a central connects (the stack stops advertising then): at
        the fast interval for the fast stage (`advertising`,
        gatt.advertising_intervals), then, started again, at the slow one. Last
        resort: neither advertising nor connected for `dead_s`, the adapter is
        switched off and on; if that does not bring advertising back, `reset()`
        (the board's microcontroller.reset) runs."""
        radio = self.radio
        clock_ms = self.service.clock_ms
        # its clock reads also keep a folded ticks clock folded while nobody is connected
        last_resort = LastResort(clock_ms, self.dead_s, self.restart, self.reset)
        fast_us, fast_ms, slow_us = self.advertising
        start = clock_ms()
        interval = None  # the interval this loop started advertising at
        while True:
            for connection in radio.connections:
                if connection.connected:
                    return connection
            want = fast_us if clock_ms() - start < fast_ms else slow_us
            try:
                if radio.advertising and interval != want:
                    radio.stop_advertising()  # the fast stage is over
                if not radio.advertising:
                    radio.start_advertising(self.adv, scan_response=self.resp, interval=want / 1000000)
                    interval = want
            except Exception as e:
                log_exception("BLE advertising", e)
            last_resort.check(radio.advertising)
            await asyncio.sleep(self.poll_s)

    def restart(self):
        """Switch the BLE adapter off and on (the table and the bonds stay)."""
        self.restarts += 1
        try:
            _bleio.adapter.enabled = False
            _bleio.adapter.enabled = True
        except Exception as e:
            log_exception("BLE restart", e)

    async def serve(self, connection):
        """One connection, until it is lost."""
        self.connection = connection
        self.service.on_connect()
        self.records_due.clear()
        self._status_last = None
        tasks = [asyncio.create_task(t) for t in (
            self._security(connection), self._control(connection), self._records(connection),
            self._alerts(connection), self._status(connection), self._rsc(connection),
            self._battery(connection))]
        try:
            while connection.connected:
                for other in self.radio.connections:
                    if other is not connection:  # one central at a time
                        other.disconnect()
                await asyncio.sleep(self.poll_s)
        finally:
            for t in tasks:
                t.cancel()
            self.connection = None
            self.service.on_disconnect()
            self._clear()  # before advertising again: nobody is there to be notified
            await asyncio.sleep(0)  # let the cancelled tasks unwind

    async def _security(self, connection):
        """Ask for pairing if the central has not encrypted the link within
        `pair_after_s`: a bonded central re-encrypts by itself, a new one pairs."""
        await asyncio.sleep(self.pair_after_s)
        if connection.connected and not connection.paired:
            try:
                connection.pair(bond=True)
            except Exception:
                pass

    async def _control(self, connection):
        """Poll the control point: a value other than the last answer is a new write.
        The value is empty when a connection starts (cleared after the last), so a
        write that lands before this task first runs is still seen."""
        answered = b""
        while connection.connected:
            data = self._get("control")
            if data != answered:
                answer = self.service.control_write(data, self.secure(connection))
                stream = protocol.starts_stream(answer)
                if await self._send(connection, "control", answer, self.indicate_s):
                    answered = answer
                    self._update_status(connection)
                    if stream:
                        self.records_due.set()
                else:  # unanswered: never act on the same write twice, nor stream uncounted records
                    answered = self._get("control")
                    if stream:
                        self.service.stop_records()
            await asyncio.sleep(self.control_s)

    async def _send(self, connection, name, data, timeout_s=None):
        """Set a value to notify or indicate, again while the stack refuses it;
        False once the link is gone (or after `timeout_s`)."""
        waited = 0
        while connection.connected:
            try:
                self._set(name, data)
                return True
            except Exception:
                if timeout_s is not None and waited >= timeout_s:
                    return False
                await asyncio.sleep(_RETRY_S)
                waited += _RETRY_S
        return False

    @staticmethod
    def payload_max(connection):
        """The longest value one notification carries on this link (MTU - 3)."""
        return getattr(connection._bleio_connection, "max_packet_length", protocol.PAYLOAD_MIN)

    async def _records(self, connection):
        while connection.connected:
            await self.records_due.wait()
            self.records_due.clear()
            await self.service.send_records(lambda data: self._send(connection, "records", data, self.indicate_s),
                                            lambda: self.allowed(gatt.RECORDS, connection),
                                            self.payload_max(connection))

    async def _alerts(self, connection):
        while connection.connected:
            while self.allowed(gatt.ALERTS, connection):
                data = self.service.next_alert()
                if data is None or not await self._send(connection, "alerts", data, self.indicate_s):
                    break
            await asyncio.sleep(self.alert_s)

    def _update_status(self, connection):
        """Set (and so notify) the Status when it changed, while the link may see it."""
        if not self.allowed(gatt.STATUS, connection):
            return
        value = self.service.status_bytes()
        if value != self._status_last:
            try:
                self._set("status", value)
                self._status_last = value
            except Exception:
                pass

    async def _status(self, connection):
        while connection.connected:
            self._update_status(connection)
            await asyncio.sleep(self.status_s)

    async def _rsc(self, connection):
        while connection.connected:
            await self._send(connection, "rsc_measurement", self.service.rsc_bytes(), self.rsc_s)
            await asyncio.sleep(self.rsc_s)

    async def _battery(self, connection):
        last = None
        while connection.connected:
            value = self.service.battery_bytes()
            if value != last and await self._send(connection, "battery_level", value, self.battery_s):
                last = value
            await asyncio.sleep(self.battery_s)

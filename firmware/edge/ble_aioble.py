"""The BLE link on MicroPython boards (ESP32): gatt.py's table served through aioble.

    link = Link(service, "Insole L")   # service: an insole.service.InsoleService
    link.register()                    # once, before asyncio runs the link
    asyncio.create_task(link.run())    # advertise, serve one central, advertise again

One central at a time. Per connection: the MTU is exchanged up to 247 and
every value the insole sends fits the MTU the link has (records are cut into
notifications of MTU - 3 bytes, protocol.py); pairing is LE Secure
Connections with bonding, passkey entry when the service has a passkey (the
insole "displays" the provisioned one and the host enters it, and only a
link paired that way counts as secure; Just Works without one), and aioble
keeps the bonds in a JSON file on the flash (`secrets`). A link loss ends
the session and the link goes back to advertising: fast for the board
config's fast stage, as after boot, then slowly (`advertising`:
gatt.advertising_intervals; the fast stage ends with aioble's advertising
timeout). Separate asyncio tasks serve the control point (written ->
InsoleService.control_write -> one indication), the record stream, the alert
events, the Status, the RSC cadence (every `rsc_s`, as the RSC profile has it)
and the battery level (when it changed, checked every `battery_s`). None of
this runs in the sampling path.

What the real stack taught (MicroPython's unix port on NimBLE, against a
Bumble central; ESP32's port runs the same modbluetooth_nimble.c over
ESP-IDF's NimBLE, not verified on an ESP32):

- NimBLE keeps the CCCDs to itself: a CCCD write reaches no Python code (no
  `_IRQ_GATTS_WRITE`), so the firmware cannot tell who subscribed.
- `notify(connection, data)` and `indicate` reach that connection whatever its
  CCCD says. Everything goes that way, to the central being served: the
  insole's own values (Status, Alerts, Records) only in an authenticated
  session, which stands for the subscription (the host subscribes before
  AUTH_START, docs/ble.md); RSC Measurement (every `rsc_s`) and Battery Level
  (when it changed), open, to any central; the control point's answers as
  indications.
- Nothing is written with `send_update`: it sends a notification or an
  indication to a connection whose CCCD asks for one, but leaves the value
  marked on every other connection, and after the next confirmed indication
  there (a control-point answer) NimBLE indicates it, subscribed or not,
  even on a characteristic without `indicate`, whose confirmation raises
  inside aioble's IRQ handler.
- MicroPython switches the IRQ handler off after an exception in it (no
  disconnect is ever seen again), so it is wrapped (`register`): an exception
  is counted in `irq_errors` and logged. Last resort: when the link has been
  neither advertising nor connected for `dead_s` (30 s), BLE is restarted; if
  that does not bring advertising back, `reset()` (the board's machine.reset)
  runs.

Access (gatt.py): the insole service's values need an encrypted link
(_FLAG_*_ENCRYPTED: NimBLE answers Insufficient Authentication, 0x05, on an
unencrypted link); Status reads also need a bonded link (else 0x05) and a
session (else Insufficient Authorization, 0x08), answered by `on_read`; where
the port does not deliver read requests, the Status value in the local
database is kept empty while the link may not see it.

GAP: the Device Name characteristic is the configured name (`gap_name`).
MicroPython's NimBLE build fixes the GAP Appearance characteristic at 0x0000;
the appearance 0x0441 is only in the advertising data.
"""
import asyncio

import aioble
import aioble.core
import aioble.security  # its IRQ handler keeps the bonds (and the link's encryption state)
import bluetooth

from edge.clock import LastResort, Monotonic
from insole import gatt, protocol
from insole.compat import log_exception

MTU = 247
SECRETS = "ble_secrets.json"
DEAD_S = 30        # neither advertising nor connected this long: restart BLE, then the board
_IO_NO_INPUT_OUTPUT = 3
_IO_DISPLAY_ONLY = 0
_IRQ_GATTS_READ_REQUEST = 4
_IRQ_PASSKEY_ACTION = 31
_PASSKEY_ACTION_DISPLAY = 3
_FLAG_READ_ENCRYPTED = 0x0200
_FLAG_WRITE_ENCRYPTED = 0x1000
_ATT_INSUFFICIENT_AUTHENTICATION = 0x05
_ATT_INSUFFICIENT_AUTHORIZATION = 0x08
_CONTROL_MAX = 64  # the longest write (a custom SET_SCHEDULE with its counter and tag) and then some
_RETRY_S = 0.02    # the stack's buffers are full: try the notification again after this

IDLE = 0
ADVERTISING = 1
CONNECTED = 2


def session_clock():
    """The auth session's clock: MicroPython's time.ticks_ms folded."""
    return Monotonic()


def _uuid(uuid):
    return bluetooth.UUID(uuid)


def _board_reset():
    import machine
    machine.reset()


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
                 pair_after_s=1, advertising=gatt.advertising_intervals({}), dead_s=DEAD_S, watch_s=1,
                 reset=_board_reset):
        self.adv_data = gatt.advertising_data(name)  # checks the name now, not when advertising starts
        self.resp_data = gatt.scan_response_data(name)
        self.service = service
        self.name = name
        self.secrets = secrets
        self.status_s = status_s
        self.rsc_s = rsc_s
        self.battery_s = battery_s
        self.alert_s = alert_s
        self.pair_after_s = pair_after_s
        self.advertising = advertising
        self.dead_s = dead_s
        self.watch_s = watch_s
        self.reset = reset
        self.connection = None
        self.state = IDLE
        self.restarts = 0
        self.irq_errors = 0
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

    def _pairing(self):
        """aioble.config's pairing keywords: passkey entry with a provisioned passkey."""
        if self.service.passkey is None:
            return {"mitm": False, "io": _IO_NO_INPUT_OUTPUT}
        return {"mitm": True, "io": _IO_DISPLAY_ONLY}

    def register(self):
        """Load the bonds, set pairing, MTU and GAP name, register the table, fill the
        fixed values, and wrap the IRQ handler."""
        aioble.security.load_secrets(self.secrets)
        aioble.config(bond=True, le_secure=True, mtu=MTU, gap_name=self.name, **self._pairing())
        aioble.register_services(*self.services)
        for spec in gatt.SERVICES:
            for c in spec.characteristics:
                if c.flags & gatt.READ and c.access == gatt.OPEN:
                    self.chars[c.name].write(self.service.read(c))
        self.chars["status"].write(b"")
        aioble.core.ble.irq(self._irq)

    def _irq(self, event, data):
        """aioble's IRQ handler, with the passkey answered first; an exception is
        logged and swallowed (a read request is then refused)."""
        try:
            if event == _IRQ_PASSKEY_ACTION and data[1] == _PASSKEY_ACTION_DISPLAY:
                # aioble leaves passkeys to the application: "display" the provisioned one
                aioble.core.ble.gap_passkey(data[0], data[1], self.service.passkey)
            return aioble.core.ble_irq(event, data)
        except Exception as e:
            self.irq_errors += 1
            log_exception("BLE IRQ %d" % event, e)
            return _ATT_INSUFFICIENT_AUTHORIZATION if event == _IRQ_GATTS_READ_REQUEST else None

    # -- access

    def secure(self, connection):
        """Encrypted with a bonded key (the stack was set to LE Secure Connections),
        authenticated by the passkey when one was provisioned."""
        return bool(connection is not None and connection.is_connected() and connection.encrypted
                    and connection.bonded and (self.service.passkey is None or connection.authenticated))

    def allowed(self, spec, connection):
        return connection is self.connection and self.service.allowed(spec, self.secure(connection))

    # -- the connection loop

    async def run(self):
        """Advertise; serve the central that connects; when it leaves, advertise again.
        A watchdog restarts BLE (then the board) when neither happens for `dead_s`."""
        watchdog = asyncio.create_task(self._watchdog())
        try:
            while True:
                self.state = ADVERTISING
                try:
                    connection = await self._advertise()
                except OSError:  # the stack refuses to advertise: the watchdog decides
                    self.state = IDLE
                    await asyncio.sleep(self.watch_s)
                    continue
                self.state = CONNECTED
                await self.serve(connection)
                self.state = IDLE
        finally:
            watchdog.cancel()

    async def _advertise(self):
        """Advertise fast for the fast stage (`advertising`, gatt.advertising_intervals),
        then slow, until a central connects: its connection."""
        fast_us, fast_ms, slow_us = self.advertising
        adv, resp = self.adv_data, self.resp_data
        if fast_ms:
            try:
                return await aioble.advertise(fast_us, adv_data=adv, resp_data=resp, appearance=gatt.APPEARANCE,
                                              timeout_ms=fast_ms)
            except asyncio.TimeoutError:  # nobody came: advertise slowly from now on
                pass
        return await aioble.advertise(slow_us, adv_data=adv, resp_data=resp, appearance=gatt.APPEARANCE)

    async def _watchdog(self):
        last_resort = LastResort(self.service.clock_ms, self.dead_s, self.restart, self.reset)
        while True:
            await asyncio.sleep(self.watch_s)
            last_resort.check(self.state == ADVERTISING or (self.state == CONNECTED and self.connection is not None
                                                             and self.connection.is_connected()))

    def restart(self):
        """Switch BLE off and on and register the table again (the bonds stay in `secrets`)."""
        self.restarts += 1
        try:
            aioble.stop()
        except Exception:
            pass
        aioble.core.ble.active(True)
        self.register()

    async def serve(self, connection):
        """One connection, until it is lost."""
        self.connection = connection
        self.service.on_connect()
        self.records_due.clear()
        tasks = [asyncio.create_task(t) for t in (
            self._mtu(connection), self._security(connection), self._control(connection),
            self._records(connection), self._alerts(connection), self._status(connection),
            self._updates(connection, "rsc_measurement", self.service.rsc_bytes, self.rsc_s, repeat=True),
            self._updates(connection, "battery_level", self.service.battery_bytes, self.battery_s))]
        try:
            await connection.disconnected(timeout_ms=None)
        finally:
            for t in tasks:
                t.cancel()
            self.connection = None
            self.service.on_disconnect()
            self.chars["status"].write(b"")
            await asyncio.sleep(0)  # let the cancelled tasks unwind

    @staticmethod
    def payload_max(connection):
        """The longest value one notification or indication carries on this link."""
        mtu = getattr(connection, "mtu", None)
        return mtu - 3 if mtu else protocol.PAYLOAD_MIN

    async def _mtu(self, connection):
        try:
            await connection.exchange_mtu(MTU)
        except Exception:  # the central may have exchanged it first, or refuse: values fit 23 too
            pass

    async def _security(self, connection):
        """Ask for security if the central has not encrypted the link within
        `pair_after_s`: a bonded central re-encrypts, a new one pairs."""
        await asyncio.sleep(self.pair_after_s)
        if connection.is_connected() and not connection.encrypted:
            try:
                await connection.pair(bond=True, le_secure=True, **self._pairing())
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
            except Exception:  # unconfirmed or the link went: a stream it counted is dropped
                self.service.stop_records()
                continue
            if protocol.starts_stream(answer):
                self.records_due.set()

    async def _notify(self, ch, connection, data):
        """Notify, waiting while the stack's buffers are full; False once the link is gone."""
        while connection.is_connected():
            try:
                ch.notify(connection, data)
                return True
            except OSError:
                await asyncio.sleep(_RETRY_S)
            except ValueError:  # the link went between the check and the call
                return False
        return False

    async def _records(self, connection):
        records = self.chars["records"]
        while connection.is_connected():
            await self.records_due.wait()
            self.records_due.clear()
            await self.service.send_records(lambda data: self._notify(records, connection, data),
                                            lambda: self.allowed(gatt.RECORDS, connection),
                                            self.payload_max(connection))

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

    async def _updates(self, connection, name, value_now, every_s, repeat=False):
        """Every `every_s`, the value is written (what a read gets, where it can be
        read) and notified to the central when it changed, or each time with
        `repeat` (RSC, which cannot be read: a fitness app that subscribes late
        hears it within every_s). Open values: no session needed; the stack's
        CCCDs are out of sight."""
        ch = self.chars[name]
        last = None
        while connection.is_connected():
            value = value_now()
            if repeat or value != last:
                ch.write(value)
                if not await self._notify(ch, connection, value):
                    return
                last = value
            await asyncio.sleep(every_s)

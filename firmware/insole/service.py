"""The insole's side of the BLE link, without a radio: what every binding calls.

The aioble and CircuitPython bindings (edge/), the Bumble test peripheral and
the stdio link of the virtual insole (link_stdio.py) all serve the GATT table of
gatt.py through one `InsoleService`, so they answer with the same bytes:

    on_connect()                   a central connected (one at a time)
    on_disconnect()                it left: the session ends, a record stream stops
    control_write(data, secure)    a control-point write -> the indication to send
    allowed(characteristic, secure)   may this link read it / get its notifications?
    read(characteristic)           the value of a readable characteristic
    status_bytes(), rsc_bytes(), battery_bytes()   the values to notify
    next_alert()                   the oldest queued alert event's bytes, or None
    pending_records(allowed, payload_max)   the stream's notifications, one at a time
    send_records(send, allowed, payload_max)   the same through an asyncio link's notify
    stop_records()                 drop the rest of the stream (the session ended)

`payload_max` is the link's MTU - 3: a record and its tag (63 bytes) go out
in as many notifications as that takes (protocol.record_chunks); every other
value fits 20 bytes. `passkey` is the 6-digit LE Secure Connections passkey
the board was provisioned with (config key "passkey"), or None: the binding
then pairs Just Works.

`secure` is the binding's word that the link is encrypted with a bonded LE
Secure Connections key. `InsoleService` is also the `device` of
commands.Handler: set_time, set_schedule, report_pain, ack_alert, snooze,
request_records, zero_calibration, factory_reset act on the real Device and
Store. A binding notifies the Status, Alerts and Records only where
`allowed` says so (a bonded link and an authenticated session).

Time: `clock_ms()` is a monotonic count of milliseconds that never wraps (the
binding folds time.ticks_ms into one); the session's timeouts run on it, never
on the wall clock that SET_TIME moves.
"""
import asyncio

from insole import gatt, protocol, record
from insole.alerts import EVENT_LEN
from insole.auth import Session
from insole.commands import Busy, Handler

MANUFACTURER = "Open Insole"
MODEL = "insole-1"
FIRMWARE_REV = "0.1.0"
HARDWARE_REV = "1"


class InsoleService:
    """One insole's link state over its Device and Store; one connection at a time.

    `battery_pct()` gives the battery level (0..100); `info` overrides the
    Device Information strings (manufacturer, model, firmware_rev, hardware_rev;
    the serial number is always `device_id`).
    """

    def __init__(self, device, store, auth_key, device_id, random_bytes, clock_ms,
                 battery_pct=None, info=None, session_s=600, challenge_s=30, passkey=None):
        if passkey is not None and not (isinstance(passkey, int) and 0 <= passkey <= 999999):
            raise ValueError("passkey: a 6-digit number, 0..999999, not %r" % (passkey,))
        self.passkey = passkey
        self.device = device
        self.store = store
        self.device_id = bytes(device_id)
        self.clock_ms = clock_ms
        self.battery_pct = battery_pct or (lambda: 100)
        self.session = Session(auth_key, self.device_id, random_bytes, session_s, challenge_s)
        self.handler = Handler(self, self.session, self._now)
        self.connected = False
        self._stream = None
        self._stream_last = 0
        self._seal = None
        self._event = [0] * EVENT_LEN
        strings = {"manufacturer": MANUFACTURER, "model": MODEL,
                   "firmware_rev": FIRMWARE_REV, "hardware_rev": HARDWARE_REV}
        if info:
            strings.update(info)
        self._fixed = {
            "manufacturer": strings["manufacturer"].encode(),
            "model": strings["model"].encode(),
            "serial": self.device_id,
            "firmware_rev": strings["firmware_rev"].encode(),
            "hardware_rev": strings["hardware_rev"].encode(),
            "rsc_feature": bytes((gatt.RSC_FEATURES & 0xFF, gatt.RSC_FEATURES >> 8)),
            "sensor_location": bytes((gatt.SENSOR_LOCATION_IN_SHOE,)),
        }

    def _now(self):
        return self.clock_ms() // 1000

    # -- the connection

    def on_connect(self):
        """A central connected: no session yet, no stream."""
        self.session.end()
        self._stream = None
        self.connected = True

    def on_disconnect(self):
        """The link is gone: the session ends and a running record stream stops
        (the host resumes after the last record it got)."""
        self.session.end()
        self._stream = None
        self.connected = False

    def authenticated(self):
        """True while the connection's session is authenticated."""
        return self.session.authenticated(self._now())

    def allowed(self, characteristic, secure):
        """May this link read `characteristic`, or be sent its notifications?"""
        access = characteristic.access
        if access == gatt.OPEN:
            return True
        if access == gatt.BONDED:
            return bool(secure)
        return bool(secure) and self.authenticated()

    def control_write(self, data, secure):
        """A control-point write: the indication payload that answers it."""
        return self.handler.handle(data, secure)

    # -- values

    def read(self, characteristic):
        """The value of a readable characteristic (check `allowed` first)."""
        name = characteristic.name
        if name == "status":
            return self.status_bytes()
        if name == "battery_level":
            return self.battery_bytes()
        return self._fixed[name]

    def status_bytes(self):
        """The Status value (protocol.encode_status) of the device now; a count past
        a field's 24 bits goes as the most it holds (the host says "or more")."""
        dev = self.device
        flags = 0
        if dev.on_foot():
            flags |= protocol.STATUS_ON_FOOT
        if dev.schedule.advisory:
            flags |= protocol.STATUS_ADVISORY
        if dev.clock.unset:
            flags |= protocol.STATUS_CLOCK_UNSET
        if self.authenticated():
            flags |= protocol.STATUS_AUTHENTICATED
        if dev.clock.second < dev.alerts.snoozed_until:
            flags |= protocol.STATUS_SNOOZED
        if dev.sensor_fault():
            flags |= protocol.STATUS_SENSOR_FAULT
        mli = dev.mli_today()
        u24 = protocol.U24
        return protocol.encode_status(
            min(dev.pipeline.wear.worn_s, u24), dev.schedule.limit_s(), min(dev.summary.steps, u24),
            min(dev.samples_lost, u24), max(-1000, min(1000, mli)), self._battery(), flags, dev.seq - 1)

    def rsc_bytes(self):
        """The RSC Measurement: cadence from the recent strides, 0 while the foot rests."""
        gait = self.device.pipeline.gait
        cadence = 0 if gait.resting() or not self.device.on_foot() else (gait.cadence_x10() + 5) // 10
        return protocol.encode_rsc(cadence)

    def battery_bytes(self):
        """The Battery Level: one byte, 0..100 %."""
        return bytes((self._battery(),))

    def _battery(self):
        pct = int(self.battery_pct())
        return 0 if pct < 0 else 100 if pct > 100 else pct

    def next_alert(self):
        """The oldest queued alert event as an Alerts notification, or None.

        It leaves the device's ring here: call it only when the link may get it."""
        event = self._event
        if not self.device.alerts.pop(event):
            return None
        return protocol.encode_alert(event)

    def next_record(self):
        """The next unit of the stream REQUEST_RECORDS started (the record, 55 bytes,
        and its tag), or None when it is done (or there is none)."""
        stream = self._stream
        if stream is None:
            return None
        for fields in stream:
            if fields["seq"] > self._stream_last:
                break
            return self._seal(record.encode(fields))
        self._stream = None
        return None

    def streaming(self):
        """True while a record stream has records left to send."""
        return self._stream is not None

    def stop_records(self):
        """Drop the rest of the record stream (the link may no longer get it)."""
        self._stream = None

    def pending_records(self, allowed, payload_max):
        """The notifications of the stream REQUEST_RECORDS started, one at a time,
        each at most `payload_max` bytes, while `allowed()` holds; once the session
        ends the rest is dropped (the host asks again after AUTH)."""
        while self.streaming():
            if not allowed():
                self.stop_records()
                return
            unit = self.next_record()
            if unit is None:
                return
            for chunk in protocol.record_chunks(unit, payload_max):
                yield chunk

    async def send_records(self, send, allowed, payload_max):
        """pending_records for an asyncio link: `await send(data)` is False once the
        link cannot take it, which drops the stream (the host resumes after the last
        whole record it got); the sampling task runs between notifications."""
        for data in self.pending_records(allowed, payload_max):
            if not await send(data):
                self.stop_records()
                return
            await asyncio.sleep(0)

    # -- the `device` of commands.Handler

    def set_time(self, unix_s, tz_min):
        self.device.set_time(unix_s, tz_min)

    def set_schedule(self, preset, params):
        params = dict(params)
        if "rest" in params:
            params["rest"] = list(params["rest"])
        self.device.set_schedule(preset, params)

    def report_pain(self, severity):
        self.device.report_pain(severity)

    def ack_alert(self):
        self.device.ack_alert()

    def snooze(self):
        self.device.snooze()

    def request_records(self, after_seq, seal):
        """Start the stream of the records after `after_seq`, each sealed by
        `seal(record)`; returns how many follow."""
        if self._stream is not None:
            raise Busy()
        self._seal = seal
        count = 0
        last = after_seq
        for fields in self.store.records_after(after_seq):
            count += 1
            last = fields["seq"]
        if count:
            self._stream_last = last
            self._stream = self.store.records_after(after_seq)
        return count

    def zero_calibration(self):
        self.device.zero_calibration()

    def factory_reset(self):
        """The wearer's data goes: the device's plan, day and zero, and the stored records
        (their numbering goes on, so a host's pull stays consistent)."""
        self._stream = None
        self.device.factory_reset()
        self.store.drop_records()

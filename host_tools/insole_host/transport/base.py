"""The one interface the host talks to an insole through, whatever carries the bytes.

A backend supplies five primitives over gatt.py's table: `scan`, `connect`,
`disconnect`, `read(characteristic)`, `write(characteristic, data)` (with
response) and `subscribe(characteristic, callback)`, and calls `_link_up()`
once connected (and secured) and `_link_lost()` when the link drops. Everything
the insole's protocol needs is built here once, on those primitives, from the
shared layouts (the firmware's gatt.py and protocol.py), the host's codecs
(codec.py) and the host's own crypto (session.py), so every backend sends and
checks the same bytes:

    control(command) -> response   one control-point write, its indication
    command(opcode, *args)         the same, encoded (and, in a session, with its
                                   counter and tag, the answer's tag checked),
                                   the OK value or Rejected
    authenticate(key)              the login; checks the insole's proof, opens the session
    read_status()                  the Status fields
    pull_records(after, on_record) REQUEST_RECORDS, then `count` records, reassembled
                                   from notifications of any MTU, each tag- and
                                   CRC-checked and in order; LinkLost if cut
    subscribe_alerts(callback)     decoded alert events

At link-up the host subscribes to the control point, Records, Status and
Alerts, before AUTH_START (the insole may count on it, docs/ble.md).
"""
from __future__ import annotations

import abc
import asyncio
import hmac
import inspect
import os
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from insole import gatt, protocol

from insole_host import codec
from insole_host.session import TAG_BYTES, HostSession, login_proofs

RESPONSE_TIMEOUT_S = 5.0
RECORD_TIMEOUT_S = 5.0

ATT_ERRORS = {
    0x02: "read not permitted",
    0x03: "write not permitted",
    0x05: "insufficient authentication (the link is not bonded)",
    0x08: "insufficient authorization (no authenticated session)",
    0x0D: "invalid attribute value length",
    0x0F: "insufficient encryption (pair first)",
}

_LOST = object()


class TransportError(RuntimeError):
    """The link could not do what was asked."""


class LinkLost(TransportError):
    """The link dropped during an operation; `last_seq` is the newest record received."""

    def __init__(self, message: str, last_seq: int | None = None, received: int = 0):
        super().__init__(message)
        self.last_seq = last_seq
        self.received = received


class Rejected(TransportError):
    """The insole answered a command with a response code other than OK."""

    def __init__(self, opcode: int, code: int):
        name = codec.command_name(opcode)
        super().__init__(f"{name.upper()}: {protocol.RESPONSE_NAMES[code]} ({code})")
        self.opcode = opcode
        self.code = code


class AccessDenied(TransportError):
    """The insole's GATT server refused a read or write with an ATT error."""

    def __init__(self, what: str, att_error: int):
        super().__init__(f"{what}: ATT error 0x{att_error:02X}, {ATT_ERRORS.get(att_error, 'refused')}")
        self.att_error = att_error


@dataclass
class Found:
    """An insole seen advertising."""

    name: str
    address: str
    rssi: int | None = None


OnRecord = Callable[[dict, bytes], Any]


class Transport(abc.ABC):
    """A link to one insole. Use `async with transport:` or `connect()` ... `disconnect()`."""

    mtu: int = 23

    def __init__(self) -> None:
        self._responses: asyncio.Queue | None = None
        self._records: asyncio.Queue | None = None
        self._listeners: dict[str, list[Callable[[bytes], Any]]] = {}
        self.session: HostSession | None = None
        self.connected = False

    # -- the backend's primitives

    @abc.abstractmethod
    async def scan(self, timeout: float = 5.0) -> list[Found]:
        """Insoles advertising the insole service nearby."""

    @abc.abstractmethod
    async def connect(self, address: str | None = None) -> None:
        """Connect (to `address`, else the first insole found), secure the link
        (pair, or re-encrypt with the bond), subscribe, then `_link_up()`."""

    @abc.abstractmethod
    async def disconnect(self) -> None:
        """Leave the insole (it ends the session)."""

    @abc.abstractmethod
    async def read(self, characteristic: gatt.Characteristic) -> bytes:
        """A characteristic's value; AccessDenied when the insole refuses."""

    @abc.abstractmethod
    async def write(self, characteristic: gatt.Characteristic, data: bytes) -> None:
        """A write with response; AccessDenied when the insole refuses."""

    @abc.abstractmethod
    async def subscribe(self, characteristic: gatt.Characteristic, callback: Callable[[bytes], Any]) -> None:
        """Notifications or indications of a characteristic, to `callback(bytes)`."""

    # -- what the backends call

    async def _link_up(self) -> None:
        """Connected: subscribe the control point's indications, the records, the
        Status and the alerts (their listeners come and go on the host's side)."""
        self._responses = asyncio.Queue()
        self._records = asyncio.Queue()
        self._listeners = {"status": [], "alerts": []}
        self.session = None
        self.connected = True
        await self.subscribe(gatt.CONTROL, self._responses.put_nowait)
        await self.subscribe(gatt.RECORDS, self._records.put_nowait)
        for c in (gatt.STATUS, gatt.ALERTS):
            await self.subscribe(c, lambda data, name=c.name: self._hear(name, data))

    def _hear(self, name: str, data: bytes) -> None:
        for callback in list(self._listeners.get(name, ())):
            result = callback(data)
            if inspect.isawaitable(result):
                asyncio.ensure_future(result)

    def _link_lost(self) -> None:
        """The link dropped: whoever waits for a response or a record hears it."""
        self.connected = False
        self.session = None
        for queue in (self._responses, self._records):
            if queue is not None:
                queue.put_nowait(_LOST)

    async def __aenter__(self):
        await self.connect()
        return self

    async def __aexit__(self, *exc):
        await self.disconnect()

    # -- the protocol

    async def control(self, command: bytes, timeout: float = RESPONSE_TIMEOUT_S) -> bytes:
        """Write one control-point command and return the indication that answers it."""
        if self._responses is None or not self.connected:
            raise TransportError("not connected")
        _drain(self._responses)
        await self.write(gatt.CONTROL, bytes(command))
        opcode = command[0] if command else 0
        while True:
            try:
                answer = await asyncio.wait_for(self._responses.get(), timeout)
            except asyncio.TimeoutError:
                raise TransportError(f"no answer to control-point command 0x{opcode:02x} in {timeout} s") from None
            if answer is _LOST:
                raise LinkLost(f"link lost waiting for the answer to command 0x{opcode:02x}")
            if answer[:1] == bytes((protocol.RESPONSE_BIT | opcode,)):
                return bytes(answer)

    async def command(self, opcode: int, *args, timeout: float = RESPONSE_TIMEOUT_S):
        """Send a command (encoded and checked as the insole checks it; in a session
        with its counter and tag); its OK value, or Rejected with the response code.
        In a session an OK, or any answer with a tag, must verify (else
        TransportError); an untagged refusal is believed: it changes nothing."""
        body = codec.encode_command(opcode, *args)
        session = self.session
        counter, write = session.seal(body) if session else (0, body)
        self.last_counter = counter
        answer = await self.control(write, timeout)
        _, code, value, tag = codec.decode_response(answer)
        if session is not None and (code == protocol.OK or tag):
            if not session.answer_ok(counter, answer[:len(answer) - len(tag)], tag):
                raise TransportError(f"the answer to {codec.command_name(opcode).upper()} fails its tag: "
                                     "changed on the way, or not from the insole of this session")
        ended = code == protocol.OK and opcode in (protocol.AUTH_START, protocol.AUTH_END, protocol.FACTORY_RESET)
        if ended or code == protocol.NOT_AUTHENTICATED:  # the insole's session is over
            self.session = None
        if code != protocol.OK:
            raise Rejected(opcode, code)
        return value

    async def authenticate(self, key: bytes, device_id: bytes | None = None) -> bytes:
        """Log in and open the session; returns the insole's proof, checked against `key`."""
        if device_id is None:
            device_id = await self.read(gatt.SERIAL)
        nonce = await self.command(protocol.AUTH_START)
        client_nonce = os.urandom(len(nonce))
        mine, theirs = login_proofs(key, nonce, client_nonce, device_id)
        proof = await self.command(protocol.AUTH_PROOF, client_nonce, mine)
        if not hmac.compare_digest(proof, theirs):
            raise TransportError("the insole's proof does not match the key: not the insole this key belongs to")
        self.session = HostSession(key, nonce, client_nonce, device_id)
        return proof

    async def read_status(self) -> dict:
        """The Status fields (codec.decode_status)."""
        return codec.decode_status(await self.read(gatt.STATUS))

    async def pull_records(self, after_seq: int, on_record: OnRecord,
                           timeout: float = RECORD_TIMEOUT_S) -> int:
        """Every record after `after_seq`, oldest first, to `on_record(fields, raw)`;
        returns how many. Each is CRC-checked and newer than the one before; a cut
        link raises LinkLost after the records that did arrive were handed over."""
        if self._records is None:
            raise TransportError("not connected")
        if self.session is None:
            raise TransportError("pulling records needs a session: authenticate first")
        _drain(self._records)
        count = await self.command(protocol.REQUEST_RECORDS, after_seq)
        session, counter = self.session, self.last_counter
        last = after_seq
        pending = b""
        for got in range(count):
            while len(pending) < protocol.UNIT_SIZE:
                try:
                    part = await asyncio.wait_for(self._records.get(), timeout)
                except asyncio.TimeoutError:
                    raise TransportError(f"record stream stalled after {got} of {count} records") from None
                if part is _LOST:
                    raise LinkLost(f"link lost after {got} of {count} records (newest seq {last})", last, got)
                pending += part
            unit, pending = pending[:protocol.UNIT_SIZE], pending[protocol.UNIT_SIZE:]
            raw, tag = unit[:-TAG_BYTES], unit[-TAG_BYTES:]
            if not session.record_ok(counter, raw, tag):
                raise TransportError(f"record {got + 1} of {count} fails its tag: changed on the way")
            fields = codec.decode_record(raw)
            if fields["seq"] <= last:
                raise TransportError(f"record seq {fields['seq']} after seq {last}: out of order or doubled")
            last = fields["seq"]
            result = on_record(fields, bytes(raw))
            if inspect.isawaitable(result):
                await result
        return count

    async def subscribe_alerts(self, callback: Callable[[dict], Awaitable[None] | None]) -> None:
        """Alert events, decoded, to `callback(event)`."""
        self._listeners.setdefault("alerts", []).append(lambda data: callback(codec.decode_alert(data)))

    async def subscribe_status(self, callback: Callable[[dict], Awaitable[None] | None]) -> None:
        """Status notifications, decoded, to `callback(fields)`."""
        self._listeners.setdefault("status", []).append(lambda data: callback(codec.decode_status(data)))

    async def set_time(self, unix_s: int, tz_min: int = 0) -> None:
        await self.command(protocol.SET_TIME, unix_s, tz_min)

    async def set_schedule(self, preset: str, params: dict | None = None) -> None:
        await self.command(protocol.SET_SCHEDULE, preset, params or {})

    async def report_pain(self, severity: int) -> None:
        await self.command(protocol.REPORT_PAIN, severity)


def _drain(queue: asyncio.Queue) -> None:
    while not queue.empty():
        if queue.get_nowait() is _LOST:
            queue.put_nowait(_LOST)
            return

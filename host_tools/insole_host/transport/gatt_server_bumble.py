"""The insole as a Bumble peripheral: gatt.py's table served by the firmware's own
InsoleService (run under CPython), for tests, benchmarks and demos over a real
BLE host stack.

The GATT server is built from gatt.SERVICES: the insole service's values
require an encrypted link (Bumble answers ATT Insufficient Encryption before
any code of ours runs); on top, reads the link may not see (gatt.py's access
levels, InsoleService.allowed) get Insufficient Authentication (not bonded) or
Insufficient Authorization (no session). Pairing is LE Secure Connections with
bonding: passkey entry when the insole has a provisioned passkey (a bond only
counts when the pairing was authenticated by it), else Just Works. One central at a time: advertising stops while one
is connected and starts again when it leaves.

Per connection, as the aioble binding does: control-point writes go to
InsoleService.control_write and the answer goes back as an indication; after
an OK REQUEST_RECORDS the records follow, each with its tag, in notifications
of at most the link's MTU - 3 bytes; queued alerts and a changed Status are
notified on a bonded, authenticated link; RSC and Battery to anyone
subscribed. Bumble sends a notification or indication only to a central whose
CCCD asked for it.

Bumble's virtual controller moves packets as fast as the event loop runs: no
connection events. `pace=(n, interval_s)` spaces the record stream as a radio
does, n notifications per connection interval (the tests cut a link in the
middle of a paced stream).

`local_link()` puts an insole and a central on two virtual controllers joined
by one Bumble LocalLink, in this process.

`FirmwareInsole` runs the firmware's sim board modules (sim, edge) in this
process: its caller has the firmware folder on sys.path (the tests' conftest,
bench/run.py). The rest of this module, which the Bumble central shares, needs
only the `insole` core.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bumble import att
from bumble.controller import Controller
from bumble.core import UUID
from bumble.device import Device
from bumble.gatt import Characteristic, CharacteristicValue, Service
from bumble.hci import Address
from bumble.host import Host
from bumble.link import LocalLink
from bumble.pairing import PairingConfig, PairingDelegate
from bumble.transport.common import AsyncPipeSink
from insole import gatt, protocol

log = logging.getLogger(__name__)

INSOLE_ADDRESS = "F0:F1:F2:F3:F4:F5"
CENTRAL_ADDRESS = "F1:F1:F1:F1:F1:F1"
ADV_INTERVAL_MS = 250.0  # this test peripheral's; a board's come from its config (gatt.advertising_intervals)


def bumble_uuid(uuid) -> UUID:
    """A gatt.py UUID as Bumble's: 16-bit SIG numbers stay 16-bit."""
    return UUID.from_16_bits(uuid) if isinstance(uuid, int) else UUID(uuid)


class Passkey(PairingDelegate):
    """A pairing side that knows the passkey: the insole "displays" its provisioned
    one (generate_passkey), the host enters it (get_number)."""

    def __init__(self, passkey: int, io_capability: int):
        super().__init__(io_capability=io_capability)
        self.passkey = passkey

    async def generate_passkey(self) -> int:
        return self.passkey

    async def get_number(self) -> int:
        return self.passkey


def _pairing(passkey: int | None, io_capability: int) -> PairingConfig:
    """LE Secure Connections with bonding: passkey entry (MITM protection) when there
    is a passkey, else Just Works; the identity given is the static random address
    the device connects with, so the bond is found under the address the next
    connection comes from."""
    if passkey is None:
        delegate = PairingDelegate(io_capability=PairingDelegate.NO_OUTPUT_NO_INPUT)
    else:
        delegate = Passkey(passkey, io_capability)
    return PairingConfig(sc=True, mitm=passkey is not None, bonding=True, delegate=delegate,
                         identity_address_type=PairingConfig.AddressType.RANDOM)


def insole_pairing(passkey: int | None = None) -> PairingConfig:
    """The insole's side: it shows the passkey (display only)."""
    return _pairing(passkey, PairingDelegate.DISPLAY_OUTPUT_ONLY)


def host_pairing(passkey: int | None = None) -> PairingConfig:
    """The host's side: it enters the passkey (keyboard only)."""
    return _pairing(passkey, PairingDelegate.KEYBOARD_INPUT_ONLY)


class InsolePeripheral:
    """Serves one InsoleService on a Bumble Device."""

    def __init__(self, device: Device, service, name: str = "Insole", status_s: float = 0.5,
                 alert_s: float = 0.05, rsc_s: float = 1.0, pace: tuple[int, float] | None = None):
        gatt.advertising_data(name)
        self.device = device
        self.service = service
        self.name = name
        self.status_s = status_s
        self.alert_s = alert_s
        self.rsc_s = rsc_s
        self.pace = pace
        self.connection = None
        self.bonded: set[str] = set()
        self.streamed = 0  # records notified, all connections
        self.pairings = 0  # pairings completed (a bonded central that comes back only encrypts)
        self.chars: dict[str, Characteristic] = {}
        self._tasks: list[asyncio.Task] = []
        self._answers: asyncio.Queue | None = None
        services = []
        for spec in gatt.SERVICES:
            chars = [self._characteristic(c) for c in spec.characteristics]
            services.append(Service(bumble_uuid(spec.uuid), chars))
        device.add_services(services)
        device.pairing_config_factory = lambda _connection: insole_pairing(service.passkey)
        device.on("connection", self._on_connection)

    def _characteristic(self, c: gatt.Characteristic) -> Characteristic:
        perms = att.Attribute.Permissions(0)
        if c.flags & gatt.READ:
            perms |= att.Attribute.READABLE
            if c.access != gatt.OPEN:
                perms |= att.Attribute.READ_REQUIRES_ENCRYPTION
        if c.flags & gatt.WRITE:
            perms |= att.Attribute.WRITEABLE
            if c.access != gatt.OPEN:
                perms |= att.Attribute.WRITE_REQUIRES_ENCRYPTION
        value = CharacteristicValue(
            read=(lambda conn, c=c: self._read(c, conn)) if c.flags & gatt.READ else None,
            write=(lambda conn, data, c=c: self._write(c, conn, data)) if c.flags & gatt.WRITE else None)
        ch = Characteristic(bumble_uuid(c.uuid), Characteristic.Properties(c.flags), perms, value)
        self.chars[c.name] = ch
        return ch

    async def start(self) -> None:
        """Power on, learn the bonds already kept, advertise."""
        await self.device.power_on()
        if self.device.keystore is not None:
            self.bonded.update(name for name, _ in await self.device.keystore.get_all())
        await self.advertise()

    async def advertise(self) -> None:
        await self.device.start_advertising(advertising_data=gatt.advertising_data(self.name),
                                            scan_response_data=gatt.scan_response_data(self.name),
                                            advertising_interval_min=ADV_INTERVAL_MS,
                                            advertising_interval_max=ADV_INTERVAL_MS, auto_restart=True)

    # -- access

    def secure(self, connection) -> bool:
        """Encrypted with the key of a bond made by LE Secure Connections pairing."""
        return bool(connection is not None and connection is self.connection and connection.is_encrypted
                    and str(connection.peer_address) in self.bonded)

    def allowed(self, c: gatt.Characteristic, connection) -> bool:
        return connection is self.connection and self.service.allowed(c, self.secure(connection))

    def _read(self, c: gatt.Characteristic, connection) -> bytes:
        if not self.allowed(c, connection):
            raise att.ATT_Error(att.ATT_INSUFFICIENT_AUTHORIZATION_ERROR if self.secure(connection)
                                else att.ATT_INSUFFICIENT_AUTHENTICATION_ERROR)
        return self.service.read(c)

    def _write(self, c: gatt.Characteristic, connection, data: bytes) -> None:
        if connection is not self.connection or self._answers is None:
            raise att.ATT_Error(att.ATT_UNLIKELY_ERROR_ERROR)
        self._answers.put_nowait(self.service.control_write(bytes(data), self.secure(connection)))
        device = self.service.device
        if device.due:  # what a board's main loop does between two samples: the change goes to flash
            device.service(self.service.store)

    # -- the connection

    def _on_connection(self, connection) -> None:
        if self.connection is not None:  # one central at a time
            asyncio.get_running_loop().create_task(connection.disconnect())
            return
        self.connection = connection
        self.service.on_connect()
        self._answers = asyncio.Queue()
        connection.on("disconnection", lambda reason: self._on_disconnection(connection))
        connection.on("pairing", lambda keys: self._on_pairing(connection, keys))
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(t) for t in (
            self._control(connection), self._alerts(connection), self._status(connection),
            self._rsc(connection), self._battery(connection))]

    def _on_pairing(self, connection, keys) -> None:
        """A bond: LE Secure Connections, both sides asked for bonding (the SMP
        session, still open until the link goes, says whether they did) and, with a
        provisioned passkey, the pairing authenticated by it."""
        self.pairings += 1
        session = getattr(self.device.smp_manager, "sessions", {}).get(connection.handle)
        bonding = session.bonding if session is not None else False
        by_passkey = self.service.passkey is None or (keys.ltk is not None and keys.ltk.authenticated)
        if connection.sc and keys.ltk is not None and bonding and by_passkey:
            self.bonded.add(str(connection.peer_address))

    def _on_disconnection(self, connection) -> None:
        if connection is not self.connection:
            return
        for t in self._tasks:
            t.cancel()
        self._tasks = []
        self.connection = None
        self._answers = None
        self.service.on_disconnect()

    async def _notify(self, name: str, connection, value: bytes) -> None:
        await self.device.notify_subscriber(connection, self.chars[name], value)

    def _subscribed(self, name: str, connection) -> bool:
        return bool(self.device.gatt_server.read_cccd(connection, self.chars[name])[0] & 0x01)

    async def _control(self, connection) -> None:
        while True:
            answer = await self._answers.get()
            await self.device.indicate_subscriber(connection, self.chars["control"], answer)
            if protocol.starts_stream(answer):
                await self._stream(connection)

    async def _stream(self, connection) -> None:
        async def send(data: bytes) -> bool:
            await self._notify("records", connection, data)
            self.streamed += 1
            if self.pace and self.streamed % self.pace[0] == 0:
                await asyncio.sleep(self.pace[1])  # the next connection event
            return True

        await self.service.send_records(send, lambda: self.allowed(gatt.RECORDS, connection),
                                        connection.att_mtu - 3)

    async def _alerts(self, connection) -> None:
        while True:
            while self.allowed(gatt.ALERTS, connection) and self._subscribed("alerts", connection):
                data = self.service.next_alert()
                if data is None:
                    break
                await self._notify("alerts", connection, data)
            await asyncio.sleep(self.alert_s)

    async def _status(self, connection) -> None:
        last = None
        while True:
            if self.allowed(gatt.STATUS, connection):
                value = self.service.status_bytes()
                if value != last:
                    await self._notify("status", connection, value)
                    last = value
            else:
                last = None
            await asyncio.sleep(self.status_s)

    async def _rsc(self, connection) -> None:
        while True:
            await self._notify("rsc_measurement", connection, self.service.rsc_bytes())
            await asyncio.sleep(self.rsc_s)

    async def _battery(self, connection) -> None:
        last = None
        while True:
            value = self.service.battery_bytes()
            if value != last:
                await self._notify("battery_level", connection, value)
                last = value
            await asyncio.sleep(60)


@dataclass
class FirmwareInsole:
    """The firmware core under CPython: Device, Store (in `store_dir`) and InsoleService,
    built by the firmware's sim.insole (on sys.path: see the module's docstring)."""

    store_dir: Path
    key: bytes | None = None  # None: sim.insole's DEMO_KEY
    device_id: bytes = b"INS-0042"
    fs_hz: int = 10
    passkey: int | None = None

    stored: int = 0  # days already on its flash when it boots

    def __post_init__(self):
        from sim.insole import DEMO_KEY, build, stored_days
        self.key = DEMO_KEY if self.key is None else self.key
        self.clock = ManualClock()
        stored_days(str(self.store_dir), self.stored)
        self.device, self.store, self.service = build(str(self.store_dir), self.key, self.device_id,
                                                      self.fs_hz, clock_ms=self.clock)
        self.service.passkey = self.passkey

    def live_days(self, n: int, worn_s: int | None = None) -> None:
        """The wearer lives n days (wearing the insole `worn_s` a day, default each day's limit)."""
        from sim.insole import live_day
        for _ in range(n):
            live_day(self.device, self.store, worn_s)


class ManualClock:
    """The insole's monotonic milliseconds: real time, plus what a test skips ahead."""

    def __init__(self):
        self.skipped_ms = 0

    def __call__(self) -> int:
        return int(time.monotonic() * 1000) + self.skipped_ms

    def skip(self, seconds: float) -> None:
        self.skipped_ms += int(seconds * 1000)


@dataclass
class LocalLinkPair:
    """An insole peripheral and a central Bumble Device on one LocalLink."""

    link: LocalLink
    peripheral: InsolePeripheral
    central: Device

    @property
    def insole_address(self) -> Address:
        return self.peripheral.device.random_address


def _device_on(link: LocalLink, name: str, address: str) -> Device:
    controller = Controller(name, link=link, public_address=address)
    return Device(name=name, address=Address(address), host=Host(controller, AsyncPipeSink(controller)))


async def local_link(service, name: str = "Insole", **peripheral_kw) -> LocalLinkPair:
    """Two virtual controllers on one LocalLink: the insole (advertising) and a central
    (powered on, its pairing set to LE Secure Connections with bonding)."""
    link = LocalLink()
    peripheral = InsolePeripheral(_device_on(link, "insole", INSOLE_ADDRESS), service, name, **peripheral_kw)
    central = _device_on(link, "host", CENTRAL_ADDRESS)
    await peripheral.start()
    await central.power_on()
    central.pairing_config_factory = lambda _connection: host_pairing()
    return LocalLinkPair(link, peripheral, central)


@contextlib.asynccontextmanager
async def insole_on_local_link(store_dir: Path | None = None, pace: tuple[int, float] | None = None, **kw):
    """A FirmwareInsole (store in `store_dir`, else a fresh temporary one) served on a
    LocalLink: yields (insole, pair)."""
    with contextlib.ExitStack() as stack:
        if store_dir is None:
            store_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="insole-ble-")))
        insole = FirmwareInsole(Path(store_dir), **kw)
        pair = await local_link(insole.service, pace=pace)
        try:
            yield insole, pair
        finally:
            for conn in list(pair.central.connections.values()):
                with contextlib.suppress(Exception):
                    await conn.disconnect()
            await pair.central.power_off()
            await pair.peripheral.device.power_off()

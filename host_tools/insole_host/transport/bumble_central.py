"""Bumble as the host's central: its own BLE host stack over an HCI controller.

    BumbleCentral("usb:0")                   a USB Bluetooth dongle (any Bumble transport
                                             spec: "serial:/dev/ttyACM0", "tcp-client:...")
    BumbleCentral(device=central)            a Bumble Device already powered on (the tests:
                                             a virtual controller on a LocalLink)

Connect, exchange the MTU (247 asked; none when 23 is asked), discover the
table, read the insole's serial number (open), secure the link: re-encrypt
with the bond when the key store has one for the insole, else pair (LE Secure
Connections with bonding: passkey entry with the insole's provisioned passkey,
`<user data dir>/keys/<DEVICE_ID>.passkey` as `make deploy` writes it, Just
Works only when there is none), then subscribe.

Bonds: with an HCI transport spec they are kept in `keystore`, by default
`<user data dir>/bonds.json` (platformdirs.user_data_dir("insole")), so a
bonded insole only re-encrypts the next time; a test's device keeps its own
(Bumble's in memory) unless `keystore` is given.
"""
from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any, Callable

import platformdirs
from bumble import att
from bumble.core import PhysicalTransport
from bumble.device import Device, DeviceConfiguration, Peer
from bumble.hci import Address
from bumble.host import Host
from bumble.keys import JsonKeyStore
from insole import gatt

from insole_host.transport.base import AccessDenied, Found, LinkLost, Transport, TransportError
from insole_host.transport.gatt_server_bumble import bumble_uuid, host_pairing

DEFAULT_ADDRESS = "C0:98:E5:49:00:01"  # the central's static random address with a dongle


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir("insole"))


def provisioned_passkey(device_id: bytes, keys_dir: Path | None = None) -> int | None:
    """The passkey `make deploy` provisioned for this insole (keys/<DEVICE_ID>.passkey,
    six digits), or None when there is no such file."""
    path = (keys_dir or data_dir() / "keys") / f"{device_id.decode('ascii', 'replace')}.passkey"
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        return None
    if not (len(text) == 6 and text.isdigit()):
        raise TransportError(f"{path}: a passkey is 6 digits, not {text!r}")
    return int(text)


def parse_ad(data: bytes) -> dict[int, list[bytes]]:
    """AD type -> values of an advertising or scan response payload."""
    out: dict[int, list[bytes]] = {}
    i = 0
    while i + 1 < len(data):
        n = data[i]
        if n == 0 or i + 1 + n > len(data):
            break
        out.setdefault(data[i + 1], []).append(bytes(data[i + 2:i + 1 + n]))
        i += 1 + n
    return out


def is_insole(ad: dict[int, list[bytes]]) -> bool:
    want = gatt.uuid_bytes(gatt.INSOLE.uuid)
    return any(v[j:j + 16] == want for t in (gatt.AD_UUID128_COMPLETE, 0x06) for v in ad.get(t, ())
               for j in range(0, len(v), 16))


def ad_name(ad: dict[int, list[bytes]]) -> str | None:
    for t in (gatt.AD_COMPLETE_NAME, gatt.AD_SHORT_NAME):
        if ad.get(t):
            return ad[t][0].decode("utf-8", "replace")
    return None


class BumbleCentral(Transport):
    """The Transport over Bumble."""

    def __init__(self, spec: str | None = None, *, device: Device | None = None, address: str = DEFAULT_ADDRESS,
                 keystore: str | Path | None = None, mtu: int = 247, secure: bool = True,
                 passkey: int | None = None, keys_dir: Path | None = None):
        super().__init__()
        if (spec is None) == (device is None):
            raise TransportError("give an HCI transport spec (e.g. 'usb:0') or a Bumble device, not both")
        self.spec = spec
        self.device = device
        self.address = address
        self.keystore = str(keystore or data_dir() / "bonds.json") if spec is not None else keystore
        self.passkey = passkey
        self.keys_dir = keys_dir
        self.want_mtu = mtu
        self.secure_link = secure
        self.connection = None
        self.peer: Peer | None = None
        self._hci = None
        self._proxies: dict[str, Any] = {}

    async def open(self) -> Device:
        """The central device, powered on (opens the HCI transport the first time)."""
        if self.device is None:
            from bumble.transport import open_transport
            self._hci = await open_transport(self.spec)
            config = DeviceConfiguration(name="insole-host", address=Address(self.address))
            self.device = Device(config=config, host=Host(self._hci.source, self._hci.sink))
            await self.device.power_on()
            self.device.pairing_config_factory = lambda _connection: host_pairing()
        if self.keystore and not isinstance(self.device.keystore, JsonKeyStore):
            Path(self.keystore).parent.mkdir(parents=True, exist_ok=True)
            self.device.keystore = JsonKeyStore(None, self.keystore)
        return self.device

    async def close(self) -> None:
        await self.disconnect()
        if self._hci is not None:
            await self._hci.close()
            self._hci = None

    async def scan(self, timeout: float = 5.0) -> list[Found]:
        device = await self.open()
        seen: dict[str, dict] = {}

        def on_advertisement(adv) -> None:
            entry = seen.setdefault(str(adv.address), {"ad": {}, "rssi": adv.rssi})
            for t, values in parse_ad(adv.data_bytes).items():
                entry["ad"].setdefault(t, []).extend(values)
            entry["rssi"] = adv.rssi

        device.on("advertisement", on_advertisement)
        try:
            await device.start_scanning(active=True, filter_duplicates=False)
            await asyncio.sleep(timeout)
            await device.stop_scanning()
        finally:
            device.remove_listener("advertisement", on_advertisement)
        return [Found(ad_name(e["ad"]) or "?", address, e["rssi"]) for address, e in seen.items() if is_insole(e["ad"])]

    async def connect(self, address: str | Address | None = None) -> None:
        device = await self.open()
        if address is None:
            found = await self.scan()
            if not found:
                raise TransportError("no insole found advertising")
            address = found[0].address
        try:
            self.connection = await device.connect(address, transport=PhysicalTransport.LE)
        except Exception as e:
            raise TransportError(f"could not connect to {address}: {e}") from e
        self.connection.on("disconnection", lambda reason: self._link_lost())
        self.peer = Peer(self.connection)
        if self.want_mtu > 23:  # 23 is the default: no exchange, as some centrals do
            self.mtu = await self.peer.request_mtu(self.want_mtu)
        await self.peer.discover_services()
        for service in self.peer.services:
            await service.discover_characteristics()
        self._proxies = {}
        for spec in gatt.SERVICES:
            for c in spec.characteristics:
                found = self.peer.get_characteristics_by_uuid(bumble_uuid(c.uuid))
                if found:
                    self._proxies[c.name] = found[0]
        if "control" not in self._proxies:
            raise TransportError(f"{address} has no insole service")
        if self.secure_link:
            await self.secure()
        await self._link_up()

    async def secure(self) -> None:
        """Re-encrypt with the bond if the key store holds one for this insole, else
        pair: passkey entry when the insole's passkey is known, else Just Works."""
        conn = self.connection
        keys = await self.device.keystore.get(str(conn.peer_address)) if self.device.keystore else None
        passkey = self.passkey
        if passkey is None and (self.spec is not None or self.keys_dir is not None):
            passkey = provisioned_passkey(await self.read(gatt.SERIAL), self.keys_dir)
        if passkey is not None:  # else the device's own pairing (Just Works, bonding, unless a test set another)
            self.device.pairing_config_factory = lambda _connection: host_pairing(passkey)
        try:
            if keys is not None:
                await conn.encrypt()
            else:
                await conn.pair()
        except Exception as e:
            raise TransportError(f"securing the link failed: {e!r}") from e

    async def disconnect(self) -> None:
        conn, self.connection = self.connection, None
        if conn is not None and conn.handle in (self.device.connections if self.device else {}):
            try:
                await conn.disconnect()
            except Exception:
                pass
        self.connected = False

    def _proxy(self, c: gatt.Characteristic):
        if self.peer is None:
            raise TransportError("not connected")
        try:
            return self._proxies[c.name]
        except KeyError:
            raise TransportError(f"the insole has no {c.name} characteristic") from None

    @contextlib.contextmanager
    def _att(self, action: str, doing: str, characteristic: gatt.Characteristic):
        """An ATT error as AccessDenied, a cancel by a lost link as LinkLost."""
        try:
            yield
        except att.ATT_Error as e:
            raise AccessDenied(f"{action} {characteristic.name}", e.error_code) from None
        except asyncio.CancelledError:
            if not self.connected:
                raise LinkLost(f"link lost {doing} {characteristic.name}") from None
            raise

    async def read(self, characteristic: gatt.Characteristic) -> bytes:
        with self._att("read", "reading", characteristic):
            return bytes(await self.peer.read_value(self._proxy(characteristic)))

    async def write(self, characteristic: gatt.Characteristic, data: bytes) -> None:
        with self._att("write", "writing", characteristic):
            await self.peer.write_value(self._proxy(characteristic), bytes(data), with_response=True)

    async def subscribe(self, characteristic: gatt.Characteristic, callback: Callable[[bytes], Any]) -> None:
        def deliver(value) -> None:
            result = callback(bytes(value))
            if asyncio.iscoroutine(result):
                asyncio.ensure_future(result)
        try:
            await self.peer.subscribe(self._proxy(characteristic), deliver)
        except att.ATT_Error as e:
            raise AccessDenied(f"subscribe {characteristic.name}", e.error_code) from None

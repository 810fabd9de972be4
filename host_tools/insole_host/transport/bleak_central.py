"""bleak as the host's central: the laptop's own Bluetooth (BlueZ, CoreBluetooth, WinRT).

    BleakCentral()                        the first insole found advertising
    BleakCentral("AA:BB:CC:DD:EE:FF")     that one (on macOS: the CoreBluetooth UUID)

The same shape as bumble_central: connect, secure the link, subscribe, then the
protocol of base.Transport. Pairing goes through the operating system: bleak
asks for it where the platform lets a program (BlueZ, WinRT: `pair=True`);
CoreBluetooth pairs by itself at the first encrypted read. The OS keeps the
bond. The MTU is what the OS negotiated (BlueZ and CoreBluetooth ask for the
largest; the insole offers 247).
"""
from __future__ import annotations

import asyncio
from typing import Any, Callable

from insole import gatt

from insole_host.transport.base import AccessDenied, Found, LinkLost, Transport, TransportError

_ATT_ERROR_WORDS = ((0x0F, "encryption"), (0x05, "authentication"), (0x08, "authorization"))


def att_error_of(error: Exception) -> int | None:
    """The ATT error code a backend's exception stands for, if it names one."""
    text = str(error).lower()
    for code, word in _ATT_ERROR_WORDS:
        if "insufficient" in text and word in text:
            return code
    return None


class BleakCentral(Transport):
    """The Transport over bleak."""

    def __init__(self, address: str | None = None, *, timeout: float = 20.0, pair: bool = True):
        super().__init__()
        if address is not None and not address.strip():
            raise TransportError("an empty address: give the insole's address, or none to take the first found")
        if timeout <= 0:
            raise TransportError("timeout must be > 0 s")
        self.address = address
        self.timeout = timeout
        self.pair = pair
        self.client = None

    async def scan(self, timeout: float = 5.0) -> list[Found]:
        from bleak import BleakScanner
        found = await BleakScanner.discover(timeout=timeout, return_adv=True,
                                            service_uuids=[gatt.full_uuid(gatt.INSOLE.uuid)])
        return [Found(adv.local_name or dev.name or "?", dev.address, adv.rssi) for dev, adv in found.values()]

    async def connect(self, address: str | None = None) -> None:
        from bleak import BleakClient
        address = address or self.address
        if address is None:
            found = await self.scan()
            if not found:
                raise TransportError("no insole found advertising")
            address = found[0].address
        self.client = BleakClient(address, disconnected_callback=lambda _: self._link_lost(),
                                  timeout=self.timeout, pair=self.pair)
        try:
            await self.client.connect()
        except Exception as e:
            raise TransportError(f"could not connect to {address}: {e}") from e
        self.mtu = self.client.mtu_size
        await self._link_up()

    async def disconnect(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            await client.disconnect()
        self.connected = False

    def _client(self):
        if self.client is None:
            raise TransportError("not connected")
        return self.client

    async def read(self, characteristic: gatt.Characteristic) -> bytes:
        try:
            return bytes(await self._client().read_gatt_char(gatt.full_uuid(characteristic.uuid)))
        except Exception as e:
            self._raise(f"read {characteristic.name}", e)

    async def write(self, characteristic: gatt.Characteristic, data: bytes) -> None:
        try:
            await self._client().write_gatt_char(gatt.full_uuid(characteristic.uuid), bytes(data), response=True)
        except Exception as e:
            self._raise(f"write {characteristic.name}", e)

    async def subscribe(self, characteristic: gatt.Characteristic, callback: Callable[[bytes], Any]) -> None:
        def deliver(_sender, data: bytearray) -> None:
            result = callback(bytes(data))
            if asyncio.iscoroutine(result):
                asyncio.ensure_future(result)
        try:
            await self._client().start_notify(gatt.full_uuid(characteristic.uuid), deliver)
        except Exception as e:
            self._raise(f"subscribe {characteristic.name}", e)

    def _raise(self, what: str, error: Exception):
        if isinstance(error, TransportError):
            raise error
        code = att_error_of(error)
        if code is not None:
            raise AccessDenied(what, code) from error
        if not self.connected:
            raise LinkLost(f"link lost: {what}") from error
        raise TransportError(f"{what}: {error}") from error

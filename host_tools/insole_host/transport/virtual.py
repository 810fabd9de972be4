"""The virtual insole as a transport: the firmware running in the `micropython`
executable, serving the link's bytes over stdio (firmware/link_stdio.py has the
line protocol). No radio: the pipe stands for an encrypted, bonded link unless
`secure=False`. The insole keeps its flash in `store_dir`, so records, plan
and numbering survive from one run (one "power-up") to the next.
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Callable

from insole_host.transport.base import AccessDenied, Found, LinkLost, Transport, TransportError
from insole_host.virtual import firmware_dir, micropython

from insole import gatt  # noqa: E402  (on sys.path through base)


class VirtualInsole(Transport):
    """The Transport to a virtual insole (`micropython firmware/link_stdio.py STORE_DIR`)."""

    mtu = 247  # the stdio link carries any value whole, as an MTU of 247 does

    def __init__(self, store_dir: str | Path, *, key: bytes | None = None, device_id: str = "VIRTUAL-1",
                 days: int = 0, fs_hz: int = 10, secure: bool = True, heap: str = "4M"):
        super().__init__()
        self.store_dir = Path(store_dir)
        self.key = key
        self.device_id = device_id
        self.days = days
        self.fs_hz = fs_hz
        self.secure = secure
        self.heap = heap
        self.proc: asyncio.subprocess.Process | None = None
        self.newest_seq = 0
        self._subscribers: dict[str, list[Callable[[bytes], Any]]] = {}
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Power the virtual insole up (once; `connect` does it when needed)."""
        if self.proc is not None:
            return
        self.store_dir.mkdir(parents=True, exist_ok=True)
        args = [micropython(), "-X", f"heapsize={self.heap}", str(firmware_dir() / "link_stdio.py"),
                str(self.store_dir), "--id", self.device_id, "--fs", str(self.fs_hz), "--days", str(self.days)]
        if self.key is not None:
            args += ["--key", self.key.hex()]
        self.proc = await asyncio.create_subprocess_exec(*args, stdin=asyncio.subprocess.PIPE,
                                                         stdout=asyncio.subprocess.PIPE,
                                                         stderr=asyncio.subprocess.PIPE,
                                                         start_new_session=True)  # Ctrl-C is the host's, not its
        first = await self.proc.stdout.readline()
        if not first.startswith(b"K"):
            err = (await self.proc.stderr.read()).decode().strip()
            self.proc = None
            raise TransportError(f"the virtual insole did not start: {err or first!r}")
        self.newest_seq = int(first.split()[1])

    async def stop(self) -> None:
        """Power the virtual insole down (its store stays)."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.returncode is None:
            try:
                proc.stdin.write(b"Q\n")
                await proc.stdin.drain()
                await asyncio.wait_for(proc.wait(), 5)
            except (ConnectionError, asyncio.TimeoutError):
                proc.kill()
                await proc.wait()
        self._link_lost()

    async def _exchange(self, line: str) -> list[list[str]]:
        """Send one line; the insole's lines up to its K, split. Indications and
        notifications go to their subscribers as they come; values and errors back."""
        if self.proc is None:
            raise TransportError("the virtual insole is not running")
        async with self._lock:
            try:
                self.proc.stdin.write(line.encode() + b"\n")
                await self.proc.stdin.drain()
                out = []
                while True:
                    raw = await self.proc.stdout.readline()
                    if not raw:
                        raise ConnectionError("the virtual insole stopped")
                    words = raw.decode().split()
                    if words == ["K"]:
                        break
                    if words[0] == "!":
                        raise TransportError("virtual insole: " + raw.decode()[2:].strip())
                    if words[0] == "N":
                        self._deliver(words[1], bytes.fromhex(words[2]))
                    elif words[0] == "I":  # in order: the answer, then the stream it starts
                        self._deliver("control", bytes.fromhex(words[1]))
                    else:
                        out.append(words)
                return out
            except ConnectionError as e:
                self._link_lost()
                raise LinkLost(str(e)) from None

    def _deliver(self, name: str, data: bytes) -> None:
        for callback in self._subscribers.get(name, ()):
            callback(data)

    async def scan(self, timeout: float = 5.0) -> list[Found]:
        return [Found(f"virtual {self.device_id}", f"stdio:{self.store_dir}", None)]

    async def connect(self, address: str | None = None) -> None:
        await self.start()
        self._subscribers = {}
        await self._exchange("C %d" % int(self.secure))
        await self._link_up()

    async def disconnect(self) -> None:
        if self.proc is not None and self.connected:
            await self._exchange("X")
        self.connected = False

    async def read(self, characteristic: gatt.Characteristic) -> bytes:
        for words in await self._exchange("R " + characteristic.name):
            if words[0] == "V":
                return bytes.fromhex(words[2]) if len(words) > 2 else b""
            if words[0] == "E":
                raise AccessDenied(f"read {characteristic.name}", int(words[2]))
        raise TransportError(f"no value for {characteristic.name}")

    async def write(self, characteristic: gatt.Characteristic, data: bytes) -> None:
        if characteristic is not gatt.CONTROL:
            raise AccessDenied(f"write {characteristic.name}", 0x03)
        await self._exchange("W " + bytes(data).hex())

    async def subscribe(self, characteristic: gatt.Characteristic, callback: Callable[[bytes], Any]) -> None:
        self._subscribers.setdefault(characteristic.name, []).append(callback)

    async def live_days(self, days: int, worn_s: int | None = None) -> None:
        """The virtual wearer lives `days` days (records to pull)."""
        await self.start()
        await self._exchange("D %d%s" % (days, "" if worn_s is None else " %d" % worn_s))

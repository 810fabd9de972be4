"""The virtual insole as a transport: the image `make deploy BOARD=sim PORT=DIR`
laid out in DIR, booted by its own main.py under the `micropython` executable,
serving the link's bytes over stdio (firmware/edge/link_stdio.py has the line
protocol). No radio: the pipe stands for an encrypted, bonded link unless
`secure=False`. Each start is a power-up; the insole keeps its flash in
DIR/data, so records, plan and numbering survive from one to the next.
"""
from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, Callable

from insole import gatt

from insole_host.transport.base import AccessDenied, Found, LinkLost, Transport, TransportError
from insole_host.virtual import micropython

DEPLOY_HINT = "make deploy BOARD=sim PORT={folder}"


def deployed(folder: str | Path) -> dict:
    """The config of the virtual insole deployed in `folder`; TransportError if none is."""
    folder = Path(folder)
    try:
        cfg = json.loads((folder / "config.json").read_text())
    except (OSError, ValueError):
        cfg = None
    if not isinstance(cfg, dict) or cfg.get("board_module") != "sim" or not (folder / "main.py").is_file():
        raise TransportError(f"no virtual insole deployed in {folder}: run `{DEPLOY_HINT.format(folder=folder)}`")
    return cfg


class VirtualInsole(Transport):
    """The Transport to the virtual insole deployed in `folder` (`micropython main.py` there)."""

    mtu = 247  # the stdio link carries any value whole, as an MTU of 247 does

    def __init__(self, folder: str | Path, *, secure: bool = True, heap: str = "4M"):
        super().__init__()
        self.folder = Path(folder)
        self.config = deployed(self.folder)
        self.device_id = self.config.get("device_id", "")
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
        self.proc = await asyncio.create_subprocess_exec(
            micropython(), "-X", f"heapsize={self.heap}", "main.py", cwd=self.folder,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            start_new_session=True)  # Ctrl-C is the host's, not its
        first = await self.proc.stdout.readline()
        while first.startswith(b"main:"):  # the firmware's own console line
            first = await self.proc.stdout.readline()
        if not first.startswith(b"K"):
            err = (await self.proc.stderr.read()).decode().strip().splitlines()
            self.proc = None
            raise TransportError(f"the virtual insole did not start: {err[-1] if err else first!r}")
        self.newest_seq = int(first.split()[1])

    async def stop(self) -> None:
        """Power the virtual insole down (its store stays)."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.returncode is None:
            try:
                proc.stdin.write(b"Q\n")
                await proc.stdin.drain()
            except ConnectionError:
                pass  # it has stopped already: the wait below collects it
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except asyncio.TimeoutError:  # a kill only now: killing one that has ended races asyncio's reaper
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
                    if not raw or raw == b"POWER CUT\n":
                        err = (await self.proc.stderr.read()).decode().strip().splitlines()
                        said = [" ".join(w) for w in out]  # a traceback goes to stdout on the unix port
                        reason = raw.decode().strip().lower() or (err or said or [""])[-1]
                        raise ConnectionError("the virtual insole stopped" + (f": {reason}" if reason else ""))
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
        return [Found(self.config.get("name", "Insole"), f"virtual:{self.folder}", None)]

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

    async def live(self, walk: Path, foot: str, schedule: list[tuple[str, int]], fit: dict | None = None) -> None:
        """The virtual wearer lives `schedule` [(kind, seconds)] through the sensors, walking `walk`,
        the insole sitting as `fit` says (sim/fit.py: {"lateral": P, "gainN": P}, per mille)."""
        await self.start()
        words = [f"{k}={int(v)}" for k, v in sorted((fit or {}).items())] + [f"{k}:{int(s)}" for k, s in schedule]
        await self._exchange("L %s %s %s" % (walk, foot, " ".join(words)))

    async def device_state(self) -> dict:
        """Everything the insole's coach knows, as its store keeps it (the sim link's `S`)."""
        await self.start()
        for words in await self._exchange("S"):
            if words[:2] == ["V", "state"]:
                return json.loads(" ".join(words[2:]))
        raise TransportError("no state from the virtual insole")

    async def midnight(self) -> None:
        """The insole lies unloaded until its next local midnight, when its day closes."""
        await self.start()
        await self._exchange("M")

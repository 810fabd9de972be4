"""The sim board's link: the InsoleService over stdio instead of a radio.

The virtual insole (`micropython DIR/main.py`, the image `make deploy
BOARD=sim PORT=DIR` lays out) serves the host one line at a time. Every
value is hex; CHAR is a gatt.py characteristic name (status, alerts,
records, control, serial, battery_level, ...).

    host -> insole                       insole -> host
    C 1|0     a central connects; 1: the link is encrypted and bonded
    X         it disconnects (the session ends, a stream stops)
    W HEX     a control-point write      I HEX        its indication, then, after
                                                      a REQUEST_RECORDS, one
                                         N records HEX   per record
    R CHAR    read a characteristic      V CHAR HEX   its value, or
                                         E CHAR CODE  the ATT error (decimal)
    L WALK FOOT [NAME=P ...] KIND:S ...
              the wearer lives a day script through the sensors (sim/day.py
              kinds: walk, stand, sit, gap, off; WALK a gaitpdb recording,
              FOOT L or R; NAME=P how the insole sits, sim/fit.py: lateral=P,
              gainN=P); answered once it has been lived
    M         the insole lies unloaded until the next local midnight, when the
              day closes; answered once it has
    S         the device's state, as the store keeps it: V state JSON
    Q         the power goes off

After each command the insole sends what it would notify on that link (the
Status when it changed, `N status HEX`; queued alerts, `N alerts HEX`) and
then a line `K`, once what the command changed is on flash. A line it cannot
parse gets `! message` and `K`. At power-up it says `K SEQ`, SEQ the newest
stored record's seq (0: none).
"""
import asyncio
import json
import sys

from edge.clock import Monotonic
from insole import gatt

try:
    from binascii import hexlify, unhexlify
except ImportError:
    from ubinascii import hexlify, unhexlify

CHARACTERISTICS = {}
for _service in gatt.SERVICES:
    for _c in _service.characteristics:
        CHARACTERISTICS[_c.name] = _c
ATT_INSUFFICIENT_AUTHENTICATION = 0x05
ATT_INSUFFICIENT_AUTHORIZATION = 0x08
ATT_READ_NOT_PERMITTED = 0x02
PAYLOAD_MAX = 244  # the stdio link stands for an MTU of 247


def session_clock():
    """The auth session's clock: the port's ticks folded."""
    return Monotonic()


class Link:
    """The framed stdio protocol around an InsoleService, on the sim `board`."""

    def __init__(self, service, board, read_line=None, out=None):
        self.service = service
        self.board = board
        self.read_line = read_line or sys.stdin.readline
        self.out = out or sys.stdout.write
        self.secure = False
        self.last_status = None

    def register(self):
        self.send("K", str(self.service.store.open_seq - 1))

    def send(self, *words):
        self.out(" ".join(words) + "\n")

    async def run(self):
        """Serve lines until Q or the end of input: then the power goes off."""
        while True:
            line = self.read_line()
            if not line or line.split()[:1] == ["Q"]:
                sys.exit(0)
            await self.handle(line)

    async def handle(self, line):
        """Answer one line."""
        words = line.split()
        if not words:
            return
        try:
            await self._command(words[0], words[1:])
        except (ValueError, KeyError, IndexError, OSError) as e:
            self.send("!", "%s: %s" % (words[0], e))
        while self.service.device.due:  # the main loop writes what the command changed
            await asyncio.sleep(0)
        self._flush()
        self.send("K")

    async def _command(self, op, args):
        service = self.service
        if op == "C":
            self.secure = args[0] == "1"
            self.last_status = None
            service.on_connect()
        elif op == "X":
            service.on_disconnect()
        elif op == "W":
            self.send("I", hexlify(service.control_write(unhexlify(args[0]), self.secure)).decode())
            for data in service.pending_records(lambda: service.allowed(gatt.RECORDS, self.secure), PAYLOAD_MAX):
                self.send("N", "records", hexlify(data).decode())
        elif op == "R":
            c = CHARACTERISTICS[args[0]]
            if not c.flags & gatt.READ:
                self.send("E", c.name, str(ATT_READ_NOT_PERMITTED))
            elif not service.allowed(c, self.secure):
                code = ATT_INSUFFICIENT_AUTHORIZATION if self.secure else ATT_INSUFFICIENT_AUTHENTICATION
                self.send("E", c.name, str(code))
            else:
                self.send("V", c.name, hexlify(service.read(c)).decode())
        elif op == "L":
            schedule = []
            fit = {}
            for word in args[2:]:
                name, eq, value = word.partition("=")
                if eq:
                    fit[name] = int(value)
                else:
                    kind, _, seconds = word.partition(":")
                    schedule.append((kind, int(seconds)))
            await self._live(schedule, args[0], args[1], fit)
        elif op == "S":
            self.send("V", "state", json.dumps(self.service.device.state()))
        elif op == "M":
            await self._live([("off", self.service.device.seconds_to_midnight())])
        else:
            raise ValueError("unknown command")

    async def _live(self, schedule, walk=None, foot="L", fit=None):
        self.board.live(schedule, walk, foot, fit)
        while self.board.living():
            await asyncio.sleep(0)

    def _flush(self):
        service = self.service
        if not service.connected:
            return
        if service.allowed(gatt.ALERTS, self.secure):
            while True:
                data = service.next_alert()
                if data is None:
                    break
                self.send("N", "alerts", hexlify(data).decode())
        if service.allowed(gatt.STATUS, self.secure):
            status = service.status_bytes()
            if status != self.last_status:
                self.last_status = status
                self.send("N", "status", hexlify(status).decode())

"""The virtual insole's BLE link over stdio: the firmware's InsoleService, no radio.

    micropython link_stdio.py STORE_DIR [--key HEX] [--id DEVICE_ID] [--fs HZ] [--days N]

Builds the Device (its plan from the store's configuration) and the Store in
STORE_DIR, lives N days first if asked (records to pull), then serves the
host one line at a time. Every value is hex; CHAR is a gatt.py characteristic
name (status, alerts, records, control, serial, battery_level, ...).

    host -> insole                       insole -> host
    C 1|0     a central connects; 1: the link is encrypted and bonded
    X         it disconnects (the session ends, a stream stops)
    W HEX     a control-point write      I HEX        its indication, then, after
                                                      a REQUEST_RECORDS, one
                                         N records HEX   per record
    R CHAR    read a characteristic      V CHAR HEX   its value, or
                                         E CHAR CODE  the ATT error (decimal)
    D N [S]   the wearer lives N days, wearing the insole S s a day (default:
              each day's limit, 1 h without one), and the days close
    Q         quit

After each command the insole sends what it would notify on that link (the
Status when it changed, `N status HEX`; queued alerts, `N alerts HEX`) and
then a line `K`. A line it cannot parse gets `! message` and `K`. At start it
says `K SEQ`, SEQ the newest stored record's seq (0: none).
"""
import sys
from array import array

from edge.clock import Monotonic
from edge.store import Store
from insole import gatt
from insole.clock import DAY_S
from insole.device import DUE_ROLLOVER, Device
from insole.service import InsoleService, saved_plan
from sim import config_path

try:
    from binascii import hexlify, unhexlify
except ImportError:
    from ubinascii import hexlify, unhexlify

DEMO_KEY = b"virtual-insole-demo-key-32-bytes"  # the virtual insole's key unless --key gives one
CHARACTERISTICS = {}
for _service in gatt.SERVICES:
    for _c in _service.characteristics:
        CHARACTERISTICS[_c.name] = _c
ATT_INSUFFICIENT_AUTHENTICATION = 0x05
ATT_INSUFFICIENT_AUTHORIZATION = 0x08
ATT_READ_NOT_PERMITTED = 0x02
PAYLOAD_MAX = 244  # the stdio link stands for an MTU of 247


def live_day(dev, store, worn_s=None):
    """The wearer wears the insole `worn_s` today (default: today's limit, 1 h with
    none) and the day closes through the device's own rollover and the store."""
    limit = dev.schedule.limit_s()
    dev.pipeline.wear.worn_s = (3600 if limit is None else limit) if worn_s is None else worn_s
    dev.clock.second = DAY_S - 1
    idle = array("H", [64] * dev.pipeline.channels)
    while not dev.due & DUE_ROLLOVER:
        dev.sample(idle)
    dev.service(store)


def build(store_dir, key=DEMO_KEY, device_id=b"VIRTUAL-1", fs_hz=10, clock_ms=None, random_bytes=None, cfg=None):
    """(device, store, service) of an insole keeping its flash in `store_dir`."""
    import json
    import os
    if cfg is None:
        with open(config_path("default")) as f:
            cfg = json.load(f)
    cfg["fs_hz"] = fs_hz
    store = Store(store_dir)
    checkpoint = store.recover()
    dev = Device(cfg, saved_plan(store))
    dev.seq = store.open_seq
    if checkpoint:
        dev.pipeline.wear.worn_s = dev.summary.restore(checkpoint)["wear_s"]
    if clock_ms is None:
        clock_ms = Monotonic()
    service = InsoleService(dev, store, key, device_id, random_bytes or os.urandom, clock_ms)
    return dev, store, service


class StdioLink:
    """One side of the framed stdio protocol around an InsoleService."""

    def __init__(self, dev, store, service, out):
        self.dev = dev
        self.store = store
        self.service = service
        self.out = out
        self.secure = False
        self.last_status = None

    def send(self, *words):
        self.out(" ".join(words) + "\n")

    def handle(self, line):
        """Answer one line; False on Q."""
        words = line.split()
        if not words:
            return True
        op = words[0]
        if op == "Q":
            return False
        try:
            self._command(op, words[1:])
        except (ValueError, KeyError, IndexError) as e:
            self.send("!", "%s: %s" % (op, e))
        self._flush()
        self.send("K")
        return True

    def _command(self, op, args):
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
        elif op == "D":
            worn = int(args[1]) if len(args) > 1 else None
            for _ in range(int(args[0])):
                live_day(self.dev, self.store, worn)
        else:
            raise ValueError("unknown command")

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


def _option(argv, name, default):
    if name in argv:
        i = argv.index(name)
        value = argv[i + 1]
        del argv[i:i + 2]
        return value
    return default


def main(argv):
    argv = list(argv)
    try:
        key = unhexlify(_option(argv, "--key", hexlify(DEMO_KEY).decode()))
        device_id = _option(argv, "--id", "VIRTUAL-1").encode()
        fs = int(_option(argv, "--fs", "10"))
        days = int(_option(argv, "--days", "0"))
        if len(argv) != 1:
            raise ValueError("usage: link_stdio.py STORE_DIR [--key HEX] [--id ID] [--fs HZ] [--days N]")
        dev, store, service = build(argv[0], key, device_id, fs)
        for _ in range(days):
            live_day(dev, store)
    except (ValueError, OSError) as e:
        sys.stderr.write("link_stdio: %s\n" % e)
        return 2
    out = sys.stdout.write
    link = StdioLink(dev, store, service, out)
    link.send("K", str(store.open_seq - 1))
    while True:
        line = sys.stdin.readline()
        if not line or not link.handle(line):
            return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""An insole in one process, for the link's tests and benchmarks (CPython or
MicroPython): Device, Store and InsoleService built and restored as main.py
builds them, days lived through the sensors, and a flash that already holds
past days.
"""
import json
import os
from array import array

from edge.clock import Monotonic
from edge.store import Store
from insole import record
from insole.device import Device
from insole.service import InsoleService
from sim import config_path, day

DEMO_KEY = b"virtual-insole-demo-key-32-bytes"
LOAD_N = 100.0  # on every sensor while worn: a standing foot


def sim_config():
    with open(config_path("sim")) as f:
        return json.load(f)


def build(store_dir, key=DEMO_KEY, device_id=b"VIRTUAL-1", fs_hz=10, clock_ms=None, random_bytes=None, cfg=None):
    """(device, store, service) of an insole keeping its flash in `store_dir`."""
    cfg = cfg or sim_config()
    cfg["fs_hz"] = fs_hz
    store = Store(store_dir)
    dev = Device(cfg)
    dev.restore(store)
    service = InsoleService(dev, store, key, device_id, random_bytes or os.urandom, clock_ms or Monotonic())
    return dev, store, service


def live_day(dev, store, worn_s=None):
    """The wearer stands on the insole `worn_s` (default: today's limit, 1 h with
    none), then it lies unloaded until midnight, when the day closes. Off the foot
    a board samples once a second, and so does this day, loaded or not."""
    limit = dev.schedule.limit_s()
    if worn_s is None:
        worn_s = 3600 if limit is None else limit
    n = dev.pipeline.channels
    adc = day.make_adc(sim_config())
    idle, loaded = array("H", [0] * n), array("H", [0] * n)
    adc.read([0.0] * n, idle)
    adc.read([LOAD_N] * n, loaded)
    while not dev.at_second() or not dev.pipeline.primed:
        dev.sample(idle)
        _serve(dev, store)
    for second in range(dev.seconds_to_midnight()):
        dev.slow_second(loaded if second < worn_s else idle)
        _serve(dev, store)


def _serve(dev, store):
    if dev.due:
        dev.service(store)


def stored_days(store_dir, days, wear_s=3600):
    """A flash that already holds `days` closed days (before the insole boots on it)."""
    store = Store(store_dir)
    store.recover()
    for _ in range(days):
        seq = store.open_seq
        closed = record.encode(record.DaySummary().close(seq, seq, wear_s, limit_s=wear_s))
        opening = record.encode(record.DaySummary().close(seq + 1, seq + 1, 0, flags=record.FLAG_PARTIAL))
        store.close_day(closed, opening)

"""Helpers of the BLE link tests: an insole (the firmware core under CPython) served
by a Bumble peripheral, a Bumble central, both on one virtual LocalLink."""
import asyncio
import contextlib
import os

from insole_host.transport.bumble_central import BumbleCentral
from insole_host.transport.gatt_server_bumble import insole_on_local_link

from insole import protocol as p

KEY = bytes(range(200, 232))
DEVICE_ID = b"INS-0042"
DAYS = 400
PACE = (4, 0.0075)  # 4 notifications per 7.5 ms connection interval

# Every command that changes state or reads records, valid, as a host would send it.
STATE_CHANGING = (
    (p.SET_TIME, (1750000000, 60)),
    (p.SET_SCHEDULE, ("gentle",)),
    (p.REPORT_PAIN, (5,)),
    (p.ACK_ALERT, ()),
    (p.SNOOZE, ()),
    (p.REQUEST_RECORDS, (0,)),
    (p.ZERO_CALIBRATION, ()),
    (p.FACTORY_RESET, (p.RESET_MAGIC,)),
)


def run(coro, timeout=40):
    """Run one test's coroutine on a fresh event loop, with a deadline."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


@contextlib.asynccontextmanager
async def served(store_dir, days=DAYS, secure=True, authenticate=True, key=KEY, pace=None):
    """(insole, pair, host): an insole with `days` records on a LocalLink and a
    connected Bumble central (paired when `secure`, in a session when `authenticate`)."""
    async with insole_on_local_link(store_dir, pace=pace, key=key, device_id=DEVICE_ID, stored=days) as (insole, pair):
        host = BumbleCentral(device=pair.central, secure=secure)
        await host.connect(pair.insole_address)
        if authenticate:
            await host.authenticate(key)
        yield insole, pair, host


def state(insole):
    """Everything a command could change on the insole."""
    dev, store = insole.device, insole.store
    return (dev.schedule.to_ints(), dict(dev.plan), dev.clock.unset, dev.clock.day, dev.alerts.count,
            dev.alerts.snoozed_until, dev.alerts.acked, dev.pipeline.primed, dev.seq, store.open_seq,
            store.dropped, [r["seq"] for r in store.records_after(0)], store.load_meta(),
            insole.service.streaming())


async def until(predicate, timeout=3.0):
    """Wait until predicate() holds (the link's tasks run meanwhile)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():
        if loop.time() > end:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.005)


def random_key():
    return os.urandom(32)

"""The aioble binding (edge/ble_aioble.py) against a fake aioble and bluetooth
(tests/fakes), under MicroPython and CPython: the table it registers, what it
advertises, and scripted connections writing control commands and getting
indications, records one per notification, alerts, a link loss and resume.
"""
import asyncio
import sys

from fsfaults import new_dir, remove_tree
from support import ROOT, config
from test_auth import DEVICE_ID, KEY, lcg_bytes

sys.path.insert(0, ROOT + "/tests/fakes")

import aioble  # noqa: E402  (the fake)
import aioble.security  # noqa: E402

from edge.ble_aioble import MTU, Link  # noqa: E402
from insole import auth, gatt, protocol as p, record  # noqa: E402
from sim.insole import build, live_day, stored_days  # noqa: E402

NAME = "Insole L"


class Millis:
    def __init__(self):
        self.ms = 5000

    def __call__(self):
        return self.ms


def fresh(days=0):
    """(link, device, store, service, clock, path): a fresh insole with `days` records."""
    aioble.reset()
    del aioble.security.calls[:]
    path = new_dir("ble")
    clock = Millis()
    cfg = config()
    stored_days(path, days)
    dev, store, service = build(path, KEY, DEVICE_ID, 10, clock_ms=clock, random_bytes=lcg_bytes(5), cfg=cfg)
    link = Link(service, NAME, status_s=0.005, rsc_s=0.005, battery_s=0.005, alert_s=0.005, pair_after_s=0.05)
    return link, dev, store, service, clock, path


async def settle(n=5):
    for _ in range(n):
        await asyncio.sleep(0.002)


async def command(link, conn, data):
    """The central writes a command; the indication that answers it."""
    n = len(conn.indicated)
    assert conn.write(link.chars["control"], data) == 0
    for _ in range(500):
        if len(conn.indicated) > n:
            return p.decode_response(conn.indicated[n])
        await asyncio.sleep(0.001)
    raise AssertionError("no indication for %r" % data)


async def log_in(link, conn, key=KEY):
    _, code, nonce = await command(link, conn, p.encode_command(p.AUTH_START))
    assert code == p.OK
    cn = b"\x07" * 16
    return await command(link, conn, p.encode_command(p.AUTH_PROOF, cn, auth.client_proof(key, nonce, cn, DEVICE_ID))), nonce, cn


def sent(conn, c):
    return [data for uuid, data in conn.notified if uuid == c.uuid]


def connected(link, **kw):
    """Run the link and connect a fake central: (run task, connection)."""
    task = asyncio.create_task(link.run())
    conn = aioble.FakeConnection(**kw)
    aioble.connect(conn)
    return task, conn


def test_registers_the_gatt_table_with_uuids_flags_and_access():
    link, dev, store, service, clock, path = fresh()
    try:
        link.register()
        assert aioble.security.calls == [("load_secrets", "ble_secrets.json")]
        cfg = [c for c in aioble.calls if c[0] == "config"][0][1]
        assert cfg == {"bond": True, "le_secure": True, "mitm": False, "io": 3, "mtu": MTU} and MTU == 247
        assert [s.uuid.value for s in aioble.registered] == [s.uuid for s in gatt.SERVICES]
        for svc, spec in zip(aioble.registered, gatt.SERVICES):
            assert [c.uuid.value for c in svc.characteristics] == [c.uuid for c in spec.characteristics]
            for ch, c in zip(svc.characteristics, spec.characteristics):
                assert ch.flags & 0xFF == c.flags, c.name  # the Bluetooth property bits, as gatt.py says
                encrypted = ch.flags & (aioble.FLAG_READ_ENCRYPTED | aioble.FLAG_WRITE_ENCRYPTED)
                assert bool(encrypted) == (c.access != gatt.OPEN and bool(c.flags & (gatt.READ | gatt.WRITE))), c.name
        control = link.chars["control"]
        assert control.flags & aioble.FLAG_WRITE_CAPTURE and control.flags & aioble.FLAG_WRITE_ENCRYPTED
        assert control.max_len >= 49  # an AUTH_PROOF write
        assert link.chars["status"].flags & aioble.FLAG_READ_ENCRYPTED
        assert link.chars["serial"].value == DEVICE_ID
        assert link.chars["sensor_location"].value == bytes((gatt.SENSOR_LOCATION_IN_SHOE,))
        assert link.chars["rsc_feature"].value == b"\x00\x00"
        assert link.chars["status"].value == b""  # nothing readable before a session
    finally:
        remove_tree(path)


def test_advertises_the_gatt_payloads_and_again_after_the_link_is_lost():
    link, dev, store, service, clock, path = fresh()

    async def main():
        link.register()
        task, conn = connected(link)
        await settle()
        conn.drop()
        await settle()
        task.cancel()
        await settle(1)
        return conn

    try:
        conn = asyncio.run(main())
        adverts = [c[1] for c in aioble.calls if c[0] == "advertise"]
        assert len(adverts) == 2  # once, and again after the link loss
        for a in adverts:
            assert a["adv_data"] == gatt.advertising_data(NAME)
            assert a["resp_data"] == gatt.scan_response_data(NAME)
            assert a["appearance"] == 0x0441
        assert conn.mtu == 247
        assert not service.connected and link.connection is None
    finally:
        remove_tree(path)


def test_a_session_commands_indications_records_alerts():
    link, dev, store, service, clock, path = fresh(days=40)
    status_char = link.chars["status"]

    async def main():
        link.register()
        task, conn = connected(link)
        await settle()
        (_, code, proof), nonce, cn = await log_in(link, conn)
        assert code == p.OK and proof == auth.device_proof(KEY, nonce, cn, DEVICE_ID)
        assert (await command(link, conn, p.encode_command(p.SET_TIME, 1750000000, 60)))[1] == p.OK
        assert not dev.clock.unset
        assert (await command(link, conn, p.encode_command(p.SET_SCHEDULE, "gentle")))[1] == p.OK
        assert dev.schedule.limit_s() == 3600
        conn.full = 3  # the stack's buffers fill up: the same record is sent again
        assert await command(link, conn, p.encode_command(p.REQUEST_RECORDS, 0)) == (p.REQUEST_RECORDS, p.OK, 40)
        for _ in range(50):
            await settle(1)
            if len(sent(conn, gatt.RECORDS)) == 40:
                break
        recs = [record.decode(r) for r in sent(conn, gatt.RECORDS)]
        assert [r["seq"] for r in recs] == list(range(1, 41))
        assert all(len(r) == record.SIZE for r in sent(conn, gatt.RECORDS))
        code, value = conn.read(status_char)
        assert code == 0 and p.decode_status(value)["record_seq"] == 40
        live_day(dev, store, 1800)  # a day within the limit, no alert: the next day's limit is 2 h
        assert dev.schedule.limit_s() == 7200
        assert (await command(link, conn, p.encode_command(p.REPORT_PAIN, 5)))[1] == p.OK
        await settle(10)
        alerts = [p.decode_alert(a) for a in sent(conn, gatt.ALERTS)]
        assert alerts and alerts[-1]["kind"] == 5 and alerts[-1]["limit_s"] == 3600  # PAIN_ROLLBACK
        assert p.decode_status(conn.read(status_char)[1])["limit_s"] == 3600
        assert p.decode_status(sent(conn, gatt.STATUS)[-1])["limit_s"] == 3600  # and notified
        conn.drop()
        await settle()
        task.cancel()
        await settle(1)
        return conn

    try:
        asyncio.run(main())
        assert not service.authenticated()  # the link loss ended the session
        assert status_char.value == b""
    finally:
        remove_tree(path)


def test_refuses_what_the_link_may_not_have_and_asks_for_security():
    link, dev, store, service, clock, path = fresh(days=5)
    before = (dev.schedule.to_ints(), dev.plan, dev.clock.unset, store.open_seq)

    async def main():
        link.register()
        task, plain = connected(link, encrypted=False, bonded=False)
        await settle()
        control, status = link.chars["control"], link.chars["status"]
        # unencrypted: the stack refuses before the handler sees anything
        assert plain.write(control, p.encode_command(p.REQUEST_RECORDS, 0)) == 0x0F
        assert plain.read(status) == (0x0F, None)
        await asyncio.sleep(0.1)
        assert plain.pairs and plain.pairs[0]["le_secure"] and plain.pairs[0]["bond"]  # security requested
        plain.drop()
        await settle()
        # encrypted but not bonded: the handler answers NOT_AUTHENTICATED, even AUTH_START
        unbonded = aioble.FakeConnection(encrypted=True, bonded=False)
        aioble.connect(unbonded)
        await settle()
        assert unbonded.read(link.chars["status"]) == (0x05, None)
        assert (await command(link, unbonded, p.encode_command(p.AUTH_START)))[1] == p.NOT_AUTHENTICATED
        assert (await command(link, unbonded, p.encode_command(p.REPORT_PAIN, 4)))[1] == p.NOT_AUTHENTICATED
        unbonded.drop()
        await settle()
        # bonded, no session: reads refused with Insufficient Authorization, commands refused
        bonded = aioble.FakeConnection()
        aioble.connect(bonded)
        await settle()
        assert bonded.read(status) == (0x08, None)
        assert (await command(link, bonded, p.encode_command(p.REQUEST_RECORDS, 0)))[1] == p.NOT_AUTHENTICATED
        (_, code, _), _, _ = await log_in(link, bonded, key=b"\x01" * 32)
        assert code == p.AUTH_FAILED
        assert (await command(link, bonded, p.encode_command(p.SET_SCHEDULE, "gentle")))[1] == p.NOT_AUTHENTICATED
        await settle(10)
        task.cancel()
        await settle(1)
        return plain, unbonded, bonded

    try:
        conns = asyncio.run(main())
        for conn in conns:
            assert not sent(conn, gatt.RECORDS) and not sent(conn, gatt.STATUS) and not sent(conn, gatt.ALERTS)
        assert (dev.schedule.to_ints(), dev.plan, dev.clock.unset, store.open_seq) == before
    finally:
        remove_tree(path)


def test_a_stream_cut_by_a_link_loss_resumes_without_gap_or_duplicate():
    link, dev, store, service, clock, path = fresh(days=60)

    async def main():
        link.register()
        task, first = connected(link)
        await settle()
        await log_in(link, first)

        def cut(uuid, data):
            if uuid == gatt.RECORDS.uuid and len(sent(first, gatt.RECORDS)) == 25:
                first.drop()
        first.on_notify = cut
        assert (await command(link, first, p.encode_command(p.REQUEST_RECORDS, 0)))[2] == 60
        await settle(10)
        got = [record.decode(r)["seq"] for r in sent(first, gatt.RECORDS)]
        assert got == list(range(1, 26)) and not service.streaming()
        second = aioble.FakeConnection()
        aioble.connect(second)
        await settle()
        assert (await command(link, second, p.encode_command(p.REQUEST_RECORDS, got[-1])))[1] == p.NOT_AUTHENTICATED
        await log_in(link, second)
        assert (await command(link, second, p.encode_command(p.REQUEST_RECORDS, got[-1])))[2] == 35
        for _ in range(50):
            await settle(1)
            if len(sent(second, gatt.RECORDS)) == 35:
                break
        got += [record.decode(r)["seq"] for r in sent(second, gatt.RECORDS)]
        task.cancel()
        await settle(1)
        return got

    try:
        assert asyncio.run(main()) == list(range(1, 61))
    finally:
        remove_tree(path)

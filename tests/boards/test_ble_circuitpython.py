"""The CircuitPython BLE binding (edge/ble_circuitpython.py) under CPython, on the real
adafruit_ble (from PyPI) over a fake `_bleio` (tests/fakes/_bleio.py: CircuitPython's
native module, with the nRF port's rules), and a real Device + Store: the table
it registers, what it advertises, and scripted centrals writing sealed commands
and getting indications, records cut to the link's packet length, what an
unpaired or unauthenticated link gets (nothing from the insole service), a link
loss and the resumed pull, one connection at a time, and main.link_for serving
this binding where the board config names it."""
import asyncio
import struct
import sys
import uuid as uuidlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "fakes"))

import _bleio  # noqa: E402  (the fake)
import adafruit_ble  # noqa: E402  (the real library)
from adafruit_ble.attributes import Attribute  # noqa: E402
from adafruit_ble.characteristics import Characteristic as CP  # noqa: E402
from central import Central, command, response  # noqa: E402

from edge.ble_circuitpython import Link  # noqa: E402
from insole import auth, gatt, protocol as p, record  # noqa: E402
from insole_host import codec  # noqa: E402
from sim.insole import build, live_day, stored_days  # noqa: E402
from support import config  # noqa: E402

NAME = "Insole L"
KEY = bytes(range(7, 39))
DEVICE_ID = b"INS-CP-7"
registered = _bleio.registered


def test_the_real_library_runs_over_the_fake_native_module():
    assert Path(_bleio.__file__).parent == ROOT / "tests" / "fakes"
    assert "site-packages" in adafruit_ble.__file__ and adafruit_ble.__version__


class Millis:
    def __init__(self):
        self.ms = 5000

    def __call__(self):
        return self.ms


@pytest.fixture
def insole(tmp_path):
    """fresh(days, **link_kw) -> (link, device, store, service): an insole with `days` records."""
    _bleio.reset()

    def fresh(days=0, **link_kw):
        stored_days(str(tmp_path / "store"), days)
        dev, store, service = build(str(tmp_path / "store"), KEY, DEVICE_ID, 10, clock_ms=Millis(), cfg=config())
        link = Link(service, NAME, status_s=0.005, rsc_s=0.005, battery_s=0.005, alert_s=0.005,
                    pair_after_s=0.05, control_s=0.001, poll_s=0.002, indicate_s=0.2, **link_kw)
        link.register()
        return link, dev, store, service
    return fresh


def ch(c):
    """The local characteristic the binding registered for a gatt.py entry."""
    return _bleio.local(c.uuid)


def sent(conn, c):
    return [data for u, data in conn.notified if u == c.uuid]


async def settle(n=5):
    for _ in range(n):
        await asyncio.sleep(0.003)


async def until(predicate, timeout=3.0):
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():
        assert loop.time() < end, "timed out"
        await asyncio.sleep(0.002)


def central(paired=True, pairable=True, mtu=247):
    """A central that connects and subscribes as the host does (the control point's
    indications, the records, Status and Alerts): (connection, CCCD write results)."""
    conn = _bleio.FakeConnection(paired=paired, pairable=pairable, mtu=mtu)
    _bleio.connect(conn)
    codes = [conn.subscribe(ch(gatt.CONTROL), indicate=True)]
    codes += [conn.subscribe(ch(c)) for c in (gatt.RECORDS, gatt.STATUS, gatt.ALERTS, gatt.RSC_MEASUREMENT,
                                               gatt.BATTERY_LEVEL)]
    return conn, codes


def serves(link, conn):
    return link.connection is not None and link.connection._bleio_connection is conn


async def serving(link):
    """Run the link until it advertises; its task."""
    task = asyncio.create_task(link.run())
    await until(lambda: adverts())
    return task


async def connected(link, **kwargs):
    """A central() the link has taken as its connection: (connection, CCCD write results)."""
    conn, codes = central(**kwargs)
    await until(lambda: serves(link, conn))
    return conn, codes


async def exchange(conn, data):
    """The central writes `data`; the indication that answers it."""
    n = len(conn.indicated)
    assert conn.write(ch(gatt.CONTROL), data) == 0
    await until(lambda: len(conn.indicated) > n)
    assert len(conn.indicated) == n + 1
    return conn.indicated[n]


async def plain(conn, data):
    """(opcode, code, value) of the answer to a write outside a session."""
    return response(await exchange(conn, data))[:3]


async def sealed(conn, session, data):
    """(opcode, code, value) of a command sealed in the session, its answer's tag checked."""
    return session.check(await exchange(conn, session.seal(data)))


async def log_in(conn, key=KEY):
    """((opcode, code, proof), the central's session or None)."""
    _, code, nonce = await plain(conn, command(p.AUTH_START))
    assert code == p.OK and len(nonce) == auth.NONCE_LEN
    cn = b"\x07" * 16
    got = await plain(conn, command(p.AUTH_PROOF, cn, auth.client_proof(key, nonce, cn, DEVICE_ID)))
    return got, (Central(key, nonce, cn, DEVICE_ID) if got[1] == p.OK else None)


def records_of(conn, session, counter):
    """The records the central got, joined from their notifications, tags checked."""
    stream = b"".join(sent(conn, gatt.RECORDS))
    return [record.decode(session.record(stream[i:i + p.UNIT_SIZE], counter))
            for i in range(0, len(stream) - len(stream) % p.UNIT_SIZE, p.UNIT_SIZE)]


def adverts():
    return [c[1] for c in _bleio.calls if c[0] == "start_advertising"]


def ad_structures(data):
    """{AD type: value} of an advertising payload, parsed here, not by gatt.py."""
    out, i = {}, 0
    while i < len(data):
        n = data[i]
        out[data[i + 1]] = data[i + 2:i + 1 + n]
        i += 1 + n
    assert i == len(data)
    return out


def test_registers_the_gatt_table_with_uuids_properties_and_encryption(insole):
    link, dev, store, service = insole()
    bits = {gatt.READ: CP.READ, gatt.WRITE: CP.WRITE, gatt.NOTIFY: CP.NOTIFY, gatt.INDICATE: CP.INDICATE}
    assert [s.uuid.value for s in registered] == [s.uuid for s in gatt.SERVICES]
    for svc, spec in zip(registered, gatt.SERVICES):
        assert sorted(str(c.uuid.value) for c in svc.characteristics) == sorted(str(c.uuid) for c in spec.characteristics)
        for c in spec.characteristics:
            local = ch(c)
            assert local.properties == sum(v for k, v in bits.items() if c.flags & k), c.name
            subscribable_or_readable = c.flags & (gatt.READ | gatt.NOTIFY | gatt.INDICATE)
            if spec is gatt.INSOLE:  # every insole value, its CCCD and the control point's writes need encryption
                assert local.read_perm == Attribute.ENCRYPT_NO_MITM, c.name
                want_write = Attribute.ENCRYPT_NO_MITM if c.flags & gatt.WRITE else Attribute.NO_ACCESS
            else:
                assert local.read_perm == (Attribute.OPEN if subscribable_or_readable else Attribute.NO_ACCESS)
                want_write = Attribute.NO_ACCESS
            assert local.write_perm == want_write, c.name
    assert ch(gatt.CONTROL).max_length >= 48 + auth.SEAL_LEN  # the longest write, sealed
    assert ch(gatt.RECORDS).max_length == p.UNIT_SIZE == 63
    assert ch(gatt.STATUS).max_length == 20 and ch(gatt.ALERTS).max_length == 17
    assert ch(gatt.SERIAL).value == DEVICE_ID
    assert ch(gatt.SENSOR_LOCATION).value == bytes((gatt.SENSOR_LOCATION_IN_SHOE,))
    assert ch(gatt.RSC_FEATURE).value == b"\x00\x00"
    assert ch(gatt.BATTERY_LEVEL).value == b"\x64"
    for c in (gatt.STATUS, gatt.ALERTS, gatt.RECORDS, gatt.CONTROL):
        assert ch(c).value == b"", c.name  # nothing to read before a session
    assert _bleio.adapter.name == NAME  # the GAP Device Name


def test_advertises_appearance_and_the_insole_service_and_again_after_a_link_loss(insole):
    link, dev, store, service = insole()

    async def main():
        task = await serving(link)
        conn, _ = central()
        await until(lambda: service.connected)
        await settle()
        assert len(adverts()) == 1 and not _bleio.adapter.advertising  # one central at a time
        conn.drop()
        await until(lambda: len(adverts()) == 2)
        assert not service.connected and link.connection is None
        task.cancel()
        await settle(1)

    asyncio.run(main())
    for a in adverts():
        assert a["adv"] == gatt.advertising_data(NAME) and a["resp"] == gatt.scan_response_data(NAME)
        assert a["connectable"] and a["interval"] == 0.02  # the fast stage: after boot, after a link
        ad = ad_structures(a["adv"])
        assert ad[0x19] == struct.pack("<H", 0x0441)  # appearance: running/walking sensor, in-shoe
        assert ad[0x07] == uuidlib.UUID(gatt.INSOLE.uuid).bytes[::-1]  # the insole service, 128-bit, LE
        assert ad[0x01] == b"\x06" and ad[0x08] == NAME.encode()[:4]  # the name, shortened to fit
        resp = ad_structures(a["resp"])
        assert resp[0x09] == NAME.encode() and resp[0x03] == b"\x14\x18"


def test_a_session_commands_indications_records_alerts_status(insole):
    link, dev, store, service = insole(days=40)

    async def main():
        task = await serving(link)
        conn, codes = await connected(link)
        assert codes == [0] * 6
        (_, code, proof), session = await log_in(conn)
        assert code == p.OK
        assert (await sealed(conn, session, command(p.SET_TIME, 1750000000, 60)))[1] == p.OK
        assert not dev.clock.unset
        assert (await sealed(conn, session, command(p.SET_SCHEDULE, "gentle")))[1] == p.OK
        assert dev.schedule.limit_s() == 3600
        # a write is polled: the same command twice is two writes (their counters differ), each answered
        assert (await sealed(conn, session, command(p.SNOOZE)))[1] == p.OK
        assert (await sealed(conn, session, command(p.SNOOZE)))[1] == p.OK
        assert await sealed(conn, session, command(p.REQUEST_RECORDS, 0)) == (p.REQUEST_RECORDS, p.OK, 40)
        pull = session.counter
        await until(lambda: len(sent(conn, gatt.RECORDS)) == 40)
        assert all(len(r) == p.UNIT_SIZE for r in sent(conn, gatt.RECORDS))  # a record and its tag per notification
        recs = records_of(conn, session, pull)
        assert [r["seq"] for r in recs] == list(range(1, 41))
        assert [record.encode(r) for r in recs] == [record.encode(f) for f in store.records_after(0)]
        code, value = conn.read(ch(gatt.STATUS))
        assert code == 0 and codec.decode_status(value)["record_seq"] == 40
        assert codec.decode_status(value)["flags"] & p.STATUS_AUTHENTICATED
        assert sent(conn, gatt.STATUS)  # and notified
        await until(lambda: sent(conn, gatt.RSC_MEASUREMENT) and sent(conn, gatt.BATTERY_LEVEL))
        live_day(dev, store, 1800)  # a day within the limit, no alert: the next day's limit is 2 h
        assert dev.schedule.limit_s() == 7200
        assert (await sealed(conn, session, command(p.REPORT_PAIN, 5)))[1] == p.OK
        await until(lambda: any(codec.decode_alert(a)["kind"] == 5 for a in sent(conn, gatt.ALERTS)))
        assert codec.decode_alert(sent(conn, gatt.ALERTS)[-1])["limit_s"] == 3600  # PAIN_ROLLBACK
        await until(lambda: codec.decode_status(sent(conn, gatt.STATUS)[-1])["limit_s"] == 3600)
        # an indication the stack refuses (the previous unconfirmed) goes again
        conn.busy = 2
        assert (await sealed(conn, session, command(p.ACK_ALERT)))[1] == p.OK
        assert (await sealed(conn, session, command(p.AUTH_END)))[1] == p.OK
        assert (await plain(conn, command(p.REQUEST_RECORDS, 0)))[1] == p.NOT_AUTHENTICATED
        n = len(conn.indicated)
        assert conn.write(ch(gatt.CONTROL), b"") == 0  # an empty write, after an answer, is a write too
        await until(lambda: len(conn.indicated) > n)
        assert conn.indicated[n:] == [bytes((p.RESPONSE_BIT, p.BAD_LENGTH))]
        conn.drop()
        await until(lambda: not service.connected)
        task.cancel()
        await settle(1)
        return conn

    conn = asyncio.run(main())
    assert len(sent(conn, gatt.RECORDS)) == 40
    assert not service.authenticated()  # the link loss ended the session
    for c in (gatt.STATUS, gatt.ALERTS, gatt.RECORDS, gatt.CONTROL):
        assert ch(c).value == b"", c.name  # cleared before advertising again


def test_an_unpaired_link_gets_nothing_from_the_insole_service(insole):
    link, dev, store, service = insole(days=5)
    live_day(dev, store, 1800)  # worn within the limit, before the pre-warning: the plan steps up
    dev.report_pain(3)  # a pain rollback alert waits in the ring
    before = (dev.schedule.to_ints(), dict(dev.plan), dev.clock.unset, store.open_seq)

    async def main():
        task = await serving(link)
        # unencrypted and refusing to pair: the stack refuses the insole service before the binding sees it
        unpaired, codes = central(paired=False, pairable=False)
        assert codes[:4] == [_bleio.ATT_INSUFFICIENT_AUTHENTICATION] * 4  # control, records, status, alerts
        assert codes[4:] == [0, 0]  # RSC and battery are open
        assert unpaired.write(ch(gatt.CONTROL), command(p.AUTH_START)) == _bleio.ATT_INSUFFICIENT_AUTHENTICATION
        assert unpaired.read(ch(gatt.STATUS)) == (_bleio.ATT_INSUFFICIENT_AUTHENTICATION, None)
        assert unpaired.subscribe(ch(gatt.BATTERY_LEVEL), indicate=True) == _bleio.ATT_CCCD_IMPROPERLY_CONFIGURED
        assert unpaired.read(ch(gatt.SERIAL)) == (0, DEVICE_ID)
        await until(lambda: unpaired.pairs)  # the binding asked for pairing (bonding)
        assert unpaired.pairs == [True]
        await until(lambda: sent(unpaired, gatt.RSC_MEASUREMENT))
        unpaired.drop()
        await until(lambda: len(adverts()) == 2)
        # paired, no session: commands refused, nothing notified, Status empty
        bonded, codes = await connected(link)
        assert codes == [0] * 6
        assert (await plain(bonded, command(p.REQUEST_RECORDS, 0)))[1] == p.NOT_AUTHENTICATED
        (_, code, _), _ = await log_in(bonded, key=b"\x01" * 32)
        assert code == p.AUTH_FAILED
        assert (await plain(bonded, command(p.SET_SCHEDULE, "gentle")))[1] == p.NOT_AUTHENTICATED
        assert (await plain(bonded, command(p.REPORT_PAIN, 4)))[1] == p.NOT_AUTHENTICATED
        await settle(10)
        assert bonded.read(ch(gatt.STATUS)) == (0, b"")
        assert not bonded.pairs  # already encrypted: no pairing asked
        bonded.drop()
        await until(lambda: len(adverts()) == 3)
        # not paired yet but pairable: the binding's pair() encrypts the link, then a session works
        late, _ = central(paired=False)
        await until(lambda: late.paired)
        assert late.pairs == [True]
        assert late.subscribe(ch(gatt.CONTROL), indicate=True) == 0 and late.subscribe(ch(gatt.ALERTS)) == 0
        assert (await log_in(late))[0][1] == p.OK
        await until(lambda: sent(late, gatt.ALERTS))  # the alert waited for a session
        assert [codec.decode_alert(a)["kind"] for a in sent(late, gatt.ALERTS)] == [5]
        late.drop()
        await until(lambda: not service.connected)
        task.cancel()
        await settle(1)
        return unpaired, bonded

    unpaired, bonded = asyncio.run(main())
    insole_uuids = {c.uuid for c in gatt.INSOLE.characteristics}
    assert not [u for u, _ in unpaired.notified if u in insole_uuids] and not unpaired.indicated
    assert not [u for u, _ in bonded.notified if u in insole_uuids]
    assert all(response(a)[1] in (p.NOT_AUTHENTICATED, p.OK, p.AUTH_FAILED) for a in bonded.indicated)
    assert (dev.schedule.to_ints(), dict(dev.plan), dev.clock.unset, store.open_seq) == before


def test_a_pull_cut_by_a_link_loss_resumes_after_the_last_seq(insole):
    link, dev, store, service = insole(days=60)

    async def main():
        task = await serving(link)
        first, _ = await connected(link, mtu=23)  # no MTU exchange: a record in 4 notifications
        _, session = await log_in(first)

        def cut(u, data):  # in the middle of the 26th record
            if u == gatt.RECORDS.uuid and len(sent(first, gatt.RECORDS)) == 25 * 4 + 2:
                first.drop()
        first.on_notify = cut
        assert (await sealed(first, session, command(p.REQUEST_RECORDS, 0)))[2] == 60
        await until(lambda: not service.connected)
        assert max(len(r) for r in sent(first, gatt.RECORDS)) == 20
        got = [r["seq"] for r in records_of(first, session, session.counter)]
        assert got == list(range(1, 26)) and not service.streaming()
        await until(lambda: len(adverts()) == 2)  # back to advertising
        assert ch(gatt.RECORDS).value == b""  # the last record does not stay in the table
        second, _ = await connected(link)
        assert (await plain(second, command(p.REQUEST_RECORDS, got[-1])))[1] == p.NOT_AUTHENTICATED
        _, session = await log_in(second)
        assert (await sealed(second, session, command(p.REQUEST_RECORDS, got[-1])))[2] == 35
        await until(lambda: len(sent(second, gatt.RECORDS)) == 35)
        got += [r["seq"] for r in records_of(second, session, session.counter)]
        task.cancel()
        await settle(1)
        return got

    assert asyncio.run(main()) == list(range(1, 61))


def test_a_session_that_ends_mid_stream_stops_the_records(insole):
    link, dev, store, service = insole(days=30)

    async def main():
        task = await serving(link)
        conn, _ = await connected(link)
        _, session = await log_in(conn)

        def expire(u, data):
            if u == gatt.RECORDS.uuid and len(sent(conn, gatt.RECORDS)) == 10:
                service.clock_ms.ms += 601_000  # past the 10-minute session
        conn.on_notify = expire
        assert (await sealed(conn, session, command(p.REQUEST_RECORDS, 0)))[2] == 30
        await until(lambda: not service.streaming())
        await settle(10)
        got = [r["seq"] for r in records_of(conn, session, session.counter)]
        assert got == list(range(1, 11))  # nothing after the session ended
        assert (await plain(conn, command(p.REQUEST_RECORDS, 10)))[1] == p.NOT_AUTHENTICATED
        task.cancel()
        await settle(1)

    asyncio.run(main())


def test_a_second_link_is_dropped_and_gets_nothing(insole):
    link, dev, store, service = insole(days=3)

    async def main():
        task = await serving(link)
        owner, _ = await connected(link)
        stray = _bleio.FakeConnection()
        _bleio.connect(stray, stray=True)
        stray.subscribe(ch(gatt.RECORDS))
        await until(lambda: not stray.connected)
        _, session = await log_in(owner)
        assert (await sealed(owner, session, command(p.REQUEST_RECORDS, 0)))[2] == 3
        await until(lambda: len(sent(owner, gatt.RECORDS)) == 3)
        task.cancel()
        await settle(1)
        return stray

    stray = asyncio.run(main())
    assert not stray.notified and ("disconnect",) in _bleio.calls


def test_a_write_that_lands_before_the_link_serves_the_connection_is_answered(insole):
    link, dev, store, service = insole()

    async def main():
        task = await serving(link)
        conn, _ = central()
        assert conn.write(ch(gatt.CONTROL), command(p.AUTH_START)) == 0  # at once, before the link's tasks run
        await until(lambda: conn.indicated)
        assert response(conn.indicated[0])[:2] == (p.AUTH_START, p.OK)
        task.cancel()
        await settle(1)

    asyncio.run(main())


def test_advertises_fast_for_the_configs_first_seconds_then_slowly_and_fast_again_after_a_link(insole):
    """The board config's "ble" (xiao_nrf52840.json): 20 ms for 30 s on the link's
    clock, then advertising stopped and started again at 1022.5 ms; after a link
    loss, 20 ms again."""
    ble = config("xiao_nrf52840")["ble"]
    link, dev, store, service = insole(advertising=gatt.advertising_intervals(ble))

    def intervals():
        return [a["interval"] for a in adverts()]

    async def main():
        task = await serving(link)
        assert intervals() == [0.02]
        service.clock_ms.ms += 29999
        await settle()
        assert intervals() == [0.02] and _bleio.adapter.advertising
        service.clock_ms.ms += 1
        await until(lambda: len(adverts()) == 2)
        assert intervals() == [0.02, 1.0225] and _bleio.adapter.advertising
        stops = [c for c in _bleio.calls if c[0] in ("stop_advertising", "start_advertising")]
        assert [c[0] for c in stops] == ["start_advertising", "stop_advertising", "start_advertising"]
        service.clock_ms.ms += 600000
        await settle()
        assert len(adverts()) == 2  # slow until a central comes
        conn, _ = await connected(link)
        conn.drop()
        await until(lambda: len(adverts()) == 3)
        assert intervals()[2] == 0.02
        task.cancel()
        await settle(1)

    asyncio.run(main())


def test_the_adapter_restarts_when_neither_advertising_nor_connected_then_the_board(insole):
    link, dev, store, service = insole()
    resets = []
    link.reset = lambda: resets.append(1)

    async def main():
        _bleio.adapter.broken = True  # the stack refuses to advertise
        task = asyncio.create_task(link.run())
        await settle(5)
        assert link.restarts == 0 and not adverts()  # not yet 30 s
        service.clock_ms.ms += 30000
        await until(lambda: link.restarts == 1)
        assert ("enabled", False) in _bleio.calls and ("enabled", True) in _bleio.calls and resets == []
        _bleio.adapter.broken = False  # the restart helped: advertising again, a central gets in
        await until(lambda: adverts())
        conn, _ = await connected(link)
        conn.drop()
        await until(lambda: len(adverts()) == 2)
        _bleio.adapter.broken = True
        _bleio.adapter.advertising = False  # it stopped, and will not start again
        await settle(3)
        service.clock_ms.ms += 30000
        await until(lambda: link.restarts == 2)
        service.clock_ms.ms += 30000
        await until(lambda: resets)
        task.cancel()
        await settle(1)

    asyncio.run(main())
    assert link.restarts == 3 and resets == [1]  # the adapter twice, then the board


def test_main_serves_the_link_the_board_config_names(tmp_path):
    import main
    from edge import ble_circuitpython
    _bleio.reset()
    dev, store, _ = build(str(tmp_path / "store"), KEY, DEVICE_ID, 10, cfg=config())
    cfg = {"auth_key": KEY.hex(), "device_id": DEVICE_ID.decode(), "name": NAME, "link": "circuitpython"}

    class Board:
        def battery_mv(self):
            return 3750

    link = main.link_for(cfg, Board(), dev, store)
    link.register()
    assert isinstance(link, ble_circuitpython.Link) and link.name == NAME
    assert [s.uuid.value for s in registered] == [s.uuid for s in gatt.SERVICES]
    assert ch(gatt.BATTERY_LEVEL).value == bytes((50,)) and ch(gatt.SERIAL).value == DEVICE_ID
    with pytest.raises(ValueError, match="link 'zigbee'"):
        main.link_for(dict(cfg, link="zigbee"), Board(), dev, store)
    del cfg["auth_key"]  # not provisioned: no link, and the console says how to provision it
    assert main.link_for(cfg, Board(), dev, store) is None

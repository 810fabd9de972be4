"""The aioble binding (edge/ble_aioble.py) against a fake aioble that keeps the real
stack's rules (tests/fakes/aioble: NimBLE's, CCCD writes never reported), under
MicroPython and CPython: the table it registers, what it advertises, scripted
connections writing sealed commands and getting indications, records cut to
the MTU, alerts, link losses at every step of a session with strangers
connected, and the last-resort restart.
"""
import asyncio
import sys

from central import Central, command, response
from fsfaults import new_dir, remove_tree
from support import ROOT, config
from test_auth import DEVICE_ID, KEY, lcg_bytes

sys.path.insert(0, ROOT + "/tests/fakes")

import aioble  # noqa: E402  (the fake)
import aioble.core  # noqa: E402
import aioble.security  # noqa: E402

from edge.ble_aioble import MTU, Link  # noqa: E402
from insole import auth, gatt, protocol as p, record  # noqa: E402
from insole.alerts import ADVISORY  # noqa: E402
from sim.insole import build, live_day, stored_days  # noqa: E402

NAME = "Insole L"
STREAMED = (gatt.CONTROL, gatt.RECORDS, gatt.STATUS, gatt.ALERTS)  # what the host subscribes to at connect


class Millis:
    def __init__(self):
        self.ms = 5000

    def __call__(self):
        return self.ms


def fresh(days=0, **link_kw):
    """(link, device, store, service, clock, path): a fresh insole with `days` records."""
    aioble.reset()
    del aioble.security.calls[:]
    path = new_dir("ble")
    clock = Millis()
    cfg = config()
    stored_days(path, days)
    dev, store, service = build(path, KEY, DEVICE_ID, 10, clock_ms=clock, random_bytes=lcg_bytes(5), cfg=cfg)
    kw = {"status_s": 0.005, "rsc_s": 0.005, "battery_s": 0.005, "alert_s": 0.005, "pair_after_s": 0.05}
    kw.update(link_kw)
    link = Link(service, NAME, **kw)
    return link, dev, store, service, clock, path


async def settle(n=5):
    for _ in range(n):
        await asyncio.sleep(0.002)


async def stop(task):
    """Stop the link's run task and let it unwind."""
    task.cancel()
    await settle(1)


async def exchange(link, conn, data):
    """The central writes `data`; the indication that answers it (raw)."""
    n = len(conn.indicated)
    assert conn.write(link.chars["control"], data) == 0
    for _ in range(500):
        if len(conn.indicated) > n:
            return conn.indicated[n]
        await asyncio.sleep(0.001)
    raise AssertionError("no indication for %r" % data)


async def plain(link, conn, data):
    """(opcode, code, value) of the answer to a write outside a session."""
    return response(await exchange(link, conn, data))[:3]


async def log_in(link, conn, key=KEY):
    """AUTH_START and AUTH_PROOF: ((opcode, code, proof), the central's session or None)."""
    _, code, nonce = await plain(link, conn, command(p.AUTH_START))
    assert code == p.OK
    cn = b"\x07" * 16
    got = await plain(link, conn, command(p.AUTH_PROOF, cn, auth.client_proof(key, nonce, cn, DEVICE_ID)))
    return got, (Central(key, nonce, cn, DEVICE_ID) if got[1] == p.OK else None)


async def sealed(link, conn, central, data):
    """(opcode, code, value) of a command sealed in the session, the answer's tag checked."""
    return central.check(await exchange(link, conn, central.seal(data)))


def sent(conn, c):
    return [data for uuid, data in conn.notified if uuid == c.uuid]


def records_of(conn, central, counter):
    """The records the central got, joined from their notifications, tags checked."""
    stream = b"".join(sent(conn, gatt.RECORDS))
    assert len(stream) % p.UNIT_SIZE == 0
    return [record.decode(central.record(stream[i:i + p.UNIT_SIZE], counter))
            for i in range(0, len(stream), p.UNIT_SIZE)]


async def pull_all(link, conn, central, count):
    """REQUEST_RECORDS after 0 (answered OK, `count`), then the seqs of the records streamed."""
    assert await sealed(link, conn, central, command(p.REQUEST_RECORDS, 0)) == (p.REQUEST_RECORDS, p.OK, count)
    pull = central.counter
    for _ in range(50):
        await settle(1)
        if len(sent(conn, gatt.RECORDS)) == count:
            break
    return [r["seq"] for r in records_of(conn, central, pull)]


def join(link, central_mtu=247, subscribe=STREAMED, **kw):
    """A central connects and subscribes (the control point's indications, the rest's
    notifications): CCCD writes the stack keeps to itself."""
    conn = aioble.FakeConnection(central_mtu=central_mtu, **kw)
    aioble.connect(conn)
    for c in subscribe:
        assert conn.subscribe(link.chars[c.name], notify=c is not gatt.CONTROL, indicate=c is gatt.CONTROL) == 0
    return conn


def connected(link, **kw):
    """Run the link and connect a fake central: (run task, connection)."""
    task = asyncio.create_task(link.run())
    return task, join(link, **kw)


def test_registers_the_gatt_table_with_uuids_flags_access_and_the_gap_name():
    link, dev, store, service, clock, path = fresh()
    try:
        link.register()
        assert aioble.security.calls == [("load_secrets", "ble_secrets.json")]
        cfg = [c for c in aioble.calls if c[0] == "config"][0][1]
        assert cfg == {"bond": True, "le_secure": True, "mitm": False, "io": 3, "mtu": MTU,
                       "gap_name": NAME} and MTU == 247
        assert [s.uuid.value for s in aioble.registered] == [s.uuid for s in gatt.SERVICES]
        for svc, spec in zip(aioble.registered, gatt.SERVICES):
            assert [c.uuid.value for c in svc.characteristics] == [c.uuid for c in spec.characteristics]
            for ch, c in zip(svc.characteristics, spec.characteristics):
                assert ch.flags & 0xFF == c.flags, c.name  # the Bluetooth property bits, as gatt.py says
                encrypted = ch.flags & (aioble.FLAG_READ_ENCRYPTED | aioble.FLAG_WRITE_ENCRYPTED)
                assert bool(encrypted) == (c.access != gatt.OPEN and bool(c.flags & (gatt.READ | gatt.WRITE))), c.name
        control = link.chars["control"]
        assert control.flags & aioble.FLAG_WRITE_CAPTURE and control.flags & aioble.FLAG_WRITE_ENCRYPTED
        assert control.max_len >= 33 + auth.SEAL_LEN  # an AUTH_PROOF write, and any sealed command
        assert link.chars["status"].flags & aioble.FLAG_READ_ENCRYPTED
        assert link.chars["serial"].value == DEVICE_ID
        assert link.chars["sensor_location"].value == bytes((gatt.SENSOR_LOCATION_IN_SHOE,))
        assert link.chars["rsc_feature"].value == b"\x00\x00"
        assert link.chars["status"].value == b""  # nothing readable before a session
        assert aioble.core.ble.handler == link._irq  # the wrapped IRQ handler
    finally:
        remove_tree(path)


def test_a_provisioned_passkey_pairs_with_passkey_entry_and_only_such_a_bond_counts():
    link, dev, store, service, clock, path = fresh()
    service.passkey = 123456

    async def main():
        link.register()
        cfg = [c for c in aioble.calls if c[0] == "config"][0][1]
        assert cfg["mitm"] is True and cfg["io"] == 0 and cfg["le_secure"]  # display only: the insole "shows" it
        aioble.core.deliver(aioble.core.IRQ_PASSKEY_ACTION, (70, 3, 0))  # the stack asks for the passkey to show
        assert aioble.core.ble.passkeys == [(70, 3, 123456)]
        task, just_works = connected(link)  # bonded, but the pairing was not authenticated
        await settle()
        assert (await plain(link, just_works, command(p.AUTH_START)))[1] == p.NOT_AUTHENTICATED
        just_works.drop()
        await settle()
        by_passkey = join(link)
        by_passkey.authenticated = True
        await settle()
        assert (await log_in(link, by_passkey))[0][1] == p.OK
        await stop(task)

    try:
        asyncio.run(main())
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
        await stop(task)
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


def test_advertises_fast_for_the_configs_first_seconds_then_slowly_and_fast_again_after_a_link():
    """The board config's "ble" (esp32s3.json): 20 ms for 30 s, through aioble's
    advertising timeout, then 1022.5 ms with none; after a link loss, 20 ms again."""
    ble = config("esp32s3")["ble"]
    link, dev, store, service, clock, path = fresh(advertising=gatt.advertising_intervals(ble))

    def adverts():
        return [(c[1]["interval_us"], c[1]["timeout_ms"]) for c in aioble.calls if c[0] == "advertise"]

    async def main():
        link.register()
        task = asyncio.create_task(link.run())
        await settle()
        assert adverts() == [(20000, 30000)]
        aioble.time_out_advertising()  # 30 s and nobody came
        await settle()
        assert adverts() == [(20000, 30000), (1022500, None)]
        aioble.time_out_advertising()  # the slow stage has no timeout: it goes on
        await settle()
        assert len(adverts()) == 2
        conn = join(link)
        await settle()
        assert link.connection is conn
        conn.drop()
        await settle()
        assert adverts()[2:] == [(20000, 30000)]
        await stop(task)

    try:
        asyncio.run(main())
    finally:
        remove_tree(path)


def test_without_a_fast_stage_it_advertises_slowly_at_once():
    intervals = gatt.advertising_intervals({"adv_fast_s": 0, "adv_slow_ms": 211.25})
    link, dev, store, service, clock, path = fresh(advertising=intervals)

    async def main():
        link.register()
        task = asyncio.create_task(link.run())
        await settle()
        await stop(task)

    try:
        asyncio.run(main())
        assert [(c[1]["interval_us"], c[1]["timeout_ms"]) for c in aioble.calls if c[0] == "advertise"] == [
            (211250, None)]
    finally:
        remove_tree(path)


def test_a_session_commands_indications_records_alerts():
    link, dev, store, service, clock, path = fresh(days=40)
    status_char = link.chars["status"]

    async def main():
        link.register()
        task, conn = connected(link)
        await settle()
        (_, code, proof), central = await log_in(link, conn)
        assert code == p.OK
        assert (await sealed(link, conn, central, command(p.SET_TIME, 1750000000, 60)))[1] == p.OK
        assert not dev.clock.unset
        assert (await sealed(link, conn, central, command(p.SET_SCHEDULE, "gentle")))[1] == p.OK
        assert dev.schedule.limit_s() == 3600
        conn.full = 3  # the stack's buffers fill up: the same notification is sent again
        assert await pull_all(link, conn, central, 40) == list(range(1, 41))
        code, value = conn.read(status_char)
        assert code == 0 and value[16:20] == b"\x28\x00\x00\x00"  # record_seq 40
        live_day(dev, store, 1800)  # a day within the limit, no alert: the next day's limit is 2 h
        assert dev.schedule.limit_s() == 7200
        assert (await sealed(link, conn, central, command(p.REPORT_PAIN, 5)))[1] == p.OK
        await settle(10)
        alerts = sent(conn, gatt.ALERTS)
        assert alerts and alerts[-1][4] == 5 and alerts[-1][13:17] == b"\x10\x0e\x00\x00"  # PAIN_ROLLBACK to 3600
        assert conn.read(status_char)[1][3:6] == b"\x10\x0e\x00"  # limit_s, u24 at 3
        assert sent(conn, gatt.STATUS)[-1][3:6] == b"\x10\x0e\x00"  # and notified
        conn.drop()
        await settle()
        await stop(task)

    try:
        asyncio.run(main())
        assert not service.authenticated()  # the link loss ended the session
        assert status_char.value == b""
        assert aioble.core.ble.errors == [] and link.irq_errors == 0
    finally:
        remove_tree(path)


def test_a_session_gets_its_values_though_no_cccd_write_reached_the_binding():
    """NimBLE keeps the CCCDs to itself: a central that wrote none still logs in
    (answers indicated), and its authenticated session gets the Status, the
    alerts and the records; before the session it got none of them."""
    link, dev, store, service, clock, path = fresh(days=3)

    async def main():
        link.register()
        task, conn = connected(link, subscribe=())
        await settle(10)
        dev.alerts.notify(ADVISORY, 0, 0, None)
        await settle(10)
        assert not sent(conn, gatt.STATUS) and not sent(conn, gatt.ALERTS)  # no session yet
        _, central = await log_in(link, conn)
        assert await pull_all(link, conn, central, 3) == [1, 2, 3]
        await settle(10)
        assert sent(conn, gatt.STATUS) and sent(conn, gatt.ALERTS)[-1][4] == ADVISORY
        await stop(task)

    try:
        asyncio.run(main())
    finally:
        remove_tree(path)


def runs(values):
    """`values` with each run of repeats as one."""
    return [v for i, v in enumerate(values) if i == 0 or v != values[i - 1]]


def test_rsc_and_battery_are_notified_to_the_central_being_served():
    """The open RSC Measurement and Battery Level go to the central being served,
    encrypted or not, session or not (the stack's CCCDs are out of sight): RSC
    every rsc_s, the battery once per change (checked every battery_s); never with
    send_update, so no other central gets them and none gets them later as an indication."""
    link, dev, store, service, clock, path = fresh()
    cadence, pct = [0], [80]
    service.rsc_bytes = lambda: p.encode_rsc(cadence[0])
    service.battery_pct = lambda: pct[0]
    rsc, battery = gatt.RSC_MEASUREMENT, gatt.BATTERY_LEVEL

    async def main():
        link.register()
        task, fan = connected(link, subscribe=(rsc, battery), encrypted=False, bonded=False)  # a fitness app
        other = join(link, subscribe=(battery,))  # another central on the stack, not served
        await settle()
        assert link.connection is fan
        assert runs(sent(fan, rsc)) == [p.encode_rsc(0)] and sent(fan, battery) == [b"\x50"]  # the values at connect
        repeated = len(sent(fan, rsc))
        cadence[0], pct[0] = 104, 79
        await settle()
        cadence[0] = 110
        await settle()
        assert runs(sent(fan, rsc)) == [p.encode_rsc(0), p.encode_rsc(104), p.encode_rsc(110)]
        assert len(sent(fan, rsc)) > repeated + 2 and sent(fan, battery)[1:] == [b"\x4f"]  # RSC again and again
        assert link.chars[battery.name].value == b"\x4f"  # a read gets it too
        assert other.notified == other.indicated == [] and not sent(fan, gatt.STATUS)
        await stop(task)

    try:
        asyncio.run(main())
        assert not [w for ch in link.chars.values() for w in ch.writes if w[1]]  # no send_update
    finally:
        remove_tree(path)


def test_refuses_what_the_link_may_not_have_and_asks_for_security():
    link, dev, store, service, clock, path = fresh(days=5)
    before = (dev.schedule.to_ints(), dev.plan, dev.clock.unset, store.open_seq)

    async def main():
        link.register()
        task, plain_conn = connected(link, encrypted=False, bonded=False)
        await settle()
        control, status = link.chars["control"], link.chars["status"]
        # unencrypted: NimBLE refuses with Insufficient Authentication before the handler sees anything
        assert plain_conn.write(control, command(p.REQUEST_RECORDS, 0)) == 0x05
        assert plain_conn.read(status) == (0x05, None)
        await asyncio.sleep(0.1)
        assert plain_conn.pairs and plain_conn.pairs[0]["le_secure"] and plain_conn.pairs[0]["bond"]
        plain_conn.drop()
        await settle()
        # encrypted but not bonded: the handler answers NOT_AUTHENTICATED, even AUTH_START
        unbonded = join(link, encrypted=True, bonded=False)
        await settle()
        assert unbonded.read(link.chars["status"]) == (0x05, None)
        assert (await plain(link, unbonded, command(p.AUTH_START)))[1] == p.NOT_AUTHENTICATED
        assert (await plain(link, unbonded, command(p.REPORT_PAIN, 4)))[1] == p.NOT_AUTHENTICATED
        unbonded.drop()
        await settle()
        # bonded, no session: reads refused with Insufficient Authorization, commands refused
        bonded = join(link)
        await settle()
        assert bonded.read(status) == (0x08, None)
        assert (await plain(link, bonded, command(p.REQUEST_RECORDS, 0)))[1] == p.NOT_AUTHENTICATED
        (_, code, _), _ = await log_in(link, bonded, key=b"\x01" * 32)
        assert code == p.AUTH_FAILED
        assert (await plain(link, bonded, command(p.SET_SCHEDULE, "gentle")))[1] == p.NOT_AUTHENTICATED
        await settle(10)
        await stop(task)
        return plain_conn, unbonded, bonded

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
        task, first = connected(link, central_mtu=23)
        await settle()
        _, central = await log_in(link, first)

        def cut(uuid, data):  # in the middle of the 26th record's notifications
            if uuid == gatt.RECORDS.uuid and len(sent(first, gatt.RECORDS)) == 25 * 4 + 2:
                first.drop()
        first.on_notify = cut
        assert (await sealed(link, first, central, command(p.REQUEST_RECORDS, 0)))[2] == 60
        pull = central.counter
        await settle(20)
        whole = b"".join(sent(first, gatt.RECORDS))
        whole = whole[:len(whole) - len(whole) % p.UNIT_SIZE]  # the host drops the cut record
        got = [record.decode(central.record(whole[i:i + p.UNIT_SIZE], pull))["seq"]
               for i in range(0, len(whole), p.UNIT_SIZE)]
        assert got == list(range(1, 26)) and not service.streaming()
        second = join(link)
        await settle()
        assert (await plain(link, second, command(p.REQUEST_RECORDS, got[-1])))[1] == p.NOT_AUTHENTICATED
        _, central = await log_in(link, second)
        assert (await sealed(link, second, central, command(p.REQUEST_RECORDS, got[-1])))[2] == 35
        pull = central.counter
        for _ in range(50):
            await settle(1)
            if len(sent(second, gatt.RECORDS)) == 35:
                break
        got += [r["seq"] for r in records_of(second, central, pull)]
        await stop(task)
        return got

    try:
        assert asyncio.run(main()) == list(range(1, 61))
    finally:
        remove_tree(path)


# Every control-point exchange of a session, in order, as (write builder, expected code).
SESSION_STEPS = (
    ("login", None),
    ("set_time", lambda: command(p.SET_TIME, 1750000000, 60)),
    ("set_schedule", lambda: command(p.SET_SCHEDULE, "gentle")),
    ("report_pain", lambda: command(p.REPORT_PAIN, 2)),
    ("ack_alert", lambda: command(p.ACK_ALERT)),
    ("snooze", lambda: command(p.SNOOZE)),
    ("request_records", lambda: command(p.REQUEST_RECORDS, 0)),
    ("zero_calibration", lambda: command(p.ZERO_CALIBRATION)),
    ("auth_end", lambda: command(p.AUTH_END)),
)


def test_the_link_comes_back_after_a_drop_right_after_every_exchange_with_strangers_connected():
    """A central logs in and runs the session up to one exchange, and the link drops
    right after it, for every exchange; two strangers stay connected to the stack,
    subscribed to nothing. Each time the insole advertises again and the next
    central gets in. The strangers never receive anything, and no exception
    reaches the stack's IRQ handler."""
    link, dev, store, service, clock, path = fresh(days=8)

    async def main():
        link.register()
        task = asyncio.create_task(link.run())
        await settle()
        strangers = []
        for depth in range(1, len(SESSION_STEPS) + 1):
            for hold in (True, False):  # the drop lands before / after the central confirms the answer
                conn = join(link, confirm=not hold)
                if not strangers:
                    strangers = [aioble.FakeConnection(), aioble.FakeConnection()]
                    for s in strangers:  # connected to the stack (as NimBLE allows), never served
                        s.connected = True
                        aioble.FakeConnection.live.append(s)
                for _ in range(100):
                    await settle(1)
                    if link.connection is conn:
                        break
                assert link.connection is conn, "the link did not come back (step %d)" % depth
                if hold:
                    conn.confirm = True
                _, central = await log_in(link, conn)
                for name, build_write in SESSION_STEPS[1:depth]:
                    if depth - 1 == SESSION_STEPS.index((name, build_write)) and hold:
                        conn.confirm = False
                        conn.write(link.chars["control"], central.seal(build_write()))
                        await settle(2)
                        break
                    code = (await sealed(link, conn, central, build_write()))[1]
                    assert code == p.OK, (name, code)
                await settle(3)
                conn.drop()
                await settle(3)
                assert not service.connected and not service.streaming()
        for s in strangers:
            assert s.notified == [] and s.indicated == []
        await stop(task)

    try:
        asyncio.run(main())
        assert aioble.core.ble.errors == [] and not aioble.core.ble.dead and link.irq_errors == 0
        assert len([c for c in aioble.calls if c[0] == "advertise"]) == 2 * len(SESSION_STEPS) + 1
    finally:
        remove_tree(path)


def test_the_fake_stack_keeps_nimbles_rules():
    """As the unix port's NimBLE showed: a CCCD write reaches no IRQ handler, even
    on an unencrypted link; bits the properties do not offer are refused; 0 on a
    bonded link gets 0x05 but clears it. send_update goes to each central as its
    CCCD asks (notification, indication or nothing); notify(connection) goes to
    that central whatever its CCCD."""
    link, dev, store, service, clock, path = fresh()

    async def main():
        link.register()
        seen = []
        aioble.core.ble.irq(lambda event, data: seen.append(event) or link._irq(event, data))
        task = asyncio.create_task(link.run())
        plain_conn = join(link, subscribe=(), encrypted=False, bonded=False)
        bonded, silent = join(link, subscribe=()), join(link, subscribe=())
        del seen[:]
        battery, control = link.chars["battery_level"], link.chars["control"]
        assert plain_conn.subscribe(battery) == 0 and bonded.subscribe(control, notify=False, indicate=True) == 0
        assert bonded.subscribe(battery, notify=False, indicate=True) == aioble.ATT_REQUEST_NOT_SUPPORTED
        assert bonded.subscribe(battery) == 0 and seen == []  # the stack keeps the CCCDs
        battery.write(b"\x50", send_update=True)
        control.write(b"\x01", send_update=True)
        assert plain_conn.notified == bonded.notified == [(gatt.BATTERY_LEVEL.uuid, b"\x50")]
        assert bonded.indicated == [b"\x01"] and seen == [aioble.core.IRQ_GATTS_INDICATE_DONE]
        assert silent.notified == silent.indicated == []
        assert bonded.subscribe(battery, notify=False) == 0x05  # the port's bond store has no CCCDs
        battery.write(b"\x4f", send_update=True)
        assert bonded.notified == [(gatt.BATTERY_LEVEL.uuid, b"\x50")]  # cleared all the same
        battery.notify(silent, b"\x4e")
        assert silent.notified == [(gatt.BATTERY_LEVEL.uuid, b"\x4e")]  # whatever its CCCD
        await stop(task)

    try:
        asyncio.run(main())
        assert aioble.core.ble.errors == [] and link.irq_errors == 0
    finally:
        remove_tree(path)


def test_send_update_leaks_an_indication_that_raises_in_aiobles_irq_handler():
    """Why the binding never uses send_update, as the unix port's NimBLE showed: the
    value stays marked on a central that did not subscribe, the next confirmed
    indication (a control-point answer) brings it as an indication on a
    characteristic without `indicate`, and its confirmation raises inside
    aioble's IRQ handler. MicroPython then switches the handler off: unwrapped,
    the disconnect is never seen and nobody gets in; the binding's wrapper
    counts it and the next central gets in."""
    link, dev, store, service, clock, path = fresh()

    async def main(wrapped):
        link.register()
        if not wrapped:
            aioble.core.ble.irq(aioble.core.ble_irq)  # aioble's own, unwrapped
        task, conn = connected(link)
        await settle()
        before = len(conn.notified)
        link.chars["battery_level"].write(b"\x50", True)
        assert len(conn.notified) == before  # not subscribed: nothing yet
        await plain(link, conn, command(p.AUTH_START))
        assert conn.indicated[-1] == b"\x50"  # the battery level, indicated after the answer's confirmation
        conn.drop()
        await settle()
        back = join(link)
        await settle(5)
        served = link.connection is back
        await stop(task)
        return served

    try:
        assert not asyncio.run(main(False))  # unreachable
        assert aioble.core.ble.dead and type(aioble.core.ble.errors[0]).__name__ == "AttributeError"
        link, dev, store, service, clock, path2 = fresh()
        remove_tree(path2)
        assert asyncio.run(main(True))
        assert link.irq_errors == 1 and not aioble.core.ble.dead
    finally:
        remove_tree(path)


def test_ble_restarts_when_neither_advertising_nor_connected_then_the_board():
    resets = []
    link, dev, store, service, clock, path = fresh(watch_s=0.002, reset=lambda: resets.append(1))

    async def main():
        link.register()
        aioble.core.ble.active(False)  # the radio died: advertise fails
        task = asyncio.create_task(link.run())
        await settle(5)
        assert link.restarts == 0  # not yet 30 s
        clock.ms += 30000
        await settle(5)
        assert link.restarts == 1 and resets == [] and aioble.core.ble.active()
        conn = join(link)
        await settle(5)
        assert link.connection is conn  # advertising again: a central gets in
        conn.drop()
        await settle(3)
        aioble.core.ble.broken = True  # now a restart does not bring the radio back
        aioble.core.ble.active(False)
        await settle(3)
        clock.ms += 30000
        await settle(5)
        assert link.restarts == 2 and resets == []
        clock.ms += 30000
        await settle(5)
        await stop(task)

    try:
        asyncio.run(main())
        assert link.restarts == 3 and resets == [1]  # BLE restarted, then the board reset
    finally:
        remove_tree(path)


def test_the_whole_session_at_mtu_23_27_185_247():
    """Everything the insole sends arrives whole at each MTU (the fake cuts a value
    to MTU - 3, so an answer or record too long would fail its tag)."""
    for mtu in (23, 27, 185, 247):
        link, dev, store, service, clock, path = fresh(days=6)

        async def main():
            link.register()
            task, conn = connected(link, central_mtu=mtu)
            await settle()
            assert conn.mtu == mtu
            _, central = await log_in(link, conn)
            for name, build_write in SESSION_STEPS[1:-1]:
                assert (await sealed(link, conn, central, build_write()))[1] == p.OK, name
                if name == "request_records":
                    pull = central.counter
                    for _ in range(50):
                        await settle(1)
                        if len(b"".join(sent(conn, gatt.RECORDS))) == 6 * p.UNIT_SIZE:
                            break
                    assert [r["seq"] for r in records_of(conn, central, pull)] == list(range(1, 7))
            dev.alerts.notify(ADVISORY, 0, 0, None)
            await settle(5)
            assert sent(conn, gatt.STATUS) and sent(conn, gatt.ALERTS)[-1][4] == ADVISORY
            assert (await sealed(link, conn, central, command(p.FACTORY_RESET, p.RESET_MAGIC)))[1] == p.OK
            sizes = [len(d) for _, d in conn.notified] + [len(d) for d in conn.indicated]
            assert max(sizes) <= mtu - 3
            await stop(task)

        try:
            asyncio.run(main())
        finally:
            remove_tree(path)

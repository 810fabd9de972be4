"""A whole session over a real BLE host stack (Bumble, two virtual controllers on a
LocalLink): scan, discover, pair (LE Secure Connections), authenticate (HMAC), set
the time and the plan, pull 400 days of records at MTU 247, get an alert, report
pain and see the limit roll back."""
import binascii
import time

from ble_support import DEVICE_ID, KEY, run, until
from insole_host.transport.bumble_central import BumbleCentral
from insole_host.transport.gatt_server_bumble import bumble_uuid, insole_on_local_link

from insole import gatt, protocol as p, record


def test_full_session(tmp_path):
    async def main():
        async with insole_on_local_link(tmp_path, key=KEY, device_id=DEVICE_ID, stored=400) as (insole, pair):
            host = BumbleCentral(device=pair.central)

            found = await host.scan(timeout=0.6)
            assert [f.address for f in found] == [str(pair.insole_address)]
            # the advertising data has room for 4 name bytes ("Inso", shortened); a real controller
            # also returns the scan response with the whole name, Bumble's virtual one does not
            assert found[0].name in ("Insole", "Inso")

            await host.connect(found[0].address)
            conn, insole_side = host.connection, pair.peripheral.connection
            # discovery: the table of gatt.py, with its property bits
            for spec in gatt.SERVICES:
                (service,) = [s for s in host.peer.services if s.uuid == bumble_uuid(spec.uuid)]
                for c in spec.characteristics:
                    (proxy,) = [x for x in service.characteristics if x.uuid == bumble_uuid(c.uuid)]
                    assert proxy.properties == c.flags, c.name
            # pairing: LE Secure Connections, bonded, the link encrypted; MTU 247 both ways
            assert conn.is_encrypted and conn.sc and insole_side.is_encrypted and insole_side.sc
            keys = await pair.central.keystore.get(str(conn.peer_address))
            assert keys is not None and keys.ltk is not None
            assert pair.peripheral.pairings == 1 and pair.peripheral.secure(insole_side)
            assert host.mtu == 247 and insole_side.att_mtu == 247

            proof = await host.authenticate(KEY)  # checks the insole's own proof too
            assert len(proof) == 16
            status = await host.read_status()
            assert status["flags"] & p.STATUS_AUTHENTICATED and status["flags"] & p.STATUS_CLOCK_UNSET
            assert status["record_seq"] == 400

            await host.set_time(1750000000, 60)
            await host.set_schedule("gentle")
            status = await host.read_status()
            assert not status["flags"] & p.STATUS_CLOCK_UNSET and status["limit_s"] == 3600

            pulled = []
            t0 = time.perf_counter()
            count = await host.pull_records(0, lambda fields, raw: pulled.append((fields, raw)))
            elapsed = time.perf_counter() - t0
            assert count == 400 and len(pulled) == 400
            assert [f["seq"] for f, _ in pulled] == list(range(1, 401))  # all, in order
            for fields, raw in pulled:
                assert len(raw) == record.SIZE
                assert binascii.crc32(raw[:51]) == int.from_bytes(raw[51:], "little")
                assert record.decode(raw) == fields
            assert pair.peripheral.streamed == 400  # one record per notification
            print("pulled 400 records in %.3f s" % elapsed)

            alerts = []
            await host.subscribe_alerts(alerts.append)
            insole.live_days(1, 1800)  # worn within the limit, before the pre-warning: the next day's limit is 2 h
            assert (await host.read_status())["limit_s"] == 7200
            await host.report_pain(5)
            await until(lambda: alerts)
            assert alerts[-1]["kind"] == 5 and alerts[-1]["limit_s"] == 3600  # PAIN_ROLLBACK
            status = await host.read_status()
            assert status["limit_s"] == 3600 and status["record_seq"] == 401
            await host.disconnect()
            await until(lambda: pair.peripheral.connection is None)
            assert not insole.service.authenticated()

    run(main())

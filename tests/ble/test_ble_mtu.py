"""The whole session at the ATT MTUs centrals use: 23 (no exchange, as some
centrals do), 27, 185 and 247. Login, Status, every command, alerts and a
record pull: every value fits MTU - 3, the records in as many notifications
as that takes, joined again by the host and checked against their tags."""
import pytest
from ble_support import KEY, STATE_CHANGING, run, until

from insole_host.transport.bumble_central import BumbleCentral
from insole_host.transport.gatt_server_bumble import insole_on_local_link

from insole import protocol as p
from insole.alerts import ADVISORY


@pytest.mark.parametrize("mtu", (23, 27, 185, 247))
def test_the_whole_session_at_mtu(tmp_path, mtu):
    async def main():
        async with insole_on_local_link(tmp_path, key=KEY, device_id=b"INS-0042", stored=12) as (insole, pair):
            heard = []
            sent = []
            device = pair.peripheral.device

            def watching(send):
                async def watch(connection, attribute, value=None, force=False):
                    sent.append(len(value))
                    return await send(connection, attribute, value, force)
                return watch
            device.notify_subscriber = watching(device.notify_subscriber)
            device.indicate_subscriber = watching(device.indicate_subscriber)
            host = BumbleCentral(device=pair.central, mtu=mtu)
            await host.connect(pair.insole_address)
            insole_side = pair.peripheral.connection
            assert host.mtu == mtu and insole_side.att_mtu == mtu
            await host.authenticate(KEY)
            status = await host.read_status()
            assert status["record_seq"] == 12 and status["flags"] & p.STATUS_AUTHENTICATED
            await host.subscribe_alerts(heard.append)
            insole.device.alerts.notify(ADVISORY, 0, 0, None)
            await until(lambda: heard)
            assert heard[-1]["kind"] == ADVISORY
            got = []
            assert await host.pull_records(0, lambda f, raw: got.append(f["seq"])) == 12
            assert got == list(range(1, 13))
            units = -(-p.UNIT_SIZE // (mtu - 3))  # notifications a record takes
            assert pair.peripheral.streamed == 12 * units
            for opcode, args in STATE_CHANGING:
                if opcode == p.REQUEST_RECORDS:
                    assert await host.pull_records(6, lambda f, raw: None) == 6
                else:
                    await host.command(opcode, *args)
            assert not insole.service.authenticated()  # FACTORY_RESET, the last, ended it
            assert sent and max(sent) <= mtu - 3
            await host.disconnect()

    run(main())

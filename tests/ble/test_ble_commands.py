"""The commands that change the insole, over the Bumble link, landing on the real
Device and Store: the plan kept on flash, snooze and acknowledge, re-zeroing, a
second pull while one streams, and a factory reset that keeps the numbering."""

import pytest
from ble_support import DEVICE_ID, KEY, PACE, run, served, until

from insole_host import codec
from insole_host.transport import Rejected
from insole_host.transport.gatt_server_bumble import FirmwareInsole

from insole import protocol as p

def dev_untouched(insole):
    return insole.device.schedule.step == 3 and insole.store.dropped == 0


CUSTOM = {"start_s": 1800, "step_s": 1800, "cap_s": 7200, "rest": [2]}


def test_plan_snooze_ack_and_zero(tmp_path):
    async def main():
        async with served(tmp_path, days=5) as (insole, pair, host):
            await host.set_schedule("custom", CUSTOM)
            assert (await host.read_status())["limit_s"] == 1800
            await host.command(p.SNOOZE)
            assert (await host.read_status())["flags"] & p.STATUS_SNOOZED
            await host.command(p.ACK_ALERT)
            assert insole.device.alerts.acked
            await host.command(p.ZERO_CALIBRATION)
            assert not insole.device.pipeline.primed  # re-zeroed at the next sample
        # the plan is on the insole's flash: a power-up reads it back
        again = FirmwareInsole(tmp_path, key=KEY, device_id=DEVICE_ID)
        assert again.device.schedule.limit_s() == 1800 and again.device.schedule.steps == (1800, 3600, 0, 5400, 7200)
        assert again.device.plan == dict(CUSTOM, preset="custom", rest_every=0)

    run(main())


def test_a_second_pull_while_one_streams_is_busy(tmp_path):
    async def main():
        async with served(tmp_path, days=200, pace=PACE) as (insole, pair, host):
            assert await host.command(p.REQUEST_RECORDS, 0) == 200
            await until(lambda: pair.peripheral.streamed > 10)
            with pytest.raises(Rejected) as e:
                await host.command(p.REQUEST_RECORDS, 0)
            assert e.value.code == p.BUSY and "BUSY" in str(e.value)
            await until(lambda: not insole.service.streaming(), timeout=10)
            assert pair.peripheral.streamed == 200

    run(main())


def test_a_factory_reset_wipes_the_wearer_and_keeps_the_numbering(tmp_path):
    async def main():
        async with served(tmp_path, days=40) as (insole, pair, host):
            await host.set_schedule("gentle")
            insole.live_days(3)
            assert insole.device.schedule.step == 3
            wrong_magic = bytes((p.FACTORY_RESET,)) + (p.RESET_MAGIC ^ 1).to_bytes(4, "little")
            _, write = host.session.seal(wrong_magic)
            assert codec.decode_response(await host.control(write))[1] == p.BAD_VALUE
            assert dev_untouched(insole)
            await host.command(p.FACTORY_RESET, p.RESET_MAGIC)
            with pytest.raises(Rejected) as e:  # the reset ended the session
                await host.command(p.REQUEST_RECORDS, 0)
            assert e.value.code == p.NOT_AUTHENTICATED
            dev = insole.device
            assert dev.plan == {"preset": "standard"} and dev.schedule.step == 0
            assert not dev.pipeline.primed
            assert FirmwareInsole(tmp_path, key=KEY).device.plan == {"preset": "standard"}  # a power-up reads it
            await host.authenticate(KEY)
            assert await host.pull_records(0, lambda f, raw: None) == 0  # the records are gone
            assert (await host.read_status())["record_seq"] == 43
            insole.live_days(1)
            got = []
            assert await host.pull_records(43, lambda f, raw: got.append(f["seq"])) == 1
            assert got == [44]  # a host that pulled before the reset misses nothing new

    run(main())

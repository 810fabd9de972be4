"""The virtual insole (the deployed image booted by its main.py in the `micropython`
executable, its link over stdio) answers with the same bytes as the firmware
served over Bumble: the records MicroPython sent are byte for byte those CPython
serves from the same flash over a real BLE stack."""
import pytest
from ble_support import run

from insole_host.transport import AccessDenied, Rejected
from insole_host.transport.bumble_central import BumbleCentral
from insole_host.transport.gatt_server_bumble import insole_on_local_link
from insole_host.transport.virtual import VirtualInsole
from insole_host.virtual import VirtualInsoleError, micropython

from insole import protocol as p


@pytest.fixture(autouse=True)
def _micropython():
    try:
        micropython()
    except VirtualInsoleError as e:
        pytest.skip(str(e))


def test_the_virtual_insole_and_bumble_serve_the_same_bytes(deployed):
    folder, cfg = deployed(days=60)
    KEY, DEVICE_ID = bytes.fromhex(cfg["auth_key"]), cfg["device_id"].encode()

    async def main():
        virtual = VirtualInsole(folder)
        try:
            await virtual.connect()
            assert virtual.newest_seq == 60
            with pytest.raises(Rejected) as e:
                await virtual.command(p.REQUEST_RECORDS, 0)
            assert e.value.code == p.NOT_AUTHENTICATED
            with pytest.raises(AccessDenied) as e:
                await virtual.read_status()
            assert e.value.att_error == 0x08
            await virtual.authenticate(KEY)
            assert (await virtual.read_status())["record_seq"] == 60
            from_micropython = []
            assert await virtual.pull_records(0, lambda fields, raw: from_micropython.append(raw)) == 60
            await virtual.set_schedule("gentle")
            await virtual.disconnect()
        finally:
            await virtual.stop()

        async with insole_on_local_link(folder / "data", key=KEY, device_id=DEVICE_ID) as (insole, pair):
            assert insole.device.plan == {"preset": "gentle"}  # the plan MicroPython saved, read back
            host = BumbleCentral(device=pair.central)
            await host.connect(pair.insole_address)
            await host.authenticate(KEY)
            from_cpython = []
            assert await host.pull_records(0, lambda fields, raw: from_cpython.append(raw)) == 60
        assert from_cpython == from_micropython

    run(main(), timeout=60)


def test_the_virtual_link_can_stand_for_an_unencrypted_one(deployed):
    folder, _ = deployed(days=3)

    async def main():
        virtual = VirtualInsole(folder, secure=False)
        try:
            await virtual.connect()
            with pytest.raises(Rejected) as e:
                await virtual.command(p.AUTH_START)
            assert e.value.code == p.NOT_AUTHENTICATED
            with pytest.raises(AccessDenied) as e:
                await virtual.read_status()
            assert e.value.att_error == 0x05
        finally:
            await virtual.stop()

    run(main(), timeout=60)


def test_samples_the_board_lost_show_in_the_status(deployed):
    """The deployed image's main.py on a sim board whose sampling stalls 10 s into the
    power-up (its `stall` file), while the insole lies unloaded until midnight: 1 s
    with nothing draining the 64-sample ring (63 wait, 37 are dropped), then 0.5 s of
    timer ticks that never ran (50 missed). The Status read over the link counts all
    87, and the day closed at its midnight as ever (record 1)."""
    folder, cfg = deployed()
    (folder / "stall").write_text("10000 1000 500\n")

    async def main():
        virtual = VirtualInsole(folder)
        try:
            await virtual.connect()
            await virtual.authenticate(bytes.fromhex(cfg["auth_key"]))
            before = await virtual.read_status()
            await virtual.midnight()
            return before, await virtual.read_status()
        finally:
            await virtual.stop()

    before, after = run(main(), timeout=60)
    assert before["samples_lost"] == 0 and before["record_seq"] == 0
    assert after["samples_lost"] == 37 + 50 and after["record_seq"] == 1

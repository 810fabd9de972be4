"""Each attack is refused with a clear code, and the insole's state stays as it was:
commands without a session, a wrong HMAC, a replayed authentication, an
unencrypted link, an encrypted link without a bond, an expired session."""
import asyncio

import pytest
from ble_support import DEVICE_ID, KEY, STATE_CHANGING, random_key, run, served, state, until

from bumble.pairing import PairingConfig, PairingDelegate

from insole_host.transport import AccessDenied, Rejected
from insole_host.transport.bumble_central import BumbleCentral
from insole_host.transport.gatt_server_bumble import insole_on_local_link

from insole_host import codec
from insole_host.session import HostSession, login_proofs

from insole import gatt, protocol as p
from insole.alerts import ADVISORY

ATT_INSUFFICIENT_AUTHENTICATION = 0x05
ATT_INSUFFICIENT_AUTHORIZATION = 0x08
ATT_INSUFFICIENT_ENCRYPTION = 0x0F


async def refused_everything(host, pair):
    for opcode, args in STATE_CHANGING:
        with pytest.raises(Rejected) as e:
            await host.command(opcode, *args)
        assert e.value.code == p.NOT_AUTHENTICATED, opcode
        assert "NOT_AUTHENTICATED" in str(e.value)
    with pytest.raises(AccessDenied) as e:
        await host.read_status()
    assert e.value.att_error == ATT_INSUFFICIENT_AUTHORIZATION
    await asyncio.sleep(0.05)
    assert pair.peripheral.streamed == 0


def test_state_changing_commands_without_a_session(tmp_path):
    async def main():
        async with served(tmp_path, days=30, authenticate=False) as (insole, pair, host):
            before = state(insole)
            await refused_everything(host, pair)
            assert state(insole) == before

    run(main())


def test_a_wrong_hmac(tmp_path):
    async def main():
        async with served(tmp_path, days=30, authenticate=False) as (insole, pair, host):
            before = state(insole)
            with pytest.raises(Rejected) as e:
                await host.authenticate(random_key())
            assert e.value.code == p.AUTH_FAILED and "AUTH_PROOF: AUTH_FAILED" in str(e.value)
            await refused_everything(host, pair)
            assert state(insole) == before

    run(main())


def test_a_replayed_authentication(tmp_path):
    async def main():
        async with served(tmp_path, days=30, authenticate=False) as (insole, pair, host):
            # a good exchange, captured whole
            nonce = await host.command(p.AUTH_START)
            cn = bytes(range(16))
            proof_write = codec.encode_command(p.AUTH_PROOF, cn, login_proofs(KEY, nonce, cn, DEVICE_ID)[0])
            assert codec.decode_response(await host.control(proof_write))[1] == p.OK
            host.session = HostSession(KEY, nonce, cn, DEVICE_ID)
            assert await host.command(p.AUTH_END) is None
            before = state(insole)
            # replayed after the session, after a fresh challenge, and on a new connection
            assert codec.decode_response(await host.control(proof_write))[1] == p.AUTH_FAILED
            await host.command(p.AUTH_START)
            assert codec.decode_response(await host.control(proof_write))[1] == p.AUTH_FAILED
            await host.disconnect()
            await until(lambda: pair.peripheral.connection is None)
            await host.connect(pair.insole_address)
            assert codec.decode_response(await host.control(proof_write))[1] == p.AUTH_FAILED
            await refused_everything(host, pair)
            assert state(insole) == before

    run(main())


def test_an_unencrypted_link(tmp_path):
    async def main():
        async with served(tmp_path, days=30, secure=False, authenticate=False) as (insole, pair, host):
            assert not host.connection.is_encrypted
            before = state(insole)
            # what anyone in range may read
            assert await host.read(gatt.SERIAL) == DEVICE_ID
            assert await host.read(gatt.BATTERY_LEVEL) == b"\x64"
            # the insole's values and its control point: refused by the GATT server itself
            for what in (host.read_status(), host.read(gatt.STATUS),
                         host.control(codec.encode_command(p.REQUEST_RECORDS, 0)),
                         host.control(codec.encode_command(p.AUTH_START))):
                with pytest.raises(AccessDenied) as e:
                    await what
                assert e.value.att_error == ATT_INSUFFICIENT_ENCRYPTION and "insufficient encryption" in str(e.value)
            await asyncio.sleep(0.05)
            assert pair.peripheral.streamed == 0 and state(insole) == before
            # an alert queued on the insole is not sent on this link: it waits for a session
            alerts = []
            await host.subscribe_alerts(alerts.append)
            insole.device.alerts.notify(ADVISORY, 0, 0, None)
            await asyncio.sleep(0.2)
            assert alerts == [] and insole.device.alerts.count == 1

    run(main())


def test_an_encrypted_link_without_a_bond(tmp_path):
    async def main():
        async with insole_on_local_link(tmp_path, key=KEY, device_id=DEVICE_ID, stored=30) as (insole, pair):
            pair.central.pairing_config_factory = lambda _: PairingConfig(
                sc=True, mitm=False, bonding=False,
                delegate=PairingDelegate(io_capability=PairingDelegate.NO_OUTPUT_NO_INPUT))
            host = BumbleCentral(device=pair.central)
            await host.connect(pair.insole_address)
            assert host.connection.is_encrypted and not pair.peripheral.bonded
            before = state(insole)
            with pytest.raises(AccessDenied) as e:
                await host.read_status()
            assert e.value.att_error == ATT_INSUFFICIENT_AUTHENTICATION
            with pytest.raises(Rejected) as e:
                await host.authenticate(KEY)  # the right key, but not over a bonded link
            assert e.value.code == p.NOT_AUTHENTICATED
            assert state(insole) == before

    run(main())


def test_an_expired_session(tmp_path):
    async def main():
        async with served(tmp_path, days=30) as (insole, pair, host):
            assert (await host.read_status())["flags"] & p.STATUS_AUTHENTICATED
            before = state(insole)
            insole.clock.skip(601)  # the session lasts 10 minutes of the insole's monotonic clock
            await refused_everything(host, pair)
            assert state(insole) == before

    run(main())

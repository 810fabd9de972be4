"""Pairing that resists an active man in the middle: LE Secure Connections passkey
entry with the passkey provisioned at deploy (the insole shows it, the host
enters it from `keys/<DEVICE_ID>.passkey`), and bonds the host keeps in a file,
so a bonded insole only re-encrypts."""
import pytest
from ble_support import DEVICE_ID, KEY, run

from insole_host.transport import Rejected, TransportError
from insole_host.transport.bumble_central import BumbleCentral, provisioned_passkey
from insole_host.transport.gatt_server_bumble import insole_on_local_link

from insole import protocol as p

PASSKEY = 492817


def test_the_provisioned_passkey_pairs_and_the_bond_is_kept(tmp_path):
    keys_dir = tmp_path / "keys"
    keys_dir.mkdir()
    (keys_dir / "INS-0042.passkey").write_text("492817\n")
    bonds = tmp_path / "bonds.json"

    async def main():
        async with insole_on_local_link(tmp_path / "store", key=KEY, device_id=DEVICE_ID,
                                        passkey=PASSKEY, stored=3) as (insole, pair):
            host = BumbleCentral(device=pair.central, keys_dir=keys_dir, keystore=bonds)
            await host.connect(pair.insole_address)
            keys = await pair.central.keystore.get(str(host.connection.peer_address))
            assert host.connection.is_encrypted and keys.ltk.authenticated  # passkey entry: MITM-protected
            assert pair.peripheral.pairings == 1 and pair.peripheral.secure(pair.peripheral.connection)
            await host.authenticate(KEY)
            assert await host.pull_records(0, lambda f, raw: None) == 3
            await host.disconnect()
            assert bonds.exists() and "ltk" in bonds.read_text()
            again = BumbleCentral(device=pair.central, keys_dir=keys_dir, keystore=bonds)
            await again.connect(pair.insole_address)
            assert again.connection.is_encrypted and pair.peripheral.pairings == 1  # re-encrypted, no pairing
            await again.authenticate(KEY)
            await again.disconnect()

    run(main())


@pytest.mark.parametrize("entered", (None, 111111))
def test_without_the_passkey_there_is_no_bond_and_no_session(tmp_path, entered):
    async def main():
        async with insole_on_local_link(tmp_path, key=KEY, device_id=DEVICE_ID, passkey=PASSKEY) as (insole, pair):
            host = BumbleCentral(device=pair.central, passkey=entered)
            try:
                await host.connect(pair.insole_address)
            except TransportError as e:  # a wrong passkey: the pairing fails
                assert entered is not None and "securing the link failed" in str(e)
                return
            assert entered is None  # Just Works against a passkey insole: encrypted, but no bond counts
            assert not pair.peripheral.secure(pair.peripheral.connection)
            with pytest.raises(Rejected) as e:
                await host.authenticate(KEY)
            assert e.value.code == p.NOT_AUTHENTICATED

    run(main())


def test_a_passkey_file_holds_six_digits(tmp_path):
    assert provisioned_passkey(b"INS-0042", tmp_path) is None
    (tmp_path / "INS-0042.passkey").write_text("012345\n")
    assert provisioned_passkey(b"INS-0042", tmp_path) == 12345
    (tmp_path / "INS-0042.passkey").write_text("12345")
    with pytest.raises(TransportError, match="6 digits"):
        provisioned_passkey(b"INS-0042", tmp_path)

"""The host's own login and session code (insole_host/session.py, stdlib hmac)
against the known-answer vectors of docs/ble.md; tests/core/test_vectors.py
checks the firmware against the same table. The vectors' client proof was
also checked with `openssl dgst -sha256 -mac HMAC`."""
import re
import struct
from pathlib import Path

from insole_host.session import HostSession, login_proofs

DOC = Path(__file__).resolve().parents[2] / "docs" / "ble.md"


def vectors() -> dict:
    return {m[1]: bytes.fromhex(m[2]) for m in re.finditer(r"^\| `(\w+)` \| `([0-9a-f]+)` \|$", DOC.read_text(), re.M)}


def test_the_host_login_matches_the_vectors():
    v = vectors()
    mine, theirs = login_proofs(v["key"], v["device_nonce"], v["client_nonce"], v["device_id"])
    assert (mine, theirs) == (v["client_proof"], v["device_proof"])
    assert HostSession(v["key"], v["device_nonce"], v["client_nonce"], v["device_id"]).key == v["session_key"]


def test_the_host_seals_and_checks_as_the_vectors_say():
    v = vectors()
    s = HostSession(v["key"], v["device_nonce"], v["client_nonce"], v["device_id"])
    assert s.seal(b"\x01" + struct.pack("<Ih", 1750000000, 60)) == (1, v["command_1"])
    assert s.answer_ok(1, v["answer_1"][:-8], v["answer_1"][-8:])
    assert s.seal(b"\x06" + struct.pack("<I", 0)) == (2, v["command_2"])
    assert s.answer_ok(2, v["answer_2"][:-8], v["answer_2"][-8:])
    assert s.record_ok(2, v["record"], v["record_unit_2"][-8:])
    # the labels, counters and directions are not interchangeable
    assert not s.answer_ok(1, v["answer_2"][:-8], v["answer_2"][-8:])
    assert not s.record_ok(2, v["answer_2"][:-8], v["answer_2"][-8:])
    assert not s.answer_ok(2, v["record"], v["record_unit_2"][-8:])

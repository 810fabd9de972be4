"""The firmware's auth.py against the known-answer vectors of docs/ble.md
(CPython and MicroPython); tests/host/test_session_vectors.py checks the host's
own code against the same table, so a drift on either side fails."""
import struct

from support import ROOT

from insole import auth
from insole.auth import Session


def vectors():
    """name -> bytes, from the table under "Known-answer vectors" in docs/ble.md."""
    out = {}
    with open(ROOT + "/docs/ble.md") as f:
        for line in f:
            cells = [c.strip() for c in line.split("|")]
            if len(cells) == 4 and cells[1].startswith("`") and cells[2].startswith("`"):
                name, value = cells[1].strip("`"), cells[2].strip("`")
                if name in NAMES:
                    out[name] = bytes(int(value[i:i + 2], 16) for i in range(0, len(value), 2))
    return out


NAMES = ("key", "device_id", "device_nonce", "client_nonce", "client_proof", "device_proof", "session_key",
         "command_1", "answer_1", "command_2", "answer_2", "record", "record_unit_2")


def test_the_docs_hold_every_vector():
    assert sorted(vectors()) == sorted(NAMES)


def test_the_login_matches_the_vectors():
    v = vectors()
    args = (v["key"], v["device_nonce"], v["client_nonce"], v["device_id"])
    assert auth.client_proof(*args) == v["client_proof"]
    assert auth.device_proof(*args) == v["device_proof"]
    assert auth.session_key(*args) == v["session_key"]


def test_a_session_takes_the_vector_commands_and_tags_as_the_vectors_say():
    v = vectors()
    s = Session(v["key"], v["device_id"], lambda n: v["device_nonce"])
    assert s.start(0) == v["device_nonce"]
    assert s.prove(v["client_nonce"], v["client_proof"], 0) == v["device_proof"]
    assert s.unseal(v["command_1"]) == (b"\x01" + struct.pack("<Ih", 1750000000, 60), 1)
    body = v["answer_1"][:-auth.TAG_LEN]
    assert body + auth.tag(s.session_key, auth.RESPONSE_LABEL, 1, body) == v["answer_1"]
    assert s.unseal(v["command_2"]) == (b"\x06\x00\x00\x00\x00", 2)
    body = v["answer_2"][:-auth.TAG_LEN]
    assert body + auth.tag(s.session_key, auth.RESPONSE_LABEL, 2, body) == v["answer_2"]
    record = v["record"]
    assert record + auth.tag(s.session_key, auth.RECORD_LABEL, 2, record) == v["record_unit_2"]

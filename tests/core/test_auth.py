"""HMAC-SHA256 and the challenge-response session (CPython and MicroPython)."""
from support import SkipTest

from insole.auth import (PROOF_LEN as MAC_LEN, NONCE_LEN, Session, client_proof, device_proof, equal,
                         hmac_sha256)

KEY = bytes(range(100, 132))
DEVICE_ID = b"INS-0042"


def lcg_bytes(seed):
    """random_bytes(n) from a seeded LCG: the same bytes on every interpreter."""
    state = [seed]

    def random_bytes(n):
        out = bytearray(n)
        for i in range(n):
            state[0] = (state[0] * 1103515245 + 12345) & 0x7FFFFFFF
            out[i] = state[0] >> 16 & 0xFF
        return bytes(out)
    return random_bytes


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, now=1000):
        self.now = now

    def __call__(self):
        return self.now


def new_session(seed=7, **kw):
    return Session(KEY, DEVICE_ID, lcg_bytes(seed), **kw)


def client_nonce(n=1):
    return bytes([n]) * NONCE_LEN


def log_in(session, now=1000, key=KEY):
    """A full exchange: (device nonce, client nonce, client proof, device proof or None)."""
    nonce = session.start(now)
    cn = client_nonce()
    mac = client_proof(key, nonce, cn, DEVICE_ID)
    return nonce, cn, mac, session.prove(cn, mac, now)


RFC4231 = (  # (key, data, HMAC-SHA-256); case 5's output is truncated to 128 bits
    (b"\x0b" * 20, b"Hi There",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (b"Jefe", b"what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    (b"\xaa" * 20, b"\xdd" * 50,
     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
    (bytes(range(1, 26)), b"\xcd" * 50,
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
    (b"\x0c" * 20, b"Test With Truncation",
     "a3b6167473100ee06e0c796c2955552b"),
    (b"\xaa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    (b"\xaa" * 131, b"This is a test using a larger than block-size key and a larger than block-size data."
     b" The key needs to be hashed before being used by the HMAC algorithm.",
     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
)


def hexlify(data):
    return "".join("%02x" % b for b in data)


def test_hmac_matches_the_rfc_4231_vectors():
    for key, data, expected in RFC4231:
        got = hexlify(hmac_sha256(key, data))
        assert got[:len(expected)] == expected, (key, data, got)


def test_hmac_matches_cpython_hmac_on_500_random_pairs():
    try:
        import hashlib
        import hmac
        import random
    except ImportError:
        raise SkipTest("needs CPython's hmac")
    rng = random.Random(4231)
    for _ in range(500):
        key = rng.randbytes(rng.choice((0, 1, 16, 32, 63, 64, 65, 200, rng.randrange(300))))
        msg = rng.randbytes(rng.randrange(400))
        assert hmac_sha256(key, msg) == hmac.new(key, msg, hashlib.sha256).digest(), (key, msg)


def test_equal_compares_whole_strings():
    a = bytes(range(32))
    assert equal(a, bytes(a))
    assert equal(b"", b"")
    for i in range(len(a)):
        b = bytearray(a)
        b[i] ^= 0x80
        assert not equal(a, bytes(b))
    assert not equal(a, a[:31])
    assert not equal(a, a + b"\x00")


def test_a_good_proof_authenticates_and_the_device_proves_itself():
    s = new_session()
    assert not s.authenticated(1000)
    nonce, cn, mac, proof = log_in(s)
    assert len(nonce) == NONCE_LEN and len(mac) == MAC_LEN
    assert proof == device_proof(KEY, nonce, cn, DEVICE_ID)
    assert proof != mac
    assert s.authenticated(1000)


def test_each_challenge_has_a_fresh_nonce():
    s = new_session()
    nonces = [s.start(1000) for _ in range(50)]
    assert len(set(nonces)) == 50


def test_a_captured_exchange_cannot_be_replayed():
    s = new_session()
    nonce, cn, mac, proof = log_in(s)
    assert proof
    s.end()
    assert s.prove(cn, mac, 1001) is None  # the nonce was used
    s.start(1002)
    assert s.prove(cn, mac, 1002) is None  # a new nonce: the old proof is worthless
    assert not s.authenticated(1002)


def test_a_wrong_hmac_is_rejected_and_burns_the_nonce():
    s = new_session()
    nonce = s.start(1000)
    cn = client_nonce()
    good = client_proof(KEY, nonce, cn, DEVICE_ID)
    bad = bytearray(good)
    bad[MAC_LEN - 1] ^= 1
    assert s.prove(cn, bytes(bad), 1000) is None
    assert s.prove(cn, good, 1000) is None
    assert not s.authenticated(1000)


def test_proofs_bind_the_key_the_nonces_and_the_device():
    s = new_session()
    nonce = s.start(1000)
    cn = client_nonce()
    for mac in (client_proof(b"k" * 32, nonce, cn, DEVICE_ID),
                client_proof(KEY, nonce, cn, b"INS-0043"),
                client_proof(KEY, nonce, client_nonce(2), DEVICE_ID),
                device_proof(KEY, nonce, cn, DEVICE_ID),
                b"\x00" * MAC_LEN, b""):
        assert s.prove(cn, mac, 1000) is None
        nonce = s.start(1000)


def test_no_proof_without_a_challenge():
    s = new_session()
    assert s.prove(client_nonce(), b"\x00" * MAC_LEN, 1000) is None
    assert not s.authenticated(1000)


def test_a_challenge_expires():
    s = new_session(challenge_s=30)
    nonce = s.start(1000)
    cn = client_nonce()
    assert s.prove(cn, client_proof(KEY, nonce, cn, DEVICE_ID), 1031) is None
    nonce = s.start(2000)
    assert s.prove(cn, client_proof(KEY, nonce, cn, DEVICE_ID), 2030)


def test_the_session_times_out():
    s = new_session(session_s=600)
    log_in(s, now=1000)
    assert s.authenticated(1599)
    assert not s.authenticated(1600)


def test_end_and_a_new_challenge_end_the_session():
    s = new_session()
    log_in(s)
    s.end()
    assert not s.authenticated(1000)
    log_in(s)
    s.start(1001)
    assert not s.authenticated(1001)


def test_a_short_key_is_refused():
    try:
        Session(b"x" * 15, DEVICE_ID, lcg_bytes(1))
    except ValueError:
        return
    raise AssertionError("a 15-byte key was accepted")


def sealed(session_key, counter, body, label=None):
    """A command as the host seals it (auth.py's layout, spelled out here)."""
    import struct
    from insole.auth import COMMAND_LABEL, tag
    return body + struct.pack("<I", counter) + tag(session_key, label or COMMAND_LABEL, counter, body)


def test_a_session_takes_each_sealed_command_once_in_order():
    from insole.auth import RESPONSE_LABEL, session_key
    s = new_session()
    nonce, cn, _, proof = log_in(s)
    assert proof and s.session_key == session_key(KEY, nonce, cn, DEVICE_ID)
    sk = s.session_key
    assert s.unseal(sealed(sk, 1, b"\x04")) == (b"\x04", 1)
    assert s.unseal(sealed(sk, 1, b"\x04")) == (None, "counter")  # replayed
    assert s.unseal(sealed(sk, 3, b"\x05")) == (b"\x05", 3)  # a gap: the host's command 2 was lost
    assert s.unseal(sealed(sk, 2, b"\x04")) == (None, "counter")  # out of order
    changed = bytearray(sealed(sk, 4, b"\x03\x05"))
    changed[1] = 9
    assert s.unseal(bytes(changed)) == (None, "tag")  # modified
    assert s.unseal(sealed(sk, 4, b"\x84\x00", RESPONSE_LABEL)) == (None, "tag")  # reflected
    assert s.unseal(b"\x04") == (None, "tag")  # no seal at all
    assert s.unseal(sealed(b"k" * 32, 4, b"\x04")) == (None, "tag")  # another session's key
    assert s.unseal(sealed(sk, 4, b"\x04")) == (b"\x04", 4)
    s.end()
    assert s.session_key is None

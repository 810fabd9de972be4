"""Application-level authentication and the session it opens: HMAC-SHA256 with a per-device key K.

    host -> AUTH_START                 device: a fresh 16-byte nonce Nd
    host -> AUTH_PROOF Nc, proof_c     proof_c = HMAC(K, "insole-auth-v1" || Nd || Nc || id)[:16]
    device -> OK, proof_d              proof_d = HMAC(K, "insole-auth-v1-device" || Nc || Nd || id)[:16]
    both:                              SK = HMAC(K, "insole-session-v1" || Nd || Nc || id)

From then on every command carries a counter and a tag under the session key
SK, and so does every answer to it and every record of a stream it starts:

    command   body || ctr u32 || HMAC(SK, "insole-cmd" || ctr || body)[:8]
    answer    body || HMAC(SK, "insole-rsp" || ctr || body)[:8]          ctr: the command's
    record    record || HMAC(SK, "insole-rec" || ctr || record)[:8]       ctr: REQUEST_RECORDS'

ctr is 1 for the first command of a session and one more for each command
the host sends; the device takes a command only if its ctr is above the last
one it took (a command the host saw refused leaves a gap, which is fine). The labels differ by direction, so a device answer sent
back as a command does not verify; the counter makes a replayed or reordered
command fail; SK is fresh per login, so nothing from another session
verifies either. A relay that forwards the login learns neither K nor SK.

The device checks the client's proof in constant time and is then
authenticated for `session_s` (until AUTH_END, a disconnect, a new AUTH_START,
or the timeout); the host checks the device's proof to know it talks to its
own insole. Nd is single-use: any AUTH_PROOF consumes it, right or wrong, and
it expires after `challenge_s`. id is the Device Information serial number.

The key (16 bytes or more; 32 random bytes recommended) is written into the
device config over USB when the insole is deployed and never travels over
the air. MicroPython has hashlib.sha256 but no hmac module, hence
`hmac_sha256` (RFC 2104) here; the host has its own, on the stdlib.
"""
try:
    from hashlib import sha256
except ImportError:  # CircuitPython boards without hashlib.sha256: adafruit_hashlib from the bundle
    from adafruit_hashlib import sha256

import struct

CLIENT_LABEL = b"insole-auth-v1"
DEVICE_LABEL = b"insole-auth-v1-device"
SESSION_LABEL = b"insole-session-v1"
COMMAND_LABEL = b"insole-cmd"
RESPONSE_LABEL = b"insole-rsp"
RECORD_LABEL = b"insole-rec"
NONCE_LEN = 16
PROOF_LEN = 16
TAG_LEN = 8
COUNTER_LEN = 4
SEAL_LEN = COUNTER_LEN + TAG_LEN  # what a command after login carries after its body
KEY_MIN = 16
_BLOCK = 64


def hmac_sha256(key, message):
    """HMAC-SHA256 of message under key (RFC 2104)."""
    if len(key) > _BLOCK:
        key = sha256(key).digest()
    key = bytes(key) + bytes(_BLOCK - len(key))
    inner = sha256(bytes(b ^ 0x36 for b in key))
    inner.update(message)
    outer = sha256(bytes(b ^ 0x5C for b in key))
    outer.update(inner.digest())
    return outer.digest()


def equal(a, b):
    """a == b for two byte strings, in a time that does not depend on where they differ."""
    if len(a) != len(b):
        return False
    diff = 0
    for x, y in zip(a, b):
        diff |= x ^ y
    return diff == 0


def client_proof(key, device_nonce, client_nonce, device_id):
    """What the host sends in AUTH_PROOF."""
    return hmac_sha256(key, CLIENT_LABEL + device_nonce + client_nonce + device_id)[:PROOF_LEN]


def device_proof(key, device_nonce, client_nonce, device_id):
    """What the device answers to a good AUTH_PROOF."""
    return hmac_sha256(key, DEVICE_LABEL + client_nonce + device_nonce + device_id)[:PROOF_LEN]


def session_key(key, device_nonce, client_nonce, device_id):
    """The key of the session a login opens."""
    return hmac_sha256(key, SESSION_LABEL + device_nonce + client_nonce + device_id)


def tag(session_key, label, counter, body):
    """The 8-byte tag of `body` under the session key, for `label` and `counter`."""
    return hmac_sha256(session_key, label + struct.pack("<I", counter) + body)[:TAG_LEN]


class Session:
    """One connection's authentication state. `now` is a monotonic count of
    seconds (never the wall clock, which SET_TIME moves); `random_bytes(n)` is
    os.urandom on boards."""

    def __init__(self, key, device_id, random_bytes, session_s=600, challenge_s=30):
        if len(key) < KEY_MIN:
            raise ValueError("device key: at least %d bytes" % KEY_MIN)
        self.key = bytes(key)
        self.device_id = bytes(device_id)
        self.random_bytes = random_bytes
        self.session_s = session_s
        self.challenge_s = challenge_s
        self.end()

    def start(self, now):
        """A new challenge: ends any session and returns the fresh device nonce."""
        self.end()
        self.nonce = bytes(self.random_bytes(NONCE_LEN))
        self.nonce_at = now
        return self.nonce

    def prove(self, client_nonce, mac, now):
        """Check the client's proof of the pending challenge, consuming it:
        the device's proof when good (the session is authenticated), else None."""
        nonce, self.nonce = self.nonce, None
        if nonce is None or not 0 <= now - self.nonce_at <= self.challenge_s:
            return None
        if not equal(mac, client_proof(self.key, nonce, client_nonce, self.device_id)):
            return None
        self.expires = now + self.session_s
        self.session_key = session_key(self.key, nonce, client_nonce, self.device_id)
        self.counter = 0
        return device_proof(self.key, nonce, client_nonce, self.device_id)

    def unseal(self, data):
        """A command written in the session: (body, counter) when its tag is good and its
        counter above the last one taken (the counter moves on to it), else
        (None, "tag" or "counter")."""
        if len(data) <= SEAL_LEN:
            return None, "tag"
        cut = len(data) - SEAL_LEN
        body = data[:cut]
        counter = struct.unpack("<I", data[cut:cut + COUNTER_LEN])[0]
        if not equal(data[cut + COUNTER_LEN:], tag(self.session_key, COMMAND_LABEL, counter, body)):
            return None, "tag"
        if counter <= self.counter:
            return None, "counter"
        self.counter = counter
        return body, counter

    def end(self):
        """AUTH_END, a disconnect or a new challenge: not authenticated, no pending nonce."""
        self.nonce = None
        self.nonce_at = 0
        self.expires = None
        self.session_key = None
        self.counter = 0

    def authenticated(self, now):
        """True while the session is authenticated."""
        return self.expires is not None and now < self.expires

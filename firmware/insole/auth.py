"""Application-level authentication: HMAC-SHA256 challenge-response with a per-device key.

    host -> AUTH_START                     device: a fresh 16-byte nonce Nd
    host -> AUTH_PROOF Nc, client_proof    client_proof = HMAC(key, "insole-auth-v1" || Nd || Nc || device_id)
    device -> OK, device_proof             device_proof = HMAC(key, "insole-auth-v1-device" || Nc || Nd || device_id)

The device checks the client's proof in constant time and is then
authenticated for `session_s` (until AUTH_END, a disconnect, or the timeout);
the host checks the device's proof to know it talks to its own insole. Nd is
single-use: any AUTH_PROOF consumes it, right or wrong, and it expires after
`challenge_s`, so a captured exchange cannot be replayed. device_id is the
Device Information serial number, readable by the host before it authenticates.

The key (16 bytes or more; 32 random bytes recommended) is written into the
device config over USB when the insole is deployed and never travels over
the air: no command sets or reads it. MicroPython has hashlib.sha256 but no
hmac module, hence `hmac_sha256` (RFC 2104) here.
"""
try:
    from hashlib import sha256
except ImportError:  # CircuitPython boards without hashlib.sha256: adafruit_hashlib from the bundle
    from adafruit_hashlib import sha256

CLIENT_LABEL = b"insole-auth-v1"
DEVICE_LABEL = b"insole-auth-v1-device"
NONCE_LEN = 16
MAC_LEN = 32
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
    return hmac_sha256(key, CLIENT_LABEL + device_nonce + client_nonce + device_id)


def device_proof(key, device_nonce, client_nonce, device_id):
    """What the device answers to a good AUTH_PROOF."""
    return hmac_sha256(key, DEVICE_LABEL + client_nonce + device_nonce + device_id)


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
        return device_proof(self.key, nonce, client_nonce, self.device_id)

    def end(self):
        """AUTH_END, a disconnect or a new challenge: not authenticated, no pending nonce."""
        self.nonce = None
        self.nonce_at = 0
        self.expires = None

    def authenticated(self, now):
        """True while the session is authenticated."""
        return self.expires is not None and now < self.expires

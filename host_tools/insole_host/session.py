"""The host's side of the login and of the session it opens, on the stdlib's `hmac`.

It shares no code with the firmware's auth.py: the two meet only in the
known-answer vectors of docs/ble.md, which tests check each against, so a
drift on either side fails. The scheme (docs/ble.md, "Authentication"):

    proof_c = HMAC-SHA256(K, "insole-auth-v1" || Nd || Nc || id)[:16]
    proof_d = HMAC-SHA256(K, "insole-auth-v1-device" || Nc || Nd || id)[:16]
    SK      = HMAC-SHA256(K, "insole-session-v1" || Nd || Nc || id)
    command body || ctr u32 LE || HMAC-SHA256(SK, "insole-cmd" || ctr || body)[:8]
    answer  body || HMAC-SHA256(SK, "insole-rsp" || ctr || body)[:8]
    record  record || HMAC-SHA256(SK, "insole-rec" || ctr || record)[:8]
"""
from __future__ import annotations

import hashlib
import hmac
import struct

PROOF_BYTES = 16
TAG_BYTES = 8


def _mac(key: bytes, *parts: bytes) -> bytes:
    return hmac.new(key, b"".join(parts), hashlib.sha256).digest()


def login_proofs(key: bytes, device_nonce: bytes, client_nonce: bytes, device_id: bytes) -> tuple[bytes, bytes]:
    """(what the host sends in AUTH_PROOF, what the insole must answer)."""
    client = _mac(key, b"insole-auth-v1", device_nonce, client_nonce, device_id)[:PROOF_BYTES]
    device = _mac(key, b"insole-auth-v1-device", client_nonce, device_nonce, device_id)[:PROOF_BYTES]
    return client, device


class HostSession:
    """One login's session key and command counter, as the host keeps them."""

    def __init__(self, key: bytes, device_nonce: bytes, client_nonce: bytes, device_id: bytes):
        self.key = _mac(key, b"insole-session-v1", device_nonce, client_nonce, device_id)
        self.counter = 0

    def _tag(self, label: bytes, counter: int, body: bytes) -> bytes:
        return _mac(self.key, label, struct.pack("<I", counter), body)[:TAG_BYTES]

    def seal(self, body: bytes) -> tuple[int, bytes]:
        """(counter, the write) of the next command."""
        self.counter += 1
        head = bytes(body) + struct.pack("<I", self.counter)
        return self.counter, head + self._tag(b"insole-cmd", self.counter, bytes(body))

    def answer_ok(self, counter: int, body: bytes, tag: bytes) -> bool:
        """Is `tag` the insole's tag of the answer `body` to command `counter`?"""
        return hmac.compare_digest(tag, self._tag(b"insole-rsp", counter, bytes(body)))

    def record_ok(self, counter: int, data: bytes, tag: bytes) -> bool:
        """Is `tag` the insole's tag of the record `data` of the stream command `counter` started?"""
        return hmac.compare_digest(tag, self._tag(b"insole-rec", counter, bytes(data)))

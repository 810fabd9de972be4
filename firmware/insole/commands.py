"""The control point's command handler: one write in, one indication payload out.

`Handler(device, auth, clock)`: `auth` is the connection's auth.Session (the
binding calls `auth.end()` on disconnect), `clock()` a monotonic count of
seconds, and `device` the object that changes the insole's state:

    set_time(unix_s, tz_min)        the wall clock: UTC seconds, local offset in minutes
    set_schedule(preset, params)    "standard", "gentle" or "custom"; params: keyword
                                    arguments of schedule.custom_steps ({} for a preset)
    report_pain(severity)           1..10
    ack_alert()                     silence today's repeats
    snooze()                        silence the alerts for the engine's snooze time
    request_records(after_seq, seal)   start the stream of the records after after_seq,
                                    oldest first, each sealed by seal(record) (its tag
                                    appended); returns how many
    zero_calibration()              re-zero the sensors (the foot unloaded)
    factory_reset()                 wipe the wearer's data (records, schedule, calibration);
                                    the device key and id stay

It gets only values that passed the protocol's checks, and may raise Busy.

Rules: without a session, AUTH_END is always accepted, AUTH_START and
AUTH_PROOF need an encrypted, bonded link (`link_secure`) and every other
command is answered NOT_AUTHENTICATED, the device untouched. In a session
every write carries a counter and a tag (auth.py): one whose tag does not
verify is answered BAD_TAG, one whose counter is not the next BAD_COUNTER,
and neither touches anything; the answer to an accepted one carries its tag.
FACTORY_RESET and AUTH_END end the session, AUTH_START starts a new login.
No exception escapes `handle`: an unexpected one is logged, then answered
INTERNAL_ERROR.
"""

from insole import auth, protocol as p
from insole.compat import log_exception


class Busy(Exception):
    """Raised by a device method that cannot act now; answered BUSY."""


def _auth_start(h, args):
    return p.OK, h.auth.start(h.clock())


def _auth_proof(h, args):
    proof = h.auth.prove(args[0], args[1], h.clock())
    return (p.OK, proof) if proof else (p.AUTH_FAILED, None)


def _auth_end(h, args):
    h.auth.end()
    return p.OK, None


def _factory_reset(h, args):
    h.device.factory_reset()
    h.auth.end()
    return p.OK, None


def _request_records(h, args):
    return p.OK, h.device.request_records(args[0], h.record_sealer())


def _device_call(method):
    def run(h, args):
        return p.OK, getattr(h.device, method)(*args)
    return run


# opcode -> what it does: run(handler, args) -> (response code, OK payload value)
DISPATCH = {
    p.SET_TIME: _device_call("set_time"),
    p.SET_SCHEDULE: _device_call("set_schedule"),
    p.REPORT_PAIN: _device_call("report_pain"),
    p.ACK_ALERT: _device_call("ack_alert"),
    p.SNOOZE: _device_call("snooze"),
    p.REQUEST_RECORDS: _request_records,
    p.ZERO_CALIBRATION: _device_call("zero_calibration"),
    p.AUTH_START: _auth_start,
    p.AUTH_PROOF: _auth_proof,
    p.AUTH_END: _auth_end,
    p.FACTORY_RESET: _factory_reset,
}
_LOGIN = (p.AUTH_START, p.AUTH_PROOF)


class Handler:
    """Answers the control-point writes of one connection."""

    def __init__(self, device, auth_session, clock):
        self.device = device
        self.auth = auth_session
        self.clock = clock
        self._counter = 0  # the counter of the command being answered

    def handle(self, data, link_secure):
        """The indication payload answering the write `data`."""
        opcode = 0
        key = None
        try:
            data = bytes(data)
            if data:
                opcode = data[0]
            if self.auth.authenticated(self.clock()):
                body, counter = self.auth.unseal(data)
                if body is None:  # the answer echoes the opcode byte and says nothing else
                    return p.encode_response(opcode, p.BAD_TAG if counter == "tag" else p.BAD_COUNTER)
                key = self.auth.session_key
                self._counter = counter
                data = body
            code, value = self._run(opcode, data, link_secure, key is not None)
        except Busy:
            code, value = p.BUSY, None
        except Exception as e:
            log_exception("control point 0x%02x" % opcode, e)
            code, value = p.INTERNAL_ERROR, None
        answer = p.encode_response(opcode, code, value)
        if key is not None:
            answer += auth.tag(key, auth.RESPONSE_LABEL, self._counter, answer)
        return answer

    def _allowed(self, opcode, link_secure, in_session):
        if in_session or opcode == p.AUTH_END:
            return True
        return link_secure and opcode in _LOGIN

    def _run(self, opcode, data, link_secure, in_session):
        if data and opcode in DISPATCH and not self._allowed(opcode, link_secure, in_session):
            return p.NOT_AUTHENTICATED, None
        opcode, code, args = p.decode_command(data)
        if code != p.OK:
            return code, None
        return DISPATCH[opcode](self, args)

    def record_sealer(self):
        """seal(record) -> the record and its tag under this session, for this command."""
        key = self.auth.session_key
        counter = self._counter

        def seal(data):
            return data + auth.tag(key, auth.RECORD_LABEL, counter, data)
        return seal

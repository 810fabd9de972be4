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
    request_records(after_seq)      start notifying the records after after_seq, oldest
                                    first, one per notification; returns how many
    zero_calibration()              re-zero the sensors (the foot unloaded)
    factory_reset()                 wipe the wearer's data (records, schedule, calibration);
                                    the device key and id stay

It gets only values that passed the protocol's checks, and may raise Busy.

Rules: AUTH_END is always accepted; every other command needs an encrypted,
bonded link (`link_secure`), and all but AUTH_START and AUTH_PROOF also an
authenticated session; otherwise NOT_AUTHENTICATED, and the device is not
touched. FACTORY_RESET ends the session. No exception escapes `handle`.
"""
from insole import protocol as p

_SESSION_FREE = (p.AUTH_START, p.AUTH_PROOF)


class Busy(Exception):
    """Raised by a device method that cannot act now; answered BUSY."""


class Handler:
    """Answers the control-point writes of one connection."""

    def __init__(self, device, auth, clock):
        self.device = device
        self.auth = auth
        self.clock = clock

    def handle(self, data, link_secure):
        """The indication payload answering the write `data`."""
        opcode = 0
        try:
            data = bytes(data)
            if data:
                opcode = data[0]
            code, value = self._run(opcode, data, link_secure)
            return p.encode_response(opcode, code, value)
        except Busy:
            code = p.BUSY
        except Exception:
            code = p.INTERNAL_ERROR
        return p.encode_response(opcode, code)

    def _allowed(self, opcode, link_secure):
        if opcode == p.AUTH_END:
            return True
        return link_secure and (opcode in _SESSION_FREE or self.auth.authenticated(self.clock()))

    def _run(self, opcode, data, link_secure):
        if data and opcode in p.COMMANDS and not self._allowed(opcode, link_secure):
            return p.NOT_AUTHENTICATED, None
        opcode, code, args = p.decode_command(data)
        if code != p.OK:
            return code, None
        if opcode == p.AUTH_START:
            return p.OK, self.auth.start(self.clock())
        if opcode == p.AUTH_PROOF:
            proof = self.auth.prove(args[0], args[1], self.clock())
            return (p.OK, proof) if proof else (p.AUTH_FAILED, None)
        if opcode == p.AUTH_END:
            self.auth.end()
            return p.OK, None
        if opcode == p.FACTORY_RESET:
            self.device.factory_reset()
            self.auth.end()
            return p.OK, None
        return p.OK, getattr(self.device, p.COMMANDS[opcode][0])(*args)

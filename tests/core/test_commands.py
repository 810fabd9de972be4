"""The control-point handler: authentication rules, the device untouched without
them, commands bound to the session, and the happy path (CPython and MicroPython)."""
from central import Central, command, custom_write, response
from test_auth import DEVICE_ID, KEY, Clock, lcg_bytes

from insole import auth, protocol as p
from insole import record
from insole.auth import Session, client_proof, device_proof
from insole.commands import DISPATCH, Busy, Handler


class FakeDevice:
    """The device interface of commands.py, recording every call; a store of
    `days` records (seq 1..days) that request_records "notifies", sealed, into `sent`."""

    def __init__(self, days=5):
        self.calls = []
        self.records = [record.encode(record.DaySummary().close(seq, 9000 + seq, 3600)) for seq in range(1, days + 1)]
        self.sent = []
        self.fail = None

    def _call(self, *call):
        if self.fail:
            raise self.fail
        self.calls.append(call)

    def set_time(self, unix_s, tz_min):
        self._call("set_time", unix_s, tz_min)

    def set_schedule(self, preset, params):
        self._call("set_schedule", preset, params)

    def report_pain(self, severity):
        self._call("report_pain", severity)

    def ack_alert(self):
        self._call("ack_alert")

    def snooze(self):
        self._call("snooze")

    def request_records(self, after_seq, seal):
        self._call("request_records", after_seq)
        later = [r for r in self.records if record.decode(r)["seq"] > after_seq]
        self.sent.extend(seal(r) for r in later)
        return len(later)

    def zero_calibration(self):
        self._call("zero_calibration")

    def factory_reset(self):
        self._call("factory_reset")
        self.records = []


# Every state-changing command (and the records request), valid, with the call it makes.
STATE_CHANGING = (
    (command(p.SET_TIME, 1750000000, 60), ("set_time", 1750000000, 60)),
    (command(p.SET_SCHEDULE, "gentle"), ("set_schedule", "gentle", {})),
    (custom_write(1800, 1800, 28800, 0, b"\x03\x07"),
     ("set_schedule", "custom", {"start_s": 1800, "step_s": 1800, "cap_s": 28800, "rest": (3, 7), "rest_every": 0})),
    (command(p.REPORT_PAIN, 6), ("report_pain", 6)),
    (command(p.ACK_ALERT), ("ack_alert",)),
    (command(p.SNOOZE), ("snooze",)),
    (command(p.REQUEST_RECORDS, 2), ("request_records", 2)),
    (command(p.ZERO_CALIBRATION), ("zero_calibration",)),
    (command(p.FACTORY_RESET, p.RESET_MAGIC), ("factory_reset",)),
)


def setup(days=5, seed=11):
    """(handler, device, session, clock) of a fresh connection."""
    clock = Clock()
    session = Session(KEY, DEVICE_ID, lcg_bytes(seed))
    device = FakeDevice(days)
    return Handler(device, session, clock), device, session, clock


def authenticate(handler, key=KEY, link_secure=True):
    """AUTH_START over a secure link, then AUTH_PROOF: ((opcode, code, value), central or None)."""
    nonce = answer(handler, command(p.AUTH_START))[2]
    cn = bytes(range(16))
    got = answer(handler, command(p.AUTH_PROOF, cn, client_proof(key, nonce, cn, DEVICE_ID)), link_secure)
    if got[1] != p.OK:
        return got, None
    assert got[2] == device_proof(KEY, nonce, cn, DEVICE_ID)  # the host knows it is its own insole
    return got, Central(key, nonce, cn, DEVICE_ID)


def answer(handler, data, link_secure=True):
    """(opcode, code, value) of the handler's answer to `data` (no session tag)."""
    got = response(handler.handle(data, link_secure))
    assert got[3] == b"", "an answer outside a session carries no tag"
    return got[:3]


def in_session(handler, central, data, link_secure=True):
    """(opcode, code, value) of the answer to `data` sealed by the central, its tag checked."""
    return central.check(handler.handle(central.seal(data), link_secure))


def test_the_dispatch_table_covers_every_command():
    assert sorted(DISPATCH) == sorted(p.COMMANDS)


def test_state_changing_commands_need_a_session_and_leave_the_device_untouched():
    h, device, session, _ = setup()
    stored = list(device.records)
    for data, _ in STATE_CHANGING:
        for secure in (True, False):
            assert answer(h, data, secure) == (data[0], p.NOT_AUTHENTICATED, None), data
    assert device.calls == [] and device.sent == [] and device.records == stored


def test_an_unsecured_link_is_refused_even_with_a_valid_hmac():
    h, device, session, clock = setup()
    assert answer(h, command(p.AUTH_START), False)[1] == p.NOT_AUTHENTICATED
    (_, code, _), _ = authenticate(h, link_secure=False)  # the nonce over a secure link, the proof not
    assert code == p.NOT_AUTHENTICATED and not session.authenticated(clock())
    (_, code, _), _ = authenticate(h)
    assert code == p.OK
    assert device.calls == []


def test_the_happy_path():
    h, device, session, _ = setup()
    (opcode, code, _), central = authenticate(h)
    assert (opcode, code) == (p.AUTH_PROOF, p.OK)
    for data, call in STATE_CHANGING:
        opcode, code, value = in_session(h, central, data)
        assert (opcode, code) == (data[0], p.OK), (data, code)
        assert device.calls[-1] == call
        if opcode == p.REQUEST_RECORDS:
            assert value == 3
            recs = [central.record(unit, central.counter) for unit in device.sent]
            assert [record.decode(r)["seq"] for r in recs] == [3, 4, 5]
        else:
            assert value is None
    assert len(device.calls) == len(STATE_CHANGING)
    assert answer(h, command(p.SNOOZE))[1] == p.NOT_AUTHENTICATED  # FACTORY_RESET ended the session


def test_in_a_session_a_changed_replayed_reordered_or_reflected_command_is_refused():
    h, device, _, _ = setup()
    _, central = authenticate(h)
    first = central.seal(command(p.REPORT_PAIN, 3))
    assert central.check(h.handle(first, True))[1] == p.OK
    refused = []
    refused.append(h.handle(first, True))                                     # replayed
    older = central.seal(command(p.ACK_ALERT))
    newer = central.seal(command(p.SNOOZE))
    reflected = h.handle(newer, True)  # taken; its answer is written back below
    assert central.check(reflected, 3)[1] == p.OK
    refused.append(h.handle(older, True))                                     # out of order
    changed = bytearray(central.seal(command(p.REPORT_PAIN, 3)))
    changed[1] = 9
    refused.append(h.handle(bytes(changed), True))                            # modified
    refused.append(h.handle(reflected, True))                                 # reflected
    refused.append(h.handle(command(p.FACTORY_RESET, p.RESET_MAGIC), True))  # injected, unsealed
    codes = [response(r)[1] for r in refused]
    assert codes == [p.BAD_COUNTER, p.BAD_COUNTER, p.BAD_TAG, p.BAD_TAG, p.BAD_TAG], codes
    assert all(response(r)[3] == b"" for r in refused)  # a refusal carries no tag
    assert device.calls == [("report_pain", 3), ("snooze",)]


def test_auth_end_ends_the_session():
    h, device, _, _ = setup()
    _, central = authenticate(h)
    assert in_session(h, central, command(p.AUTH_END), False) == (p.AUTH_END, p.OK, None)
    assert answer(h, command(p.REPORT_PAIN, 3))[1] == p.NOT_AUTHENTICATED
    assert answer(h, command(p.AUTH_END), False) == (p.AUTH_END, p.OK, None)  # without a session: always
    assert device.calls == []


def test_a_wrong_key_fails_and_a_replay_fails():
    h, device, _, _ = setup()
    (_, code, _), _ = authenticate(h, key=b"\x01" * 32)
    assert code == p.AUTH_FAILED
    _, code, nonce = answer(h, command(p.AUTH_START))
    cn = b"\x05" * 16
    proof = command(p.AUTH_PROOF, cn, client_proof(KEY, nonce, cn, DEVICE_ID))
    assert answer(h, proof)[1] == p.OK
    central = Central(KEY, nonce, cn, DEVICE_ID)
    in_session(h, central, command(p.AUTH_END))
    assert answer(h, proof)[1] == p.AUTH_FAILED
    answer(h, command(p.AUTH_START))
    assert answer(h, proof)[1] == p.AUTH_FAILED
    assert answer(h, STATE_CHANGING[0][0])[1] == p.NOT_AUTHENTICATED
    assert device.calls == []


def test_the_session_times_out():
    h, device, session, clock = setup()
    _, central = authenticate(h)
    clock.now += session.session_s - 1
    assert in_session(h, central, command(p.SNOOZE))[1] == p.OK
    clock.now += 1
    assert answer(h, central.seal(command(p.SNOOZE)))[1] == p.NOT_AUTHENTICATED
    assert device.calls == [("snooze",)]


def test_bad_writes_get_their_codes_once_authenticated():
    h, device, _, _ = setup()
    _, central = authenticate(h)
    assert in_session(h, central, b"\x03\x0b")[1] == p.BAD_VALUE
    assert in_session(h, central, b"\x03")[1] == p.BAD_LENGTH
    assert in_session(h, central, b"\x0b" + b"WIPE")[1] == p.BAD_VALUE
    assert device.calls == []


def test_unknown_opcodes_and_empty_writes_are_answered_without_a_session():
    h, _, _, _ = setup()
    assert answer(h, b"\x0c\x01") == (0x0C, p.UNKNOWN_OPCODE, None)
    assert h.handle(b"", True) == b"\x80" + bytes([p.BAD_LENGTH])
    assert h.handle(b"\xff", True) == b"\xff" + bytes([p.UNKNOWN_OPCODE])


def test_a_busy_device_answers_busy_and_a_failing_one_internal_error():
    h, device, _, _ = setup()
    _, central = authenticate(h)
    device.fail = Busy()
    assert in_session(h, central, command(p.ZERO_CALIBRATION))[1] == p.BUSY
    device.fail = OSError(28)
    assert in_session(h, central, command(p.REQUEST_RECORDS, 0))[1] == p.INTERNAL_ERROR
    device.fail = None
    assert in_session(h, central, command(p.ZERO_CALIBRATION))[1] == p.OK


def test_an_unexpected_exception_is_logged_before_internal_error():
    import insole.commands as commands
    h, device, _, _ = setup()
    _, central = authenticate(h)
    logged = []
    keep = commands.log_exception
    commands.log_exception = lambda where, error: logged.append((where, error))
    try:
        device.fail = OSError(28)
        assert in_session(h, central, command(p.SNOOZE))[1] == p.INTERNAL_ERROR
        device.fail = Busy()
        assert in_session(h, central, command(p.SNOOZE))[1] == p.BUSY  # expected: not logged
    finally:
        commands.log_exception = keep
    assert len(logged) == 1 and logged[0][0] == "control point 0x05" and isinstance(logged[0][1], OSError)


def test_nothing_escapes_handle():
    h, _, _, _ = setup()
    for data in (None, "text", 5, [1, 2], bytearray(b"\x03\x04"), memoryview(b"\x0a")):
        response(h.handle(data, True))  # well-formed, whatever came in
    assert h.handle(None, True) == bytes([0x80, p.INTERNAL_ERROR])
    assert h.handle(memoryview(b"\x0a"), False) == bytes([0x8A, p.OK])
    assert auth.TAG_LEN == 8

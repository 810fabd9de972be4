"""The control-point handler: authentication rules, the device untouched without
them, and the happy path (CPython and MicroPython)."""
from test_auth import DEVICE_ID, KEY, Clock, lcg_bytes
from test_protocol import CUSTOM

from insole import protocol as p
from insole import record
from insole.auth import Session, client_proof, device_proof
from insole.commands import Busy, Handler


class FakeDevice:
    """The device interface of commands.py, recording every call; a store of
    `days` records (seq 1..days) that request_records "notifies" into `sent`."""

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

    def request_records(self, after_seq):
        self._call("request_records", after_seq)
        later = [r for r in self.records if record.decode(r)["seq"] > after_seq]
        self.sent.extend(later)
        return len(later)

    def zero_calibration(self):
        self._call("zero_calibration")

    def factory_reset(self):
        self._call("factory_reset")
        self.records = []


# Every state-changing command (and the records request), valid, with the call it makes.
STATE_CHANGING = (
    (p.encode_command(p.SET_TIME, 1750000000, 60), ("set_time", 1750000000, 60)),
    (p.encode_command(p.SET_SCHEDULE, "gentle"), ("set_schedule", "gentle", {})),
    (p.encode_command(p.SET_SCHEDULE, "custom", CUSTOM),
     ("set_schedule", "custom", {"start_s": 1800, "step_s": 1800, "cap_s": 28800, "rest": (3, 7), "rest_every": 0})),
    (p.encode_command(p.REPORT_PAIN, 6), ("report_pain", 6)),
    (p.encode_command(p.ACK_ALERT), ("ack_alert",)),
    (p.encode_command(p.SNOOZE), ("snooze",)),
    (p.encode_command(p.REQUEST_RECORDS, 2), ("request_records", 2)),
    (p.encode_command(p.ZERO_CALIBRATION), ("zero_calibration",)),
    (p.encode_command(p.FACTORY_RESET, p.RESET_MAGIC), ("factory_reset",)),
)


def setup(days=5, seed=11):
    """(handler, device, session, clock) of a fresh connection."""
    clock = Clock()
    session = Session(KEY, DEVICE_ID, lcg_bytes(seed))
    device = FakeDevice(days)
    return Handler(device, session, clock), device, session, clock


def authenticate(handler, key=KEY, link_secure=True):
    """AUTH_START over a secure link, then AUTH_PROOF: (proof response, device nonce, client nonce)."""
    nonce = answer(handler, p.encode_command(p.AUTH_START))[2]
    cn = bytes(range(16))
    mac = client_proof(key, nonce, cn, DEVICE_ID)
    return answer(handler, p.encode_command(p.AUTH_PROOF, cn, mac), link_secure), nonce, cn


def answer(handler, data, link_secure=True):
    """(opcode, code, value) of the handler's answer to `data`."""
    return p.decode_response(handler.handle(data, link_secure))


def test_state_changing_commands_need_a_session_and_leave_the_device_untouched():
    h, device, session, _ = setup()
    stored = list(device.records)
    for data, _ in STATE_CHANGING:
        for secure in (True, False):
            assert answer(h, data, secure) == (data[0], p.NOT_AUTHENTICATED, None), data
    assert device.calls == [] and device.sent == [] and device.records == stored


def test_an_unsecured_link_is_refused_even_with_a_valid_hmac():
    h, device, session, clock = setup()
    assert answer(h, p.encode_command(p.AUTH_START), False)[1] == p.NOT_AUTHENTICATED
    (_, code, _), _, _ = authenticate(h, link_secure=False)  # the nonce over a secure link, the proof not
    assert code == p.NOT_AUTHENTICATED and not session.authenticated(clock())
    (_, code, _), _, _ = authenticate(h)
    assert code == p.OK
    for data, _ in STATE_CHANGING:
        assert answer(h, data, False)[1] == p.NOT_AUTHENTICATED, data
    assert device.calls == []


def test_the_happy_path():
    h, device, session, _ = setup()
    (opcode, code, proof), nonce, cn = authenticate(h)
    assert (opcode, code) == (p.AUTH_PROOF, p.OK)
    assert proof == device_proof(KEY, nonce, cn, DEVICE_ID)  # the host knows it is its own insole
    for data, call in STATE_CHANGING:
        opcode, code, value = answer(h, data)
        assert (opcode, code) == (data[0], p.OK), (data, code)
        assert device.calls[-1] == call
        if opcode == p.REQUEST_RECORDS:
            assert value == 3
            assert [record.decode(r)["seq"] for r in device.sent] == [3, 4, 5]
        else:
            assert value is None
    assert len(device.calls) == len(STATE_CHANGING)
    assert answer(h, p.encode_command(p.SNOOZE))[1] == p.NOT_AUTHENTICATED  # FACTORY_RESET ended the session


def test_auth_end_ends_the_session():
    h, device, _, _ = setup()
    authenticate(h)
    assert answer(h, p.encode_command(p.AUTH_END), False) == (p.AUTH_END, p.OK, None)
    assert answer(h, p.encode_command(p.REPORT_PAIN, 3))[1] == p.NOT_AUTHENTICATED
    assert device.calls == []


def test_a_wrong_key_fails_and_a_replay_fails():
    h, device, _, _ = setup()
    (_, code, _), _, _ = authenticate(h, key=b"\x01" * 32)
    assert code == p.AUTH_FAILED
    _, code, nonce = answer(h, p.encode_command(p.AUTH_START))
    cn = b"\x05" * 16
    proof = p.encode_command(p.AUTH_PROOF, cn, client_proof(KEY, nonce, cn, DEVICE_ID))
    assert answer(h, proof)[1] == p.OK
    answer(h, p.encode_command(p.AUTH_END))
    assert answer(h, proof)[1] == p.AUTH_FAILED
    answer(h, p.encode_command(p.AUTH_START))
    assert answer(h, proof)[1] == p.AUTH_FAILED
    assert answer(h, STATE_CHANGING[0][0])[1] == p.NOT_AUTHENTICATED
    assert device.calls == []


def test_the_session_times_out():
    h, device, session, clock = setup()
    authenticate(h)
    clock.now += session.session_s - 1
    assert answer(h, p.encode_command(p.SNOOZE))[1] == p.OK
    clock.now += 1
    assert answer(h, p.encode_command(p.SNOOZE))[1] == p.NOT_AUTHENTICATED
    assert device.calls == [("snooze",)]


def test_bad_writes_get_their_codes_once_authenticated():
    h, device, _, _ = setup()
    authenticate(h)
    assert answer(h, b"\x03\x0b")[1] == p.BAD_VALUE
    assert answer(h, b"\x03")[1] == p.BAD_LENGTH
    assert answer(h, b"\x0b" + b"WIPE")[1] == p.BAD_VALUE
    assert device.calls == []


def test_unknown_opcodes_and_empty_writes_are_answered_without_a_session():
    h, _, _, _ = setup()
    assert answer(h, b"\x0c\x01") == (0x0C, p.UNKNOWN_OPCODE, None)
    assert h.handle(b"", True) == b"\x80" + bytes([p.BAD_LENGTH])
    assert h.handle(b"\xff", True) == b"\xff" + bytes([p.UNKNOWN_OPCODE])


def test_a_busy_device_answers_busy_and_a_failing_one_internal_error():
    h, device, _, _ = setup()
    authenticate(h)
    device.fail = Busy()
    assert answer(h, p.encode_command(p.ZERO_CALIBRATION))[1] == p.BUSY
    device.fail = OSError(28)
    assert answer(h, p.encode_command(p.REQUEST_RECORDS, 0))[1] == p.INTERNAL_ERROR
    device.fail = None
    assert answer(h, p.encode_command(p.ZERO_CALIBRATION))[1] == p.OK


def test_nothing_escapes_handle():
    h, _, _, _ = setup()
    for data in (None, "text", 5, [1, 2], bytearray(b"\x03\x04"), memoryview(b"\x0a")):
        p.decode_response(h.handle(data, True))  # well-formed, whatever came in
    assert h.handle(None, True) == bytes([0x80, p.INTERNAL_ERROR])
    assert h.handle(memoryview(b"\x0a"), False) == bytes([0x8A, p.OK])

"""The link's byte layouts, the device's side (insole/protocol.py) against the host's
codecs (insole_host/codec.py): round trips, offsets, and every command's bad
lengths and bad values."""
import struct
from array import array

from insole_host import codec

from insole import protocol as p
from insole import record
from insole.alerts import EVENT_LEN, LIMIT_REACHED, PRE_WARNING, AlertEngine
from insole.auth import NONCE_LEN, PROOF_LEN as MAC_LEN
from insole.schedule import HOUR, MAX_STEPS

CUSTOM = {"start_s": 1800, "step_s": 1800, "cap_s": 8 * HOUR, "rest": (3, 7)}

# (opcode, args) of one valid command each; SET_SCHEDULE three times.
VALID_ARGS = (
    (p.SET_TIME, (1750000000, 120)),
    (p.SET_SCHEDULE, ("gentle",)),
    (p.SET_SCHEDULE, ("custom", CUSTOM)),
    (p.SET_SCHEDULE, ("custom", {"start_s": HOUR, "step_s": HOUR, "cap_s": 10 * HOUR, "rest_every": 3})),
    (p.REPORT_PAIN, (4,)),
    (p.ACK_ALERT, ()),
    (p.SNOOZE, ()),
    (p.REQUEST_RECORDS, (2,)),
    (p.ZERO_CALIBRATION, ()),
    (p.AUTH_START, ()),
    (p.AUTH_PROOF, (b"\x01" * NONCE_LEN, b"\x02" * MAC_LEN)),
    (p.AUTH_END, ()),
    (p.FACTORY_RESET, (p.RESET_MAGIC,)),
)


def raises(fn, *args):
    """The message of the ProtocolError that fn(*args) raises."""
    try:
        fn(*args)
    except p.ProtocolError as e:
        return str(e)
    raise AssertionError("ProtocolError not raised by %r" % (args,))


def code_of(data):
    return p.decode_command(bytes(data))[1]


def sample_record(seq=7):
    return record.encode(record.DaySummary().close(seq, 9000, 3600, limit_s=HOUR))


def test_protocol_error_is_a_value_error():
    assert issubclass(p.ProtocolError, ValueError)


def test_rsc_measurement_follows_the_rsc_layout():
    data = p.encode_rsc(104)
    assert data == bytes([0, 0, 0, 104])
    assert codec.decode_rsc(data) == {"flags": 0, "speed_256": 0, "cadence_spm": 104}
    assert p.encode_rsc(300)[3] == 255 and p.encode_rsc(-5)[3] == 0
    assert "4" in raises(codec.decode_rsc, data[:3])
    raises(codec.decode_rsc, bytes([1, 0, 0, 104, 0, 0]))  # stride length: not an insole's measurement


def status_fields(**changes):
    f = {"wear_s": 5400, "limit_s": 7200, "steps": 4321, "samples_lost": 87, "pronation_permille": -87,
         "battery_pct": 77, "flags": p.STATUS_ON_FOOT | p.STATUS_AUTHENTICATED, "record_seq": 41}
    f.update(changes)
    return f


def u24(data, at):
    return int.from_bytes(data[at:at + 3], "little")


def test_status_round_trip_and_offsets():
    """docs/ble.md's table: u24 wear, limit, steps and samples lost, then the first
    layout's tail; bits 6-7 of the flags byte are the layout's version, 1."""
    f = status_fields(wear_s=70000, steps=0x123456, samples_lost=0xABCDEF)
    data = p.encode_status(**f)
    assert len(data) == 20  # one notification at the default ATT MTU (23)
    assert codec.decode_status(data) == f
    assert (u24(data, 0), u24(data, 3), u24(data, 6), u24(data, 9)) == (70000, 7200, 0x123456, 0xABCDEF)
    assert struct.unpack_from("<h", data, 12)[0] == -87
    assert data[14] == 77 and data[15] == 0x40 | p.STATUS_ON_FOOT | p.STATUS_AUTHENTICATED
    assert struct.unpack_from("<I", data, 16)[0] == 41


def test_status_no_limit_is_all_ones():
    data = p.encode_status(**status_fields(limit_s=None))
    assert data[3:6] == b"\xff\xff\xff"
    assert codec.decode_status(data)["limit_s"] is None


def test_status_values_out_of_range_are_refused_both_ways():
    for bad in ({"battery_pct": 101}, {"pronation_permille": 1001}, {"flags": 0x40}, {"steps": -1},
                {"wear_s": 1 << 24}, {"samples_lost": 1 << 24}):
        msg = raises(lambda: p.encode_status(**status_fields(**bad)))
        assert list(bad)[0] in msg, msg
    data = bytearray(p.encode_status(**status_fields()))
    data[14] = 101
    assert "battery_pct" in raises(codec.decode_status, bytes(data))
    assert "status" in raises(codec.decode_status, bytes(data[:19]))


def test_a_status_of_another_layout_is_refused_by_its_version():
    """The first layout (u32 wear, limit and steps at 0, 4, 8; no samples lost) left
    bits 6-7 of byte 15 at 0: the host names the versions instead of misreading it."""
    first = struct.pack("<IIIhBBI", 5400, 7200, 4321, -87, 77, p.STATUS_ON_FOOT, 41)
    msg = raises(codec.decode_status, first)
    assert "layout version 0" in msg and "version 1" in msg and "make deploy" in msg
    later = bytearray(p.encode_status(**status_fields()))
    later[15] |= 0x80
    assert "layout version 3" in raises(codec.decode_status, bytes(later))


def test_alert_event_from_the_engine_ring():
    e = AlertEngine()
    for w in range(1, HOUR + 1):
        e.tick(w, w, HOUR, True)
    out = array("i", [0] * EVENT_LEN)
    assert e.pop(out)
    data = p.encode_alert(out)
    assert len(data) == 17
    assert codec.decode_alert(data) == {"seq": 1, "kind": PRE_WARNING, "day_second": HOUR * 9 // 10,
                                    "wear_s": HOUR * 9 // 10, "limit_s": HOUR}
    assert struct.unpack_from("<IBIII", data) == (1, PRE_WARNING, 3240, 3240, HOUR)


def test_alert_event_without_a_limit():
    data = p.encode_alert((9, LIMIT_REACHED, 10, 20, -1))
    assert data[13:] == b"\xff\xff\xff\xff"
    assert codec.decode_alert(data)["limit_s"] is None


def test_alert_event_bad_values():
    raises(p.encode_alert, (0, LIMIT_REACHED, 1, 1, 1))  # seq starts at 1
    raises(p.encode_alert, (1, 0, 1, 1, 1))  # kind NONE is never queued
    raises(p.encode_alert, (1, LIMIT_REACHED, 1, 1, -2))
    raises(codec.decode_alert, p.encode_alert((1, 1, 1, 1, 1))[:16])


def test_records_notification_is_one_record():
    data = sample_record()
    assert len(data) == record.SIZE
    assert codec.decode_record(data) == record.decode(data)
    assert "records notification" in raises(codec.decode_record, data + data)
    bad = bytearray(data)
    bad[10] ^= 1
    assert "CRC" in raises(codec.decode_record, bytes(bad))


def test_every_command_round_trips():
    seen = set()
    for opcode, args in VALID_ARGS:
        data = codec.encode_command(opcode, *args)
        assert data[0] == opcode
        got_opcode, code, parsed = p.decode_command(data)
        assert (got_opcode, code) == (opcode, p.OK), (opcode, parsed)
        if opcode == p.SET_SCHEDULE:
            preset, params = parsed
            assert preset == args[0]
            for key in (args[1] if len(args) > 1 else {}):
                assert params[key] == args[1][key], key
        else:
            assert tuple(parsed) == args
        seen.add(opcode)
    assert seen == set(p.COMMANDS)


def test_command_layouts():
    assert codec.encode_command(p.SET_TIME, 1750000000, -300) == b"\x01" + struct.pack("<Ih", 1750000000, -300)
    assert codec.encode_command(p.SET_SCHEDULE, "standard") == b"\x02\x00"
    assert codec.encode_command(p.SET_SCHEDULE, "custom", CUSTOM) == (
        b"\x02" + struct.pack("<BIIIB", 2, 1800, 1800, 8 * HOUR, 0) + b"\x03\x07")
    assert codec.encode_command(p.REPORT_PAIN, 10) == b"\x03\x0a"
    assert codec.encode_command(p.REQUEST_RECORDS, 0x01020304) == b"\x06\x04\x03\x02\x01"
    assert codec.encode_command(p.FACTORY_RESET, p.RESET_MAGIC) == b"\x0bRSET"
    assert len(codec.encode_command(p.AUTH_PROOF, b"a" * 16, b"b" * 16)) == 33


def test_every_fixed_command_refuses_a_byte_more_or_less():
    for opcode, args in VALID_ARGS:
        if opcode == p.SET_SCHEDULE:
            continue
        data = codec.encode_command(opcode, *args)
        assert code_of(data + b"\x00") == p.BAD_LENGTH, opcode
        if len(data) > 1:
            assert code_of(data[:-1]) == p.BAD_LENGTH, opcode
            assert code_of(data[:1]) == p.BAD_LENGTH, opcode


def test_set_schedule_lengths():
    custom = codec.encode_command(p.SET_SCHEDULE, "custom", {"start_s": HOUR, "step_s": HOUR, "cap_s": 2 * HOUR})
    assert code_of(b"\x02") == p.BAD_LENGTH
    assert code_of(b"\x02\x00\x00") == p.BAD_LENGTH  # standard takes no parameters
    assert code_of(b"\x02\x01\x05") == p.BAD_LENGTH
    assert code_of(custom) == p.OK
    assert code_of(custom[:-1]) == p.BAD_LENGTH
    assert code_of(b"\x02\x02") == p.BAD_LENGTH
    many = custom + bytes(range(1, p.MAX_REST + 2))
    assert code_of(many) == p.BAD_LENGTH


def test_bad_values_are_refused():
    cases = (
        b"\x01" + struct.pack("<Ih", p.MIN_UNIX_S - 1, 0),
        b"\x01" + struct.pack("<Ih", 1750000000, -721),
        b"\x01" + struct.pack("<Ih", 1750000000, 841),
        b"\x02\x03",
        b"\x03\x00",
        b"\x03\x0b",
        b"\x03\xff",
        b"\x0b" + struct.pack("<I", p.RESET_MAGIC ^ 1),
        b"\x0b\x00\x00\x00\x00",
    )
    for data in cases:
        assert code_of(data) == p.BAD_VALUE, data


def test_boundary_values_are_accepted():
    for data in (b"\x01" + struct.pack("<Ih", p.MIN_UNIX_S, -720),
                 b"\x01" + struct.pack("<Ih", 0xFFFFFFFF, 840),
                 b"\x03\x01", b"\x03\x0a",
                 b"\x06\x00\x00\x00\x00", b"\x06\xff\xff\xff\xff"):
        assert code_of(data) == p.OK, data


def custom_write(start_s, step_s, cap_s, rest_every=0, rest=b""):
    return b"\x02" + struct.pack("<BIIIB", 2, start_s, step_s, cap_s, rest_every) + rest


def test_bad_custom_plans_are_refused():
    for data in (custom_write(0, HOUR, HOUR),             # no start
                 custom_write(2 * HOUR, HOUR, HOUR),      # start above cap
                 custom_write(HOUR, HOUR, 25 * HOUR),     # cap above a day
                 custom_write(HOUR, 0, 2 * HOUR),         # no step
                 custom_write(HOUR, HOUR, 2 * HOUR, 1),   # rest_every 1
                 custom_write(HOUR, HOUR, 2 * HOUR, 0, b"\x00"),   # step 0 a rest day
                 custom_write(HOUR, HOUR, 2 * HOUR, 0, b"\x09"),   # rest day past the end
                 custom_write(HOUR, HOUR, 2 * HOUR, 3, b"\x01"),   # both kinds of rest
                 custom_write(1, 1, MAX_STEPS + 1)):      # too many steps
        assert code_of(data) == p.BAD_VALUE, data


def test_unknown_opcodes_and_an_empty_write():
    for opcode in (0x00, 0x0C, 0x7F, 0x80, 0x81, 0xFF):
        assert p.decode_command(bytes([opcode, 1, 2]))[:2] == (opcode, p.UNKNOWN_OPCODE)
    assert p.decode_command(b"")[:2] == (0, p.BAD_LENGTH)


def test_decoding_never_raises_on_short_writes():
    for first in range(256):
        for tail in (b"", b"\x00", b"\xff" * 3, b"\x02" * 14, b"\xff" * 60):
            opcode, code, _ = p.decode_command(bytes([first]) + tail)
            assert opcode == first and 0 <= code < len(p.RESPONSE_NAMES)


def test_the_host_encoder_raises_with_the_command_name():
    assert "set_time" in raises(codec.encode_command, p.SET_TIME, 5, 0)
    assert "report_pain" in raises(codec.encode_command, p.REPORT_PAIN, 257)  # would wrap to 1 in MicroPython's struct
    assert "unix_s" in raises(codec.encode_command, p.SET_TIME, 1 << 32, 0)
    raises(codec.encode_command, p.REPORT_PAIN)
    raises(codec.encode_command, p.REPORT_PAIN, 1, 2)
    raises(codec.encode_command, p.REPORT_PAIN, "1")
    assert "client_nonce" in raises(codec.encode_command, p.AUTH_PROOF, b"a" * 15, b"b" * 16)
    assert "0x0c" in raises(codec.encode_command, 0x0C)
    assert "magic" in raises(codec.encode_command, p.FACTORY_RESET, 0)


def test_the_host_encoder_checks_schedules():
    raises(codec.encode_command, p.SET_SCHEDULE, "brisk")
    raises(codec.encode_command, p.SET_SCHEDULE, "gentle", {"start_s": 1})
    assert "cap_s" in raises(codec.encode_command, p.SET_SCHEDULE, "custom", {"start_s": 1, "step_s": 1})
    assert "speed" in raises(codec.encode_command, p.SET_SCHEDULE, "custom", dict(CUSTOM, speed=1))
    assert "start_s" in raises(codec.encode_command, p.SET_SCHEDULE, "custom", dict(CUSTOM, start_s=0))
    raises(codec.encode_command, p.SET_SCHEDULE, "custom", dict(CUSTOM, rest=(300,)))
    raises(codec.encode_command, p.SET_SCHEDULE, "custom", dict(CUSTOM, rest=tuple(range(1, 34))))


def test_responses_round_trip():
    nonce = bytes(range(NONCE_LEN))
    proof = bytes(range(MAC_LEN))
    assert p.encode_response(p.SET_TIME, p.OK) == b"\x81\x00"
    assert codec.decode_response(p.encode_response(p.AUTH_START, p.OK, nonce)) == (p.AUTH_START, p.OK, nonce, b"")
    assert codec.decode_response(p.encode_response(p.AUTH_PROOF, p.OK, proof)) == (p.AUTH_PROOF, p.OK, proof, b"")
    assert p.encode_response(p.REQUEST_RECORDS, p.OK, 5) == b"\x86\x00\x05\x00\x00\x00"
    assert codec.decode_response(b"\x86\x00\x05\x00\x00\x00") == (p.REQUEST_RECORDS, p.OK, 5, b"")
    tagged = b"\x86\x00\x05\x00\x00\x00" + bytes(range(8))
    assert codec.decode_response(tagged) == (p.REQUEST_RECORDS, p.OK, 5, bytes(range(8)))
    for code in range(1, len(p.RESPONSE_NAMES)):
        data = p.encode_response(p.AUTH_START, code, nonce)
        assert data == bytes([0x88, code])  # no payload unless OK
        assert codec.decode_response(data) == (p.AUTH_START, code, None, b"")
    assert p.RESPONSE_NAMES[p.INTERNAL_ERROR] == "INTERNAL_ERROR"


def test_malformed_responses_raise():
    for data in (b"", b"\x81", b"\x01\x00", b"\x81\x0a", b"\x81\x00\x00", b"\x88\x00" + b"\x00" * 15,
                 b"\x86\x00\x01", b"\x83\x03\x00"):
        raises(codec.decode_response, data)


def test_every_value_the_device_sends_fits_the_smallest_mtu_but_a_record_unit():
    """MTU 23 carries 20 bytes: Status, an alert, RSC and every answer fit; a record
    unit (record + tag) is cut into notifications that a host joins again."""
    from insole.auth import TAG_LEN
    assert len(p.encode_status(1, None, 2, 3, 4, 5, 6, 7)) <= 20
    assert len(p.encode_alert((1, 1, 1, 1, 1))) <= 20 and len(p.encode_rsc(100)) <= 20
    for opcode, fmt in p.RESPONSE_FORMATS.items():
        value = 5 if fmt == "<I" else b"x" * struct.calcsize(fmt)
        tag = TAG_LEN if opcode == p.REQUEST_RECORDS else 0  # AUTH_START, AUTH_PROOF: before the session
        assert len(p.encode_response(opcode, p.OK, value)) + tag <= 20, opcode
    unit = bytes(range(p.UNIT_SIZE))
    for payload_max in (20, 24, 182, 244):
        chunks = p.record_chunks(unit, payload_max)
        assert all(0 < len(c) <= payload_max for c in chunks) and b"".join(chunks) == unit
    assert len(p.record_chunks(unit, 20)) == 4 and len(p.record_chunks(unit, 244)) == 1


def test_the_status_of_a_board_past_the_fields_bound_says_the_most_it_holds(tmp_path):
    """Device.samples_lost reaches 2**30 - 1; the Status's 3 bytes say 16777215 ("or more")."""
    from sim.insole import build
    dev, store, service = build(str(tmp_path / "store"))
    dev.skip(5)
    assert codec.decode_status(service.status_bytes())["samples_lost"] == 5
    dev.samples_lost = (1 << 30) - 1
    assert codec.decode_status(service.status_bytes())["samples_lost"] == 0xFFFFFF

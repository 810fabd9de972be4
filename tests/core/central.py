"""The central's side of the link for the core tests (CPython and MicroPython):
commands written from the layouts protocol.py shares, answers split by
hand, and a session that seals commands and checks the insole's tags with
auth.py's functions (the host's own code is checked in tests/host)."""
import struct

from insole import auth, protocol as p


def command(opcode, *args):
    """A command's write, packed by its shared layout (SET_SCHEDULE: a preset name only)."""
    if opcode == p.SET_SCHEDULE:
        return bytes((opcode, p.PRESETS.index(args[0])))
    return bytes((opcode,)) + struct.pack(p.COMMANDS[opcode][1][0], *args)


def custom_write(start_s, step_s, cap_s, rest_every=0, rest=b""):
    return b"\x02" + struct.pack("<BIIIB", 2, start_s, step_s, cap_s, rest_every) + bytes(rest)


def response(data):
    """(opcode, code, value, tag) of an answer: value the OK payload's, tag what follows it."""
    opcode, code = data[0] & 0x7F, data[1]
    fmt = p.RESPONSE_FORMATS.get(opcode) if code == p.OK else None
    size = struct.calcsize(fmt) if fmt else 0
    value = struct.unpack(fmt, data[2:2 + size])[0] if fmt else None
    return opcode, code, value, bytes(data[2 + size:])


class Central:
    """A logged-in central's session: seal(write) and check(answer)."""

    def __init__(self, key, device_nonce, client_nonce, device_id):
        self.key = auth.session_key(key, device_nonce, client_nonce, device_id)
        self.counter = 0

    def seal(self, body):
        self.counter += 1
        return body + struct.pack("<I", self.counter) + auth.tag(self.key, auth.COMMAND_LABEL, self.counter, body)

    def check(self, answer, counter=None):
        """(opcode, code, value) of an answer whose tag must verify."""
        counter = self.counter if counter is None else counter
        opcode, code, value, tag = response(answer)
        body = answer[:len(answer) - auth.TAG_LEN]
        assert tag == auth.tag(self.key, auth.RESPONSE_LABEL, counter, body), "the answer's tag"
        return opcode, code, value

    def record(self, unit, counter):
        """The record of a stream unit whose tag must verify."""
        data, tag = unit[:-auth.TAG_LEN], unit[-auth.TAG_LEN:]
        assert tag == auth.tag(self.key, auth.RECORD_LABEL, counter, data), "the record's tag"
        return data

"""Seeded fuzz of the control point: mutated and random writes from a tiny PRNG,
the same on CPython and MicroPython. Every write gets a well-formed answer to
its opcode, nothing raises, nothing changes without a session, and the record
store loses nothing. tests/test_fuzz_control_point.py runs many more."""
from test_commands import STATE_CHANGING, answer, authenticate, setup

from insole import protocol as p
from insole import record

AUTH_WRITES = (p.encode_command(p.AUTH_START), p.encode_command(p.AUTH_PROOF, b"\x07" * 16, b"\x09" * 32),
               p.encode_command(p.AUTH_END))
SEEDS = tuple(data for data, _ in STATE_CHANGING) + AUTH_WRITES
SAFE_SEEDS = tuple(data for data in SEEDS if data[0] != p.FACTORY_RESET)  # for an authenticated run
MUTATIONS = 7
OPCODES = dict((command[0], opcode) for opcode, command in p.COMMANDS.items())


class Lcg:
    """A tiny deterministic PRNG."""

    def __init__(self, seed):
        self.state = seed

    def below(self, n):
        self.state = (self.state * 1103515245 + 12345) & 0x7FFFFFFF
        return (self.state >> 8) % n


def mutate(data, kind, where, value):
    """One mutation of a write: 0 flip a bit, 1 set a byte, 2 truncate, 3 append
    bytes, 4 change the opcode, 5 insert a byte, 6 drop a byte (past the opcode
    when there is a payload: kind 4 is the one for opcodes)."""
    i = 1 + where % (len(data) - 1) if len(data) > 1 else 0
    if kind == 0 and data:
        return data[:i] + bytes([data[i] ^ 1 << (value & 7)]) + data[i + 1:]
    if kind == 1 and data:
        return data[:i] + bytes([value]) + data[i + 1:]
    if kind == 2:
        return data[:i]
    if kind == 3:
        return data + bytes([value]) * (1 + where % 8)
    if kind == 4:
        return bytes([value % (p.FACTORY_RESET + 3)]) + data[1:]
    if kind == 5:
        return data[:i] + bytes([value]) + data[i:]
    return data[:i] + data[i + 1:]


def random_write(rng, seeds):
    """Random bytes one time in eight, else a valid write mutated one to three times."""
    if rng.below(8) == 0:
        return bytes([rng.below(256) for _ in range(rng.below(64))])
    data = seeds[rng.below(len(seeds))]
    for _ in range(1 + rng.below(3)):
        data = mutate(data, rng.below(MUTATIONS), rng.below(256), rng.below(256))
    return data


def valid_call(call):
    """A device call with values the protocol allows (never a factory reset here)."""
    name, args = call[0], call[1:]
    if name == "factory_reset":
        return False
    if name == "set_schedule":
        args = (args[0], args[1] or None)
    try:
        p.encode_command(OPCODES[name], *args)
    except p.ProtocolError:
        return False
    return True


class Fuzzed:
    """One connection under fuzz: the handler, its fake device and session, and the
    host's copy of the records. `authenticated`: a session is kept up throughout."""

    def __init__(self, authenticated):
        self.handler, self.device, self.session, self.clock = setup(days=3)
        self.authenticated = authenticated
        self.stored = list(self.device.records)
        self.pulled = []
        self.writes = 0

    def write(self, data, link_secure):
        """Send one write and check its answer."""
        if self.authenticated and not self.session.authenticated(self.clock()):
            authenticate(self.handler)
        response = self.handler.handle(data, link_secure)
        _, code, _ = p.decode_response(response)
        assert response[0] == 0x80 | (data[0] if data else 0), (data, response)
        assert code != p.INTERNAL_ERROR, data
        if not self.authenticated:
            assert not self.session.authenticated(self.clock()), data
        self.writes += 1

    def close_day(self):
        seq = len(self.stored) + 1
        data = record.encode(record.DaySummary().close(seq, 9000 + seq, 60 * seq))
        self.device.records.append(data)
        self.stored.append(data)

    def pull(self):
        """The host's resumable pull: everything after the newest record it holds."""
        if not self.session.authenticated(self.clock()):
            authenticate(self.handler)
        after = record.decode(self.pulled[-1])["seq"] if self.pulled else 0
        before = len(self.device.sent)
        _, code, count = answer(self.handler, p.encode_command(p.REQUEST_RECORDS, after))
        assert code == p.OK and len(self.device.sent) - before == count
        self.pulled.extend(self.device.sent[before:])

    def finish(self):
        """The end-of-run checks."""
        if not self.authenticated:
            assert self.device.calls == [] and self.device.sent == [] and self.device.records == self.stored
            return
        self.pull()
        assert self.device.records == self.stored
        assert [record.decode(r)["seq"] for r in self.pulled] == list(range(1, len(self.stored) + 1))
        for call in self.device.calls:
            assert valid_call(call), call


def run_seeded(seed, writes, authenticated):
    """`writes` seeded writes on one connection, a day closed and pulled every 40; returns the count."""
    rng = Lcg(seed)
    fuzzed = Fuzzed(authenticated)
    for i in range(writes):
        fuzzed.clock.now += rng.below(4)
        fuzzed.write(random_write(rng, SAFE_SEEDS if authenticated else SEEDS), rng.below(8) != 0)
        if authenticated and i % 40 == 39:
            fuzzed.close_day()
            fuzzed.pull()
    fuzzed.finish()
    return fuzzed.writes


def test_mutations_change_writes():
    data = b"\x03\x04"
    for kind in range(MUTATIONS):
        assert mutate(data, kind, 1, 0x55) != data, kind
    assert mutate(b"", 0, 3, 3) == b"" and mutate(b"", 3, 1, 7) == b"\x07\x07"


def test_valid_call_knows_the_valid_commands():
    for _, call in STATE_CHANGING[:-1]:
        assert valid_call(call), call
    assert not valid_call(("factory_reset",))
    assert not valid_call(("report_pain", 11))


def test_500_seeded_writes_without_a_session():
    assert run_seeded(1, 500, False) == 500


def test_500_seeded_writes_in_a_session():
    assert run_seeded(2, 500, True) == 500

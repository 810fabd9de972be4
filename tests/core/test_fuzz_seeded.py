"""Seeded fuzz of the control point on the real InsoleService, Device and Store:
mutated and random writes from a tiny PRNG, the same on CPython and
MicroPython, with and without a session. Every write gets a well-formed
answer to its opcode and nothing raises; without a session nothing changes;
in one the fuzzer seals mutated bodies (so they reach the parser) and also
sends mutated, replayed and foreign sealed writes. Oracles: no device nonce
is ever issued twice, no write is ever taken twice (a replay), the counters
taken only rise, every answer and record in a session carries a good tag,
and the record store loses nothing. tests/test_fuzz_control_point.py runs
many more."""
from central import Central, command, response
from fsfaults import new_dir, remove_tree
from support import config
from test_auth import DEVICE_ID, KEY, lcg_bytes
from test_commands import STATE_CHANGING

from insole import auth, protocol as p
from insole import record
from array import array

from insole.clock import DAY_S, EPOCH_2000
from insole.device import DUE_ROLLOVER
from sim.insole import build, stored_days

AUTH_WRITES = (command(p.AUTH_START), command(p.AUTH_PROOF, b"\x07" * 16, b"\x09" * 16), command(p.AUTH_END))
SEEDS = tuple(data for data, _ in STATE_CHANGING) + AUTH_WRITES
SAFE_SEEDS = tuple(data for data in SEEDS if data[0] != p.FACTORY_RESET)  # for a run in a session
MUTATIONS = 7
DAYS = 3


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


class Millis:
    def __init__(self):
        self.ms = 5000

    def __call__(self):
        return self.ms


class Fuzzed:
    """One connection to a real insole under fuzz. `authenticated`: a session is
    kept up throughout (logged in again whenever a write ended it)."""

    def __init__(self, authenticated, seed=1):
        self.path = new_dir("fuzz")
        self.clock = Millis()
        stored_days(self.path, DAYS)
        self.device, self.store, self.service = build(self.path, KEY, DEVICE_ID, 10, clock_ms=self.clock,
                                                      random_bytes=lcg_bytes(seed), cfg=config())
        self.service.on_connect()
        self.authenticated = authenticated
        self.central = None
        self.nonces = []     # every device nonce issued
        self.taken = []      # every sealed write the insole took, this run
        self.pulled = []     # the seqs of the records pulled, in order
        self.writes = 0
        self.before = self.snapshot()

    def snapshot(self):
        dev, store = self.device, self.store
        return (dev.schedule.to_ints(), dict(dev.plan), dev.clock.unset, dev.clock.day, dev.alerts.count,
                dev.alerts.snoozed_until, dev.alerts.acked, dev.pipeline.primed, store.open_seq,
                [r["seq"] for r in store.records_after(0)], store.load_meta())

    def now_s(self):
        return self.clock() // 1000

    def answer(self, data, link_secure=True):
        """The insole's answer to one write, checked: well formed, to its opcode, no
        INTERNAL_ERROR, a fresh nonce, no write taken twice, and in a session a good tag."""
        in_session = self.service.authenticated()
        answer = self.service.control_write(data, link_secure)
        opcode, code, value, tag = response(answer)
        assert answer[0] == 0x80 | (data[0] if data else 0), (data, answer)
        assert code != p.INTERNAL_ERROR, data
        if in_session and code not in (p.BAD_TAG, p.BAD_COUNTER):
            assert data not in self.taken, "a replayed write was taken: %r" % data
            self.taken.append(data)
            assert self.central.check(answer, self.central.counter)[1] == code
        else:
            assert tag == b"", (data, answer)
        if opcode == p.AUTH_START and code == p.OK:
            assert value not in self.nonces, "a device nonce was issued twice"
            self.nonces.append(value)
        if p.starts_stream(answer):
            self.drain(self.central.counter)
        self.writes += 1
        return opcode, code, value

    def drain(self, counter):
        """The record stream that an OK REQUEST_RECORDS started, at MTU 23, each tag checked."""
        stream = b"".join(self.service.pending_records(lambda: True, p.PAYLOAD_MIN))
        assert len(stream) % p.UNIT_SIZE == 0
        return [record.decode(self.central.record(stream[i:i + p.UNIT_SIZE], counter))["seq"]
                for i in range(0, len(stream), p.UNIT_SIZE)]

    def log_in(self):
        _, code, nonce = self.answer(command(p.AUTH_START))
        cn = bytes((len(self.nonces),)) * 16
        self.central = Central(KEY, nonce, cn, DEVICE_ID)
        assert self.answer(command(p.AUTH_PROOF, cn, auth.client_proof(KEY, nonce, cn, DEVICE_ID)))[1] == p.OK

    def write(self, data, link_secure, rng):
        """One fuzzed write: raw, or in a session sealed by the host (the body fuzzed),
        a taken write replayed, or a sealed write mutated."""
        if self.authenticated and not self.service.authenticated():
            self.log_in()
        if self.service.authenticated():
            way = rng.below(4)
            if way < 2:
                data = self.central.seal(data)
            elif way == 2 and self.taken:
                data = self.taken[rng.below(len(self.taken))]
            else:
                data = mutate(self.central.seal(data), rng.below(MUTATIONS), rng.below(256), rng.below(256))
        self.answer(data, link_secure)
        if not self.authenticated:
            assert not self.service.authenticated(), data

    def close_day(self):
        """The day ends: its last second, then the rollover (the clock set to it, as a time sync would)."""
        dev = self.device
        clock = dev.clock
        dev.set_time(EPOCH_2000 + (clock.day + 1) * DAY_S - 1 - clock.utc_offset_min * 60, clock.utc_offset_min)
        idle = array("H", [64] * dev.pipeline.channels)
        while not dev.due & DUE_ROLLOVER:
            dev.sample(idle)
        dev.service(self.store)

    def pull(self):
        """The host's resumable pull: everything after the newest record it holds."""
        if not self.service.authenticated():
            self.log_in()
        after = self.pulled[-1] if self.pulled else 0
        body = command(p.REQUEST_RECORDS, after)
        data = self.central.seal(body)
        answer = self.service.control_write(data, True)
        _, code, count = self.central.check(answer)
        assert code == p.OK, code
        self.taken.append(data)
        got = self.drain(self.central.counter)
        assert len(got) == count
        self.pulled.extend(got)

    def finish(self):
        """The end-of-run checks, then the store's folder goes."""
        try:
            if not self.authenticated:
                assert self.snapshot() == self.before
            else:
                self.pull()
                assert self.pulled == list(range(1, self.store.open_seq))
        finally:
            remove_tree(self.path)


def run_seeded(seed, writes, authenticated):
    """`writes` seeded writes on one connection, a day closed and pulled every 40; returns the count."""
    rng = Lcg(seed)
    fuzzed = Fuzzed(authenticated, seed)
    try:
        for i in range(writes):
            fuzzed.clock.ms += 1000 * rng.below(4)
            fuzzed.write(random_write(rng, SAFE_SEEDS if authenticated else SEEDS), rng.below(8) != 0, rng)
            if authenticated and i % 40 == 39:
                fuzzed.close_day()
                fuzzed.pull()
    finally:
        fuzzed.finish()
    return fuzzed.writes


def test_mutations_change_writes():
    data = b"\x03\x04"
    for kind in range(MUTATIONS):
        assert mutate(data, kind, 1, 0x55) != data, kind
    assert mutate(b"", 0, 3, 3) == b"" and mutate(b"", 3, 1, 7) == b"\x07\x07"


def test_the_oracles_catch_a_reused_nonce_and_a_taken_replay():
    fuzzed = Fuzzed(True)
    try:
        session = fuzzed.service.session
        fuzzed.nonces.append(b"\x00" * 16)
        session.random_bytes = lambda n: b"\x00" * n  # a device that gives the same nonce again
        try:
            fuzzed.log_in()
        except AssertionError as e:
            assert "nonce" in str(e)
        else:
            raise AssertionError("a reused nonce went unnoticed")
        session.end()
        session.random_bytes = lcg_bytes(9)
        fuzzed.log_in()
        data = fuzzed.central.seal(command(p.SNOOZE))
        fuzzed.answer(data)
        session.counter -= 1  # a device that forgot it took the write
        try:
            fuzzed.answer(data)
        except AssertionError as e:
            assert "replayed" in str(e)
        else:
            raise AssertionError("a taken replay went unnoticed")
    finally:
        remove_tree(fuzzed.path)


def test_400_seeded_writes_without_a_session():
    assert run_seeded(1, 400, False) == 400


def test_400_seeded_writes_in_a_session():
    assert run_seeded(2, 400, True) >= 400

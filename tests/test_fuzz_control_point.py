"""Fuzz of the control point under CPython, on the real InsoleService, Device and
Store: hypothesis-made write sequences and 8 000 seeded mutations of valid
writes, with and without a session. Every write gets a well-formed answer to
its opcode, nothing raises, nothing changes without a session, no nonce is
issued twice, no write is taken twice, and the record store loses nothing
(checks: tests/core/test_fuzz_seeded.py)."""
from hypothesis import given, settings
from hypothesis import strategies as st
from test_fuzz_seeded import MUTATIONS, SAFE_SEEDS, SEEDS, Fuzzed, Lcg, mutate, run_seeded

EXAMPLES = 150


def mutated(seeds):
    """A valid write with up to four mutations."""
    steps = st.lists(st.tuples(st.integers(0, MUTATIONS - 1), st.integers(0, 255), st.integers(0, 255)), max_size=4)

    def apply(data, changes):
        for change in changes:
            data = mutate(data, *change)
        return data
    return st.builds(apply, st.sampled_from(seeds), steps)


def sessions(seeds):
    """Lists of (write, link_secure): random bytes or mutated valid writes."""
    write = st.one_of(st.binary(max_size=80), mutated(seeds), mutated(seeds))
    return st.lists(st.tuples(write, st.booleans()), min_size=1, max_size=50)


@settings(max_examples=EXAMPLES, deadline=None)
@given(sessions(SEEDS))
def test_random_writes_without_a_session_change_nothing(writes):
    fuzzed = Fuzzed(authenticated=False)
    try:
        for data, link_secure in writes:
            fuzzed.write(data, link_secure, Lcg(len(data)))
    finally:
        fuzzed.finish()


@settings(max_examples=EXAMPLES, deadline=None)
@given(sessions(SAFE_SEEDS), st.integers(0, 5), st.integers(1, 1 << 30))
def test_random_writes_in_a_session_take_nothing_twice_and_lose_no_record(writes, step_s, seed):
    fuzzed = Fuzzed(authenticated=True)
    rng = Lcg(seed)
    try:
        for i, (data, link_secure) in enumerate(writes):
            fuzzed.clock.ms += 1000 * step_s
            fuzzed.write(data, link_secure, rng)
            if i % 10 == 9:
                fuzzed.close_day()
                fuzzed.pull()
    finally:
        fuzzed.finish()


def test_eight_thousand_seeded_writes():
    total = sum(run_seeded(seed, 1000, authenticated) for seed in (11, 12, 13, 14) for authenticated in (False, True))
    assert total >= 8000

"""Fuzz of the control point under CPython: hypothesis-made write sequences and
20 000 seeded mutations of valid writes, with and without a session. Every
write gets a well-formed answer to its opcode, nothing raises, nothing changes
without a session, and the record store loses nothing (checks: tests/core/test_fuzz_seeded.py)."""
from hypothesis import given, settings
from hypothesis import strategies as st
from test_fuzz_seeded import MUTATIONS, SAFE_SEEDS, SEEDS, Fuzzed, mutate, run_seeded

EXAMPLES = 300


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
    for data, link_secure in writes:
        fuzzed.write(data, link_secure)
    fuzzed.finish()


@settings(max_examples=EXAMPLES, deadline=None)
@given(sessions(SAFE_SEEDS), st.integers(0, 5))
def test_random_writes_in_a_session_pass_only_valid_values_and_lose_no_record(writes, step_s):
    fuzzed = Fuzzed(authenticated=True)
    for i, (data, link_secure) in enumerate(writes):
        fuzzed.clock.now += step_s
        fuzzed.write(data, link_secure)
        if i % 10 == 9:
            fuzzed.close_day()
            fuzzed.pull()
    fuzzed.finish()


def test_twenty_thousand_seeded_writes():
    total = sum(run_seeded(seed, 2500, authenticated) for seed in (11, 12, 13, 14) for authenticated in (False, True))
    assert total == 20000

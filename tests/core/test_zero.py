"""The zero: never a loaded reading; a walk that starts loaded measures its first steps like the rest."""
from array import array

from insole.gait import RING, TOE_OFF
from insole.pipeline import Pipeline
from sim.day import make_adc
from support import config

# one stance's forces (N) per channel: heel, lateral/medial rearfoot, midfoot, forefoot, toes
STANCE_N = (300.0, 90.0, 140.0, 40.0, 70.0, 110.0, 180.0, 60.0)


def step_forces(stance=60, swing=40):
    """One step: a half-sine of STANCE_N over the stance, then an unloaded swing."""
    rows = []
    for i in range(stance):
        k = 4 * i * (stance - 1 - i) / (stance - 1) ** 2
        rows.append([f * k for f in STANCE_N])
    return rows + [[0.0] * 8] * swing


def mli_per_step(rows):
    cfg = config()
    pipe = Pipeline(cfg)
    adc = make_adc(cfg)
    buf = array("H", [0] * 8)
    out = []
    for forces in rows:
        adc.read(forces, buf)
        if pipe.feed(buf) == TOE_OFF:
            out.append(pipe.pronation.mli[(pipe.pronation.steps - 1) % RING])
    return out, pipe


def test_a_walk_that_starts_loaded_measures_its_first_steps_like_the_rest():
    loaded = [list(STANCE_N)] * 150   # standing at boot, then walking
    mli, _ = mli_per_step(loaded + step_forces() * 20)
    mid = sorted(mli)[len(mli) // 2]
    assert len(mli) == 20
    assert all(abs(m - mid) <= 10 for m in mli[:4]), (mli[:4], mid)


def test_no_zero_is_taken_while_the_foot_stays_loaded():
    _, pipe = mli_per_step([list(STANCE_N)] * 500)
    assert not pipe.settled
    assert [z for z in pipe.calibration.zero_q4] == [0] * 8


def test_the_zero_settles_in_swing_at_the_unloaded_reading():
    _, pipe = mli_per_step([list(STANCE_N)] * 100 + step_forces() * 3)
    adc = make_adc(config())
    assert pipe.settled
    for ch in range(8):
        assert abs((pipe.calibration.zero_q4[ch] >> 4) - (adc.offsets[ch] << 4)) <= 3 << 4


def test_a_guided_zero_is_taken_at_the_next_sample():
    cfg = config()
    pipe = Pipeline(cfg)
    pipe.primed = False
    pipe.feed(array("H", [1000 + ch for ch in range(8)]))
    assert pipe.settled and [z >> 4 for z in pipe.calibration.zero_q4] == [1000 + ch for ch in range(8)]

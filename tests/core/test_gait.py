"""Gait events: adaptive hysteresis on synthetic and real force."""
from insole.gait import HEEL_STRIKE, RING, TOE_OFF, GaitDetector, cadence_x10, median

FS = 100


def steps(peak_dn, n_steps, stance=60, swing=40, floor=0):
    """A trapezoid per step: 5-sample ramps, flat top, then swing at `floor`."""
    out = [floor] * 100
    for _ in range(n_steps):
        for i in range(stance):
            ramp = min(i, stance - 1 - i, 5)
            out.append(floor + (peak_dn - floor) * ramp // 5)
        out += [floor] * swing
    return out


def events(det, xs):
    hs, to = [], []
    for i, x in enumerate(xs):
        e = det.update(x)
        if e == HEEL_STRIKE:
            hs.append(i)
        elif e == TOE_OFF:
            to.append(i)
    return hs, to


def test_counts_steps_and_stance_time():
    det = GaitDetector(FS)
    hs, to = events(det, steps(6000, 20))
    assert det.steps == 20 and len(hs) == 20 and len(to) == 20
    for i in range(det.steps):
        assert abs((det.toe[i] - det.heel[i]) - 56) <= 2  # 60-sample trapezoid, thresholds on the ramps


def test_thresholds_adapt_to_the_wearers_load():
    ref = None
    for peak in (1500, 6000, 30000):
        det = GaitDetector(FS)
        hs, _ = events(det, steps(peak, 15))
        assert det.steps == 15, (peak, det.steps)
        if ref is None:
            ref = hs
        assert hs[1:] == ref[1:]  # same timing whatever the body weight, once the envelope has a step


def test_a_floor_that_never_reaches_zero_still_steps():
    det = GaitDetector(FS)
    events(det, [900] * 1000 + steps(8000, 12, floor=900))
    assert det.steps == 12


def test_shelf_and_light_load_make_no_steps():
    det = GaitDetector(FS)
    events(det, [0] * 3000 + [600, 0] * 500 + [300] * 500)
    assert det.steps == 0


def test_standing_is_not_a_step_but_the_next_steps_count():
    det = GaitDetector(FS)
    xs = steps(6000, 5) + [5000] * 1000 + [0] * 50 + steps(6000, 5)[100:]
    events(det, xs)
    assert det.steps == 10


def test_strides_and_cadence():
    det = GaitDetector(FS)
    events(det, steps(6000, 20, stance=60, swing=50))
    assert det.strides == 19
    assert det.stride[0] == 110
    assert det.cadence_x10() == 1091  # 120 / 1.1 s = 109.09 steps/min, rounded


def test_median_is_allocation_free_insertion_sort():
    from array import array
    scratch = array("i", [0] * 8)
    assert median(array("i", [5, 1, 4, 2, 3]), 5, scratch) == 3
    assert median(array("i", [5, 1, 4, 2]), 4, scratch) == 2
    assert cadence_x10([], 0, FS, scratch) == 0


def test_ring_keeps_the_latest_steps():
    det = GaitDetector(FS)
    events(det, steps(6000, RING + 5))
    last = (det.steps - 1) % RING
    assert det.steps == RING + 5
    assert det.heel[last] > det.heel[(last - 1) % RING]


def test_bad_thresholds_rejected():
    try:
        GaitDetector(FS, onset_q10=100, confirm_q10=50)
    except ValueError:
        return
    raise AssertionError("off above on accepted")


def light_contact_steps(n_steps, touch_dn=350, touch=8, dip=0):
    """Steps that touch down at `touch_dn` for `touch` samples (a shuffling,
    Parkinsonian initial contact), optionally dip to 10 N for `dip` samples, then load."""
    out = [0] * 100
    onsets = []
    for _ in range(n_steps):
        onsets.append(len(out))
        out += [touch_dn] * touch + [100] * dip
        out += [6000] * 50
        out += [0] * 50
    return out, onsets


def test_heel_strike_at_force_onset_of_a_light_touch_down():
    det = GaitDetector(FS)
    xs, onsets = light_contact_steps(10)
    hs, _ = events(det, xs)
    assert det.steps == 10
    assert [det.heel[i] for i in range(10)] == onsets  # dated at the touch, not at the loading
    assert all(h > o for h, o in zip(hs, onsets))       # reported once the loading confirms it


def test_a_short_dip_after_the_touch_is_bridged_a_long_one_is_not():
    det = GaitDetector(FS)
    xs, onsets = light_contact_steps(6, dip=3)
    events(det, xs)
    assert [det.heel[i] for i in range(6)] == onsets
    det = GaitDetector(FS)
    xs, onsets = light_contact_steps(6, dip=10)
    events(det, xs)
    assert [det.heel[i] for i in range(6)] == [o + 8 + 10 for o in onsets]


def test_a_touch_that_never_loads_is_not_a_step():
    det = GaitDetector(FS)
    one = steps(6000, 1)[100:]
    events(det, [0] * 100 + (one + [350] * 30 + [0] * 60) * 10)
    assert det.steps == 10


def slow_release_steps(n_steps, fall=30):
    """A foot switch's steps: a steep load, a stance, then a fall over `fall`
    samples to a level that relaxes slowly back to the floor in swing."""
    out = [0] * 100
    ends = []
    for _ in range(n_steps):
        out += [6000] * 60
        out += [6000 - 5400 * i // fall for i in range(1, fall + 1)]
        ends.append(len(out) - 1)
        out += [600 - 600 * i // 60 for i in range(60)] + [0] * 20
    return out, ends


def test_toe_off_waits_for_the_unloading_to_end_when_asked():
    xs, ends = slow_release_steps(8)
    plain = GaitDetector(FS, offset_dn=100, offset_q10=300, confirm_q10=400)
    events(plain, xs)
    waits = GaitDetector(FS, offset_dn=100, offset_q10=300, confirm_q10=400, fall_q10=10)
    events(waits, xs)
    assert plain.steps == waits.steps == 8
    assert all(waits.toe[i] == ends[i] for i in range(8))       # the last sample of the steep fall
    assert all(plain.toe[i] < ends[i] - 5 for i in range(8))    # on the fall, at ~30 % of the range


def test_onset_is_measured_from_the_swings_own_floor():
    xs, _ = slow_release_steps(8)
    det = GaitDetector(FS, onset_q10=30, offset_q10=300, confirm_q10=400, fall_q10=10)
    events(det, xs)
    assert det.steps == 8
    assert all(det.heel[i + 1] - det.heel[i] == 60 + 30 + 80 for i in range(7))

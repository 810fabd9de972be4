"""Calibration: counts to force through the table, zero tracking, rails.

Every case runs on the plain class and, under MicroPython, on the viper one.
"""
import sys
from array import array

from insole import calibration
from insole.calibration import BREAKPOINTS, Calibration, divider_table, linear_table
from support import SkipTest, approx, walk_counts

IMPLEMENTATIONS = [Calibration] + ([calibration.fastest()] if calibration.fastest() is not Calibration else [])

F_HALF_DN = 4000
F_MAX_DN = 20000


def model_counts(force_dn, bits=12):
    """The divider the table inverts: V/Vcc = F/(F+F_half), as 16-bit counts."""
    top = (1 << bits) - 1
    c = int(top * force_dn / (force_dn + F_HALF_DN) + 0.5)
    return (c << (16 - bits)) | (c >> (2 * bits - 16))


def test_divider_table_rises_to_the_clamp():
    t = divider_table(F_HALF_DN, F_MAX_DN)
    assert len(t) == BREAKPOINTS
    assert t[0] == 0 and t[-1] == F_MAX_DN
    assert all(t[i] <= t[i + 1] for i in range(BREAKPOINTS - 1))
    assert t[32] == F_HALF_DN  # half scale is F_half by construction


def test_counts_back_to_force_within_the_table_error():
    for cls in IMPLEMENTATIONS:
        cal = cls([divider_table(F_HALF_DN, F_MAX_DN)], 100)
        force = array("i", [0])
        for f in (50, 200, 1000, 2500, 4000, 8000, 12000):
            cal.to_force(array("H", [model_counts(f)]), force)
            # piecewise-linear chords over a convex curve: within 2 % (+1 dN of quantisation)
            approx(force[0], f, f * 2 // 100 + 10)


def test_reading_below_zero_is_zero_and_pulls_the_zero_down():
    for cls in IMPLEMENTATIONS:
        cal = cls([linear_table(10000)], 100)
        cal.set_zero(array("H", [3000]))
        force = array("i", [0])
        total = cal.to_force(array("H", [2000]), force)
        assert force[0] == 0 and total == 0
        assert cal.zero_q4[0] == (2500 << 4)  # halfway down at once
        for _ in range(20):
            cal.to_force(array("H", [2000]), force)
        approx(cal.zero_q4[0] >> 4, 2000, 1)


def test_zero_follows_upward_drift_to_within_one_12_bit_step():
    for cls in IMPLEMENTATIONS:
        cal = cls([linear_table(10000)], 100)
        cal.set_zero(array("H", [1000]))
        counts = array("H", [1400])
        for _ in range(2000):
            cal.track_zero(counts)
        # the Q4 EMA with weight 1/256 stalls once it is within 256 Q4 units (16 counts)
        approx(cal.zero_q4[0] >> 4, 1400, 16)


def test_offset_is_subtracted_before_the_table():
    for cls in IMPLEMENTATIONS:
        cal = cls([linear_table(64000 // 2)], 100)
        cal.set_zero(array("H", [1024]))
        force = array("i", [0])
        cal.to_force(array("H", [1024 + 2048]), force)
        assert force[0] == 1000  # 2048 counts above zero on a 32000 dN / 65536 table


def test_top_rail_with_no_foot_on_the_others_is_stuck_and_reads_zero():
    for cls in IMPLEMENTATIONS:
        cal = cls([linear_table(20000), linear_table(20000)], 100, stuck_s=1)
        cal.set_zero(array("H", [0, 0]))
        force = array("i", [0, 0])
        counts = array("H", [65535, 100])  # channel 1 unloaded: nothing explains the rail but a short
        cal.to_force(counts, force)
        assert force[0] == 20000 and cal.clipped[0] == 1 and not cal.stuck(0)
        for _ in range(100):
            total = cal.to_force(counts, force)
        assert cal.stuck(0) and force[0] == 0 and total == force[1]
        cal.to_force(array("H", [65535, 32768]), force)  # a foot now: a confirmed short stays stuck
        assert cal.stuck(0) and force[0] == 0
        cal.to_force(array("H", [30000, 32768]), force)
        assert not cal.stuck(0) and not cal.on_rail(0) and force[0] > 0


def test_top_rail_under_a_loaded_foot_clips_and_keeps_its_clamped_force():
    for cls in IMPLEMENTATIONS:
        cal = cls([linear_table(20000), linear_table(20000), linear_table(20000)], 100, stuck_s=1)
        cal.set_zero(array("H", [0, 0, 0]))
        force = array("i", [0, 0, 0])
        counts = array("H", [65535, 65535, 32768])  # two channels pinned, the third carries 1000 N
        for _ in range(1000):
            total = cal.to_force(counts, force)
        assert not cal.stuck(0) and not cal.stuck(1) and cal.on_rail(0) and cal.on_rail(1)
        assert list(force) == [20000, 20000, 10000] and total == 50000
        counts[2] = 600  # the foot lifts off the third channel: under 20 N below the rail
        for _ in range(99):
            cal.to_force(counts, force)
        assert not cal.stuck(0)
        cal.to_force(counts, force)
        assert cal.stuck(0) and cal.stuck(1)
        cal.to_force(counts, force)
        assert force[0] == force[1] == 0


def test_peak_follows_the_largest_force():
    for cls in IMPLEMENTATIONS:
        cal = cls([linear_table(20000)], 100)
        force = array("i", [0])
        for c in (100, 9000, 4000):
            cal.to_force(array("H", [c]), force)
        assert cal.peak[0] == (20000 * 9000) >> 16


def test_bad_tables_are_rejected():
    for bad in ([0] * 10, [5] + [0] * 64, [40000] * 65):
        try:
            Calibration([bad], 100)
        except ValueError:
            continue
        raise AssertionError("accepted a bad table")


def test_from_config_models():
    cfg = {"sensors": [{}] * 3, "fsr": {"model": "divider", "f_half_n": 400, "f_max_n": 2000}}
    cal = calibration.from_config(cfg, 100)
    assert cal.channels == 3 and cal.lut[BREAKPOINTS - 1] == 20000
    cfg["fsr"] = {"model": "magic"}
    try:
        calibration.from_config(cfg, 100)
    except ValueError as e:
        assert "magic" in str(e)
    else:
        raise AssertionError("unknown model accepted")


def test_micropython_runs_the_viper_loop_and_the_others_the_plain_one():
    if sys.implementation.name == "micropython":
        assert calibration.fastest().__name__ == "ViperCalibration"
    else:
        assert calibration.fastest() is Calibration


def test_viper_loop_matches_the_plain_one_on_a_real_walk_with_faults():
    """Bit for bit: forces, totals, zeros, peaks and rail state after every sample."""
    if len(IMPLEMENTATIONS) < 2:
        raise SkipTest("no viper emitter in this runtime")
    rows, _ = walk_counts("GaPt03_01.txt", "R", limit=1500)
    plain, viper = [cls([divider_table(F_HALF_DN, F_MAX_DN)] * 8, 100, stuck_s=1) for cls in IMPLEMENTATIONS]
    forces = array("i", [0] * 8), array("i", [0] * 8)
    for cal in (plain, viper):
        cal.set_zero(rows[0])
    for i, row in enumerate(rows):
        counts = array("H", row)
        if i > 300:
            counts[2] = 65535             # channel 2 pinned high: clips, then stuck after 1 s
        if 600 < i < 650:
            counts[5] = 65500             # channel 5 touches the rail, then leaves it
        if i % 97 == 0:
            counts[7] = counts[7] // 2    # a dip below channel 7's zero
        totals = [cal.to_force(counts, f) for cal, f in zip((plain, viper), forces)]
        assert totals[0] == totals[1] and list(forces[0]) == list(forces[1]), i
        for name in ("zero_q4", "peak", "rail_run", "clipped"):
            assert list(getattr(plain, name)) == list(getattr(viper, name)), (i, name)
        assert plain.railing == viper.railing
    assert plain.stuck(2) and not plain.stuck(5) and plain.clipped[5]


def test_zeroing_rejects_a_sample_buffer_of_the_wrong_shape():
    for cls in IMPLEMENTATIONS:
        cal = cls([linear_table(10000)] * 2, 100)
        for bad in ([100, 200], array("H", [100]), array("i", [100, 200])):
            try:
                cal.set_zero(bad)
            except ValueError as e:
                assert "array('H') of 2 channels" in str(e)
            else:
                raise AssertionError("accepted %r" % (bad,))

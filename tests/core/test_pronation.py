"""Pronation indices: exact cases, and faithful to a float reference on real walks."""
from array import array

from insole.pipeline import Pipeline
from insole.pronation import PronationIndex, permille
from insole.sensormap import SensorMap
from support import config, walk_counts

SQUARE = SensorMap([
    {"x_mm": 0, "y_mm": -80, "side": "central"},
    {"x_mm": 20, "y_mm": 40, "side": "medial"},
    {"x_mm": -20, "y_mm": 40, "side": "lateral"},
    {"x_mm": 0, "y_mm": 80, "side": "central"},
])


def one_step(samples, smap=SQUARE):
    p = PronationIndex(smap)
    p.begin()
    for forces in samples:
        p.add(array("i", forces), sum(forces))
    p.end()
    return p.mli[0], p.cpei[0]


def test_all_medial_all_lateral_and_balanced():
    assert one_step([[0, 1000, 0, 0]] * 10) == (1000, 500)      # CoP 20 mm medial of a 40 mm wide map
    assert one_step([[0, 0, 1000, 0]] * 10) == (-1000, -500)
    assert one_step([[500, 700, 700, 300]] * 10) == (0, 0)


def test_cpei_uses_the_distal_part_of_the_path():
    heel_only = [[1000, 0, 0, 0]] * 10
    forefoot_medial = [[0, 600, 200, 200]] * 10
    mli, cpei = one_step(heel_only + forefoot_medial)
    assert mli == 500
    # heel samples weigh nothing (before the line's first third); the forefoot CoP is 8 mm medial
    assert cpei == 200


def test_permille_rounds_and_stays_in_range():
    assert permille(1, 3) == 333 and permille(2, 3) == 667 and permille(-2, 3) == -667
    assert permille(0, 0) == 0
    big = (1 << 29) - 1
    assert permille(big, big) == 1000 and permille(-big, big) == -1000


def float_indices(forces, smap):
    """Reference MLI and CPEI of one stance from float forces (list of per-sample lists):
    the distance from the heel-toe line weighted by the ramp along it times the load."""
    med = lat = 0.0
    hx, hy = smap.heel
    tx, ty = smap.toe
    lx, ly = tx - hx, ty - hy
    length = (lx * lx + ly * ly) ** 0.5
    wd = w_sum = fd = f_sum = 0.0
    for f in forces:
        total = sum(f)
        for ch, v in enumerate(f):
            if smap.side[ch] > 0:
                med += v
            elif smap.side[ch] < 0:
                lat += v
        if total < 200:
            continue
        px = sum(smap.x[c] * f[c] for c in range(len(f))) / total - hx
        py = sum(smap.y[c] * f[c] for c in range(len(f))) / total - hy
        d = (px * ly - py * lx) / length
        w = min(max((px * lx + py * ly) / length - length / 3, 0.0), length / 3) * total
        wd += w * d
        w_sum += w
        fd += total * d
        f_sum += total
    mean_d = wd / w_sum if w_sum else fd / f_sum
    return 1000 * (med - lat) / (med + lat), 1000 * mean_d / smap.width_mm


def float_force(count, zero_q4, table):
    """Float calibration: the same breakpoints, interpolated without rounding."""
    c = count - zero_q4 / 16
    if c <= 0:
        return 0.0
    seg = c / 512 if len(table) == 129 else c / 1024
    i = int(seg)
    return table[i] + (table[i + 1] - table[i]) * (seg - i)


def test_fixed_point_matches_float_reference_on_real_walks():
    """Same counts and zeros through float arithmetic: per-step indices within 5 per-mille."""
    from insole.calibration import BREAKPOINTS
    for name, foot in (("GaCo01_01.txt", "L"), ("GaPt03_01.txt", "R"), ("SiCo10_01.txt", "R")):
        counts, adc = walk_counts(name, foot, limit=3000)
        pipe = Pipeline(config())
        pron = pipe.pronation
        cal = pipe.calibration
        tables = [list(cal.lut[ch * BREAKPOINTS:(ch + 1) * BREAKPOINTS]) for ch in range(8)]
        stance = []
        steps = []
        add, end = pron.add, pron.end

        def record_add(force, total):
            c = counts[index[0]]
            stance.append([float_force(c[ch], cal.zero_q4[ch], tables[ch]) for ch in range(8)])
            add(force, total)

        def record_end():
            steps.append(list(stance))
            del stance[:]
            return end()

        pron.add = record_add
        pron.end = record_end
        index = [0]
        for i, c in enumerate(counts):
            index[0] = i
            pipe.feed(c)
        assert len(steps) >= 20
        worst_mli = worst_cpei = 0.0
        for k, forces in enumerate(steps):
            mli, cpei = float_indices(forces, pipe.map)
            worst_mli = max(worst_mli, abs(pron.mli[k % len(pron.mli)] - mli))
            worst_cpei = max(worst_cpei, abs(pron.cpei[k % len(pron.cpei)] - cpei))
        assert worst_mli <= 5 and worst_cpei <= 5, (name, foot, worst_mli, worst_cpei)


def test_indices_hold_against_the_physical_model():
    """Table and zero tracking against the exact divider model: medians within 10 per-mille."""
    for name, foot in (("GaCo01_01.txt", "L"), ("SiCo10_01.txt", "R")):
        counts, adc = walk_counts(name, foot, limit=3000)
        pipe = Pipeline(config())
        pron = pipe.pronation
        stance, steps = [], []
        add, end = pron.add, pron.end
        pron.add = lambda force, total: (stance.append([10 * adc.force_of(counts[index[0]][ch], ch)
                                                        for ch in range(8)]), add(force, total))
        pron.end = lambda: (steps.append(list(stance)), stance.clear(), end())[2]
        index = [0]
        for i, c in enumerate(counts):
            index[0] = i
            pipe.feed(c)
        ref = sorted(float_indices(f, pipe.map)[0] for f in steps)
        got = sorted(pron.mli[k] for k in range(min(len(steps), len(pron.mli))))
        assert abs(ref[len(ref) // 2] - got[len(got) // 2]) <= 10


def mirrored(samples):
    """The same stance with medial and lateral swapped (channels 1 and 2 of SQUARE)."""
    return [[f[0], f[2], f[1], f[3]] for f in samples]


def test_a_mirrored_stance_flips_both_indices_exactly():
    stance = [[900, 130, 70, 10], [300, 410, 260, 150], [40, 333, 212, 700], [0, 251, 103, 917]] * 5
    mli, cpei = one_step(stance)
    assert (mli, cpei) != (0, 0)
    assert one_step(mirrored(stance)) == (-mli, -cpei)


def test_distance_and_position_round_to_nearest():
    # CoP 20 * 2/3 = 13.33 mm medial: 53.33 quarter mm; floor would give 53, nearest 53, and
    # 20 * 5/6 = 16.67 mm: 66.67 quarter mm; floor 66, nearest 67 (335 vs 333 per mille of 40 mm)
    assert one_step([[0, 500, 100, 0]] * 10)[1] == 333
    assert one_step([[0, 500, 0, 100]] * 10)[1] == round(1000 * (20 * 5 / 6) / 40)


def test_near_unloaded_samples_cannot_swing_a_step():
    loaded = [[200, 3000, 3000, 2000]] * 20          # balanced, on the forefoot
    toe_off_noise = [[0, 0, 250, 0]] * 6              # 25 N, all lateral, at toe off
    base = one_step(loaded)[1]
    assert base == 0
    assert abs(one_step(loaded + toe_off_noise)[1] - base) <= 5

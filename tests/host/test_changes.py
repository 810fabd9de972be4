"""insole_host.changes and .simulate: the detector on known series, and its rates on simulated histories.

The rates are pinned on fixed seeds; the issue's thresholds are asserted beside them.
`insole simulate` prints the larger table (README.md).
"""
import math
import random
from statistics import mean, pstdev

import pytest

from insole_host import analysis, changes, simulate
from insole_host.changes import OVER_CORRECTION
from insole_host.firmware import record


def test_a_change_needs_a_baseline_and_two_of_the_last_three_days():
    assert changes.first_change([0, 0, 0, -100, -100], OVER_CORRECTION) is None  # 5 days: not judged
    change = changes.first_change([0, 0, 0, -100, -100, -100], OVER_CORRECTION)
    assert change == changes.Change(start=3, detected=5, baseline_days=3, before=0, threshold=50)
    assert changes.first_change([0, 0, 0, 0, 0, -900, 0, 0, -900, 0, 0], OVER_CORRECTION) is None
    assert changes.first_change([0] * 8 + [-60, 0, -60], OVER_CORRECTION).detected == 10
    assert changes.first_change([0] * 8 + [-49] * 5, OVER_CORRECTION) is None  # under the minimum effect
    assert changes.first_change([0] * 8 + [+200] * 5, OVER_CORRECTION) is None  # the other way


def test_a_noisier_baseline_raises_the_threshold():
    noisy = [0, 40, -40, 30, -30, 40, -40, 30, -30, 0, 35, -35]  # the first 11: MAD 30, spread 44.5 per mille
    assert changes.first_change(noisy + [-100] * 4, OVER_CORRECTION) is None
    change = changes.first_change(noisy + [-150] * 3, OVER_CORRECTION)
    assert change.detected == 13 and change.threshold == pytest.approx(2.5 * 1.4826 * 30)


def test_the_start_is_the_run_of_days_beyond_half_the_threshold():
    values = [0] * 20 + [-30, -60, -40, -70]  # baseline capped at 14 days; -30 is beyond 25
    change = changes.first_change(values, OVER_CORRECTION)
    assert (change.start, change.detected, change.baseline_days) == (20, 23, 14)


def test_peak_share_cancels_the_load():
    peaks = [4000, 900, 1300, 600, 300, 1500, 1800, 700]
    assert changes.peak_share(peaks, 0) == pytest.approx(changes.peak_share([p // 2 for p in peaks], 0), abs=1e-3)
    assert changes.peak_share(peaks, 0) - changes.peak_share([2800] + peaks[1:], 0) == pytest.approx(
        -math.log(0.7))
    assert changes.peak_share([0] * 8, 3) == pytest.approx(-math.log(7))


def test_simulated_records_are_valid_records_with_the_stated_noise():
    records = simulate.history(5, 365, simulate.Foot(level=-120), simulate.Foot(level=80))
    for r in records:
        record.decode(record.encode({k: v for k, v in r.items() if k not in ("device_id", "version")}))
    worn = [r for r in analysis.worn_days(records) if r["device_id"] == simulate.FEET[0].id]
    typical = [r["mli_median"] for r in worn if abs(r["mli_median"] + 120) < 100]
    assert mean(typical) == pytest.approx(-120, abs=3) and pstdev(typical) == pytest.approx(15, rel=0.1)
    heel = [r["peaks_dn"][0] / 4000 for r in worn if abs(r["mli_median"] + 120) < 100]
    assert pstdev(heel) == pytest.approx(0.03, rel=0.15)
    assert 14 <= len(worn) - len(typical) <= 40  # one-day outliers, about one a fortnight
    assert 0.9 < len(worn) / 365 < 0.98  # 5 % of days not worn


def test_the_report_of_each_day_shows_the_episode_from_its_detection_day_on():
    rng = random.Random(3)
    records = simulate.history(3, 40, simulate.Foot(level=10, shift=-80, shift_day=15), simulate.Foot(-50))
    full = analysis.analyse(list(simulate.FEET), records)["episodes"]
    (ep,) = full
    detected = next(r["seq"] for r in records if analysis.day_label(r) == ep["detected"])
    for day in rng.sample(range(1, 41), 12) + [detected - 1, detected]:
        shown = analysis.analyse(list(simulate.FEET), [r for r in records if r["seq"] <= day])["episodes"]
        assert [e["start"] for e in shown] == ([ep["start"]] if day >= detected else [])


def rates(index, runs, first=100):
    scenario = simulate.SCENARIOS[index]
    return simulate.evaluate(scenario, range(first, first + runs))


def test_an_80_per_mille_supination_shift_is_found_within_3_worn_days_as_that_foots_over_correction():
    res = rates(0, 40)
    assert res["detected"] >= 0.95 * 40 and res["other_runs"] == 0  # never asymmetry, never the other foot
    assert (res["detected"], res["median_delay"], res["max_delay"]) == (40, 2, 3)


def test_a_30_percent_channel_decay_is_found_by_day_20_naming_its_channel():
    res = rates(4, 20)
    assert res["detected"] >= 0.95 * 20 and res["other_runs"] == 0
    assert (res["detected"], res["median_delay"], res["max_delay"]) == (20, 12, 17)


def test_stable_feet_at_any_level_with_outliers_raise_under_one_false_alarm_a_year():
    res = rates(7, 20)
    assert res["years"] == 20 and res["per_year"] < 1
    assert res["alarms"] == 0


def test_lighter_loading_on_every_channel_is_not_wear():
    assert rates(6, 20)["alarms"] == 0


def test_a_pronation_shift_of_one_foot_is_asymmetry_not_over_correction():
    res = rates(3, 10)
    assert res["others"] == [] and res["ever"] == 10

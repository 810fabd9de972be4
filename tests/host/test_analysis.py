"""insole_host.analysis: over-correction, insole wear, the advisory and left/right asymmetry."""
from host_records import DAY0, LEFT, PEAKS, RIGHT, fields, fortnight
from insole_host import analysis
from insole_host.firmware import record


def mli_days(medians, shares=None):
    """Worn days with these MLI medians (and supinated/neutral/pronated counts)."""
    shares = shares or [(300, 2100, 600)] * len(medians)
    return [dict(fields(i + 1, mli_median=m, supinated=s, neutral=n, pronated=p), device_id=LEFT.id)
            for i, (m, (s, n, p)) in enumerate(zip(medians, shares))]


def test_over_correction_from_neutral_into_supinated():
    days = mli_days([30, 10, 20, 0, -60, -120, -170, -190, -230, -210])
    p = analysis.pronation(days)
    assert (p["baseline_permille"], p["recent_permille"]) == (20, -210)
    assert p["over_correction"]
    assert [t["delta_permille"] for t in p["trend"]][:3] == [10, -10, 0]
    flags = analysis.analyse([LEFT], days)["flags"]
    assert [f["kind"] for f in flags] == ["over_correction"]
    assert "+20 per mille" in flags[0]["message"] and "-210" in flags[0]["message"]


def test_over_correction_by_the_supinated_share():
    # the medians stay at -140 (neutral), but most steps are now supinated
    shares = [(900, 1900, 200)] * 3 + [(1000, 1800, 200)] * 3 + [(1600, 1300, 100)] * 3
    p = analysis.pronation(mli_days([-140] * 9, shares))
    assert p["recent_permille"] == -140
    assert (p["baseline_supinated_pct"], p["recent_supinated_pct"]) == (30.0, 53.3)
    assert p["over_correction"]


def test_no_over_correction_when_stable_or_already_supinated_or_too_few_days():
    assert not analysis.pronation(mli_days([40, 55, 30, 45, 35, 60, 40, 25, 50, 45]))["over_correction"]
    # a move toward pronation is not over-correction
    assert not analysis.pronation(mli_days([-40, -30, -50, 100, 180, 200]))["over_correction"]
    # supinated from the start: nothing shifted
    assert not analysis.pronation(mli_days([-200, -220, -180, -210, -230, -200]))["over_correction"]
    few = analysis.pronation(mli_days([30, 10, 20, -300, -300]))
    assert not few["over_correction"] and few["recent_permille"] is None and few["baseline_permille"] == 20
    assert analysis.pronation(mli_days([10, 20]))["baseline_permille"] is None


def test_rest_and_partial_days_are_not_worn_days():
    days = mli_days([30, 10, 20, -300, -300, -300, -300])
    days[3]["wear_s"] = days[3]["steps"] = 0
    days[4]["flags"] = record.FLAG_PARTIAL
    p = analysis.pronation(days)
    assert len(p["trend"]) == 5 and not p["over_correction"]


def peak_days(n, channel=None, start=None, factor=1.0, flagged_last=0):
    """n worn days; from day `start` on, `channel`'s peak is scaled by factor."""
    days = []
    for i in range(n):
        peaks = [p + (i % 3) * 20 for p in PEAKS]
        if channel is not None and i >= start:
            for ch in (channel if isinstance(channel, list) else [channel]):
                peaks[ch] = int(peaks[ch] * factor)
        days.append(dict(fields(i + 1, peaks_dn=peaks), device_id=LEFT.id))
    days[-1]["flagged_channels"] = flagged_last
    return days


def test_sensor_wear_drop_flagged():
    channels = analysis.insole_wear(peak_days(21, channel=6, start=14, factor=0.6))
    assert [c["status"] for c in channels] == ["ok"] * 6 + ["drop", "ok"]
    assert channels[6]["first_week_median_dn"] == 1820 and channels[6]["recent_median_dn"] == 1092
    assert channels[6]["change_pct"] == -40.0
    flags = analysis.analyse([LEFT], peak_days(21, channel=6, start=14, factor=0.6))["flags"]
    assert len(flags) == 1 and flags[0]["kind"] == "insole_wear"
    assert "channel 6 (7 medial forefoot)" in flags[0]["message"] and "compression or cracks" in flags[0]["message"]


def test_a_small_drop_is_not_wear():
    assert {c["status"] for c in analysis.insole_wear(peak_days(21, channel=6, start=14, factor=0.75))} == {"ok"}


def test_sensor_flat_over_weeks_and_flagged_by_the_insole():
    channels = analysis.insole_wear(peak_days(21, channel=2, start=7, factor=0.0))
    assert channels[2]["status"] == "flat"
    assert analysis.insole_wear(peak_days(20, channel=2, start=7, factor=0.0))[2]["status"] == "drop"
    channels = analysis.insole_wear(peak_days(5, flagged_last=0b10010000))
    assert [c["channel"] for c in channels if c["status"] == "flagged"] == [4, 7]


def test_every_channel_dropping_points_at_lighter_loading():
    days = peak_days(12, channel=list(range(8)), start=9, factor=0.5)
    flags = analysis.analyse([LEFT], days)["flags"]
    assert len(flags) == 8 and all("lighter loading" in f["message"] for f in flags)


def test_the_pain_advisory():
    days = [dict(f, device_id=LEFT.id) for f in fortnight()]
    adv = analysis.advisory(days)
    assert adv["active"] and adv["since"] == "2026-12-02"  # day 8
    assert adv["pain_days"] == ["2026-11-29", "2026-11-30", "2026-12-01", "2026-12-02"]
    flags = analysis.analyse([LEFT], days)["flags"]
    assert flags[0]["kind"] == "advisory" and flags[0]["severity"] == "stop"
    assert "STOP wearing the insoles and see a podiatrist" in flags[0]["message"]
    days[-1]["flags"] &= ~record.FLAG_ADVISORY  # cleared on the insole
    assert not analysis.advisory(days)["active"]


def test_asymmetry_only_with_both_feet():
    left = [dict(f, device_id=LEFT.id) for f in fortnight(mli=40)]
    right = [dict(f, device_id=RIGHT.id) for f in fortnight(mli=40)]
    result = analysis.analyse([LEFT, RIGHT], left + right)
    assert result["asymmetry"]["common_days"] == 14 and result["asymmetry"]["flagged"] == []
    assert not any(f["kind"] == "asymmetry" for f in result["flags"])
    assert analysis.analyse([LEFT], left)["asymmetry"] is None

    for r in right:
        r["wear_s"] //= 2
        r["mli_median"] -= 180
    asym = analysis.asymmetry(left, right)
    assert asym["flagged"] == ["wear", "pronation"]
    assert asym["wear_asymmetry_pct"] == 66.7 and asym["mli_median_diff_permille"] == 180
    flag = [f for f in analysis.analyse([LEFT, RIGHT], left + right)["flags"] if f["kind"] == "asymmetry"][0]
    assert "wear differs by 67 %" in flag["message"] and "L - R +180" in flag["message"]


def test_asymmetry_pairs_dated_days_only():
    left = [dict(fields(i, day=DAY0 + i), device_id=LEFT.id) for i in range(1, 6)]
    right = [dict(fields(i, day=i, flags=record.FLAG_CLOCK_UNSET), device_id=RIGHT.id) for i in range(1, 6)]
    assert analysis.asymmetry(left, right) is None
    right += [dict(fields(6, day=DAY0 + 5, steps=1000), device_id=RIGHT.id)]
    asym = analysis.asymmetry(left, right)
    assert asym["common_days"] == 1 and asym["steps"] == {"L": 3000, "R": 1000} and "steps" in asym["flagged"]


def test_day_labels():
    assert analysis.day_label(fields(1, day=DAY0)) == "2026-11-25"
    assert analysis.day_label(fields(1, day=0)) == "2000-01-01"
    assert analysis.day_label(fields(1, day=3, flags=record.FLAG_CLOCK_UNSET)) == "boot+3"


def test_the_most_serious_flags_come_first():
    left = mli_days([30, 10, 20, -200, -220, -240])
    right = [dict(f, device_id=RIGHT.id) for f in fortnight()]
    flags = analysis.analyse([LEFT, RIGHT], left + right)["flags"]
    assert [f["kind"] for f in flags][:2] == ["advisory", "over_correction"]
    assert flags[0]["device_id"] == RIGHT.id

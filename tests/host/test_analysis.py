"""insole_host.analysis: the detectors over records, episodes, messages, the advisory, usage."""
from host_records import DAY0, LEFT, PEAKS, RIGHT, fields, fortnight
from insole_host import analysis
from insole_host.firmware import record


def mli_days(medians, device=LEFT, shares=None):
    """Worn days with these MLI medians (and supinated/neutral/pronated counts)."""
    shares = shares or [(300, 2100, 600)] * len(medians)
    return [dict(fields(i + 1, mli_median=m, supinated=s, neutral=n, pronated=p), device_id=device.id)
            for i, (m, (s, n, p)) in enumerate(zip(medians, shares))]


def flags_of(devices, days, kind=None):
    return [f for f in analysis.analyse(devices, days)["flags"] if kind in (None, f["kind"])]


def test_a_move_toward_supination_is_flagged_whatever_the_level():
    # +150 -> +60 never comes near the supinated band; the old zone test missed it
    days = mli_days([150, 160, 140, 155, 145, 150, 65, 60, 55, 62])
    oc = analysis.over_correction(LEFT, days)
    ep = oc["episode"]
    assert (ep["start"], ep["detected"], ep["before"], ep["after"], ep["size"]) == \
        ("2026-12-01", "2026-12-02", 150, 60, -90)
    assert (ep["baseline"], ep["baseline_days"], ep["days_since_start"]) == ("2026-11-25..2026-11-29", 5, 4)
    (flag,) = flags_of([LEFT], days)
    assert flag["message"].startswith("left insole Anna (INS-L-0001): over-correction since 2026-12-01: the "
                                      "pronation index moved -90 per mille toward supination, +150 (median of "
                                      "2026-11-25..2026-11-29) -> +60 (median of 4 worn days since 2026-12-01)")
    assert "supinated band" not in flag["message"] and "insole ack --device INS-L-0001" in flag["message"]


def test_a_shift_on_day_4_is_found_by_day_6_and_the_supinated_band_is_named():
    days = mli_days([20, 30, 10, -140, -160, -170])
    assert analysis.over_correction(LEFT, days[:5])["episode"] is None  # 5 worn days: not judged yet
    ep = analysis.over_correction(LEFT, days)["episode"]
    assert (ep["start"], ep["before"], ep["after"], ep["size"]) == ("2026-11-28", 20, -160, -180)
    assert "now in the supinated band (below -150)" in flags_of([LEFT], days)[0]["message"]


def test_a_wobble_across_the_supinated_band_is_not_over_correction():
    wobble = [-135, -155, -140, -160, -138, -152, -145, -158, -136, -150, -149, -160, -141, -139]
    assert analysis.over_correction(LEFT, mli_days(wobble))["episode"] is None


def test_one_atypical_day_cannot_raise_it_two_in_three_can():
    stable = [40, 55, 30, 45, 35, 50, 40, 45, 35, 50]
    one = stable[:6] + [-250] + stable[7:]
    assert analysis.over_correction(LEFT, mli_days(one))["episode"] is None
    two = stable[:6] + [-250, 45, -240] + stable[9:]
    assert analysis.over_correction(LEFT, mli_days(two))["episode"]["start"] == "2026-12-01"


def test_an_episode_stays_when_the_foot_comes_back():
    days = mli_days([40, 45, 35, 40, -60, -70, -65, 40, 45, 40, 35, 45])
    ep = analysis.over_correction(LEFT, days)["episode"]
    assert ep["start"] == "2026-11-29" and ep["detected"] == "2026-11-30"


def test_no_over_correction_when_stable_pronating_or_too_few_days():
    assert analysis.over_correction(LEFT, mli_days([40, 55, 30, 45, 35, 60, 40, 25, 50, 45]))["episode"] is None
    assert analysis.over_correction(LEFT, mli_days([-40, -30, -50, 100, 180, 200]))["episode"] is None
    assert analysis.over_correction(LEFT, mli_days([-200, -220, -180, -210, -230, -200]))["episode"] is None
    judged = analysis.analyse([LEFT], mli_days([30, 10, 20, -300]))["judged"]
    assert "left insole Anna (INS-L-0001): over-correction not judged yet: needs 6 worn days, 4 so far" in judged


def test_rest_and_partial_days_are_not_worn_days():
    days = mli_days([30, 10, 20, -300, -300, -300, -300])
    days[3]["wear_s"] = days[3]["steps"] = 0
    days[4]["flags"] = record.FLAG_PARTIAL
    oc = analysis.over_correction(LEFT, days)
    assert oc["worn_days"] == 5 and oc["episode"] is None


def peak_days(n, channel=None, start=None, factor=1.0, flagged_last=0, device=LEFT):
    """n worn days; from day `start` on, `channel`'s peak is scaled by factor."""
    days = []
    for i in range(n):
        peaks = [p + (i % 3) * 20 for p in PEAKS]
        if channel is not None and i >= start:
            for ch in (channel if isinstance(channel, list) else [channel]):
                peaks[ch] = int(peaks[ch] * factor)
        days.append(dict(fields(i + 1, peaks_dn=peaks), device_id=device.id))
    days[-1]["flagged_channels"] = flagged_last
    return days


def test_a_sensor_losing_its_share_is_insole_wear_on_that_channel():
    channels = analysis.insole_wear(LEFT, peak_days(16, channel=6, start=10, factor=0.7))
    assert [c["channel"] for c in channels if c["episode"]] == [6]
    ep = channels[6]["episode"]
    assert (ep["start"], ep["before_dn"], ep["after_dn"], ep["size"]) == ("2026-12-05", 1820, 1274, -30)
    (flag,) = flags_of([LEFT], peak_days(16, channel=6, start=10, factor=0.7))
    assert flag["message"] == (
        "left insole Anna (INS-L-0001), channel 6 (7 medial forefoot): peak force -30 % relative to the foot's "
        "other sensors since 2026-12-05: 1820 dN (median of 2026-11-25..2026-12-03) -> 1274 dN (median of 6 worn "
        "days since 2026-12-05; last 3: 1274 dN); inspect the insole there for compression or cracks.")


def test_a_small_drop_or_every_channel_dropping_is_not_wear():
    assert not any(c["episode"] for c in analysis.insole_wear(LEFT, peak_days(21, channel=6, start=14, factor=0.9)))
    lighter = peak_days(21, channel=list(range(8)), start=9, factor=0.5)
    assert not any(c["episode"] for c in analysis.insole_wear(LEFT, lighter))


def test_the_insoles_own_verdict_and_unloaded_channels():
    channels = analysis.insole_wear(LEFT, peak_days(5, flagged_last=0b10010000))
    assert [c["channel"] for c in channels if c["flagged"]] == [4, 7]
    assert len(flags_of([LEFT], peak_days(5, flagged_last=0b10010000), "sensor_flagged")) == 2
    quiet = peak_days(8, channel=3, start=0, factor=0.01)
    assert analysis.insole_wear(LEFT, quiet)[3]["unloaded"]
    assert "left insole Anna (INS-L-0001): channels 3 not judged: unloaded (median peak under 50 dN in the first " \
           "worn days)" in analysis.analyse([LEFT], quiet)["judged"]


# An orthotic over-correcting the left foot from day 8: a fifth of each medial sensor's force moves to
# its lateral neighbour (sim.json's sensor map: medial 2, 4, 6 beside lateral 1, 3, 5) and the MLI
# median falls by 200 per mille; the heel (channel 0, central) loses 30 % from day 12.
LATERAL_OF = {2: 1, 4: 3, 6: 5}
ORTHOTIC_DAY, HEEL_DAY = 8, 12  # 2026-12-02, 2026-12-06


def orthotic_days(mli_falls=True, moved=0.2, heel=0.7, n=20):
    days = []
    for i in range(1, n + 1):
        peaks = [p + (i % 3) * 20 for p in PEAKS]
        mli = 40 + (i % 3) * 5
        if i >= ORTHOTIC_DAY:
            for medial, lateral in LATERAL_OF.items():
                peaks[lateral] += moved * peaks[medial]
                peaks[medial] -= moved * peaks[medial]
            mli -= round(1000 * moved) if mli_falls else 0
        if i >= HEEL_DAY:
            peaks[0] *= heel
        days.append(dict(fields(i, mli_median=mli, peaks_dn=[round(p) for p in peaks]), device_id=LEFT.id))
    return days


def wear_found(result):
    return [(e["channel"], e["start"], e["size"]) for e in result["episodes"] if e["kind"] == "insole_wear"]


def test_force_moved_by_an_open_over_correction_is_not_wear_but_the_heel_still_is():
    # unseen as an over-correction (the MLI kept level), the medial sensors' lost share reads as wear
    unseen = analysis.analyse([LEFT], orthotic_days(mli_falls=False))
    assert [ch for ch, *_ in wear_found(unseen)] == [0, 2, 4, 6]
    result = analysis.analyse([LEFT], orthotic_days())
    assert [(e["kind"], e["start"]) for e in result["episodes"] if e["kind"] == "over_correction"] == \
        [("over_correction", "2026-12-02")]
    assert wear_found(result) == [(0, "2026-12-06", -30)]  # the heel, 30 % down from day 12
    channels = result["devices"][LEFT.id]["channels"]
    assert [c["channel"] for c in channels if c["blocked_by"] == [LEFT.id]] == [1, 2, 3, 4, 5, 6]
    assert "left insole Anna (INS-L-0001): insole wear on the medial and lateral channels 1, 2, 3, 4, 5, 6 not " \
           "judged while an over-correction is open (its shift of force between them is reported there)" \
           in result["judged"]
    assert "left insole Anna (INS-L-0001): no insole wear (a fall of 15 % or more in a sensor's share of the " \
           "foot's peak force) on channels 7" in result["judged"]


def test_acknowledging_the_over_correction_restarts_the_medial_and_lateral_channels_there():
    days = orthotic_days()
    ack = {"device_id": LEFT.id, "kind": "over_correction", "channel": None, "from_seq": ORTHOTIC_DAY,
           "from_day": DAY0 + ORTHOTIC_DAY - 1}
    result = analysis.analyse([LEFT], days, [ack])
    assert [e["kind"] for e in result["episodes"]] == ["insole_wear"]
    assert wear_found(result) == [(0, "2026-12-06", -30)]
    channels = result["devices"][LEFT.id]["channels"]
    assert [c["worn_days"] for c in channels] == [20] + [20 - ORTHOTIC_DAY + 1] * 6 + [20]
    assert not any(c["blocked_by"] for c in channels)


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


def both(left, right):
    return mli_days(left, LEFT) + mli_days(right, RIGHT)


def test_a_difference_that_was_always_there_is_not_asymmetry():
    result = analysis.analyse([LEFT, RIGHT], both([40, 45, 35] * 4, [-120, -115, -125] * 4))
    assert result["asymmetry"]["episode"] is None and result["episodes"] == []
    assert "no new left/right pronation difference (80 per mille or more) over 12 days worn on both feet since " \
           "2026-11-25" in result["judged"]


def test_a_difference_that_appeared_is_asymmetry_naming_each_foot():
    result = analysis.analyse([LEFT, RIGHT], both([40, 45, 35] * 4, [40, 45, 35, 42, 38, 40, 150, 160, 155, 150]))
    (flag,) = [f for f in result["flags"] if f["kind"] == "asymmetry"]
    assert flag["message"] == ("left/right pronation difference appeared since 2026-12-01: L - R +0 per mille "
                               "(median of 2026-11-25..2026-11-29) -> -110 (4 days since); left foot +40 -> +40, "
                               "right foot +40 -> +150.")


def test_a_one_sided_supination_shift_is_that_foots_over_correction_not_asymmetry():
    result = analysis.analyse([LEFT, RIGHT], both([40, 45, 35] * 4, [40, 45, 35, 42, 38, 40, -80, -70, -75, -80]))
    assert [(f["kind"], f["device_id"]) for f in result["flags"]] == [("over_correction", RIGHT.id)]
    assert "left/right asymmetry not judged while an over-correction is open (a one-sided shift is reported " \
           "there)" in result["judged"]


def test_usage_names_the_foot_that_recorded_less():
    left = [dict(f, device_id=LEFT.id) for f in fortnight()]
    right = [dict(f, device_id=RIGHT.id, wear_s=f["wear_s"] * 3 // 4) for f in fortnight()]
    usage = analysis.asymmetry(left, right)["usage"]
    assert (usage["days"], usage["from"], usage["flagged"]) == (7, "2026-12-02", ["wear_s"])
    (flag,) = flags_of([LEFT, RIGHT], left + right, "usage")
    assert flag["message"].startswith("the right insole recorded 25 % less wear time than the left (")
    assert flag["message"].endswith("over the 7 days 2026-12-02..2026-12-08: check that insole is worn and charged.")


def test_asymmetry_pairs_dated_days_only():
    left = [dict(fields(i, day=DAY0 + i), device_id=LEFT.id) for i in range(1, 6)]
    right = [dict(fields(i, day=i, flags=record.FLAG_CLOCK_UNSET), device_id=RIGHT.id) for i in range(1, 6)]
    assert analysis.asymmetry(left, right)["worn_days"] == 0
    right += [dict(fields(6, day=DAY0 + 5, steps=1000), device_id=RIGHT.id)]
    asym = analysis.asymmetry(left, right)
    assert asym["worn_days"] == 1 and asym["usage"]["steps"]["lower"] == "R"


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


def test_one_long_atypical_day_does_not_dominate_the_supinated_share():
    shares = [(300, 2100, 600)] * 6 + [(300, 2100, 600), (8000, 900, 100), (300, 2100, 600)]
    p = analysis.pronation(mli_days([40] * 6 + [40, -250, 40], shares=shares))
    assert (p["baseline_supinated_pct"], p["recent_supinated_pct"], p["recent_permille"]) == (10.0, 10.0, 40)

"""Break-in schedule: presets day by day, the rules, pain, advisory, persistence."""
from insole.schedule import ADVISED, HOUR, MAX_STEPS, ROLLED_BACK, VERSION, Schedule


def rejected(call, *args, **kwargs):
    """The ValueError message of a call that must fail."""
    try:
        call(*args, **kwargs)
    except ValueError as e:
        return str(e)
    raise AssertionError("%r accepted %r %r" % (call, args, kwargs))


def kept_days(s, days):
    """Keep `days` days exactly at their limits (rest days unworn); the limits seen."""
    seen = []
    for _ in range(days):
        limit = s.limit_s()
        seen.append(limit)
        s.end_day(1 if limit is None else limit)
    return seen


def at_step(step, preset="standard"):
    s = Schedule(preset)
    s.step = s.day_step = step  # as if the day had started on it
    return s


def test_standard_adds_an_hour_a_day_up_to_ten_then_no_limit():
    hours = [h * HOUR for h in range(1, 11)]
    assert kept_days(Schedule(), 13) == hours + [None, None, None]


def test_gentle_has_rest_days_of_limit_zero():
    s = Schedule("gentle")
    expected = [h * HOUR for h in (1, 2, 0, 3, 5, 0, 7, 9, 0, 10)]
    assert kept_days(s, 11) == expected + [None]


def test_custom_steps_up_to_the_cap_with_rest_every_n():
    s = Schedule("custom", start_s=1800, step_s=1800, cap_s=7200, rest_every=3)
    assert s.steps == (1800, 3600, 0, 5400, 7200)
    assert kept_days(s, 6) == [1800, 3600, 0, 5400, 7200, None]


def test_custom_rest_days_by_index_and_a_cap_off_the_grid():
    assert Schedule("custom", start_s=1800, step_s=1800, cap_s=5400, rest=[1, 3]).steps == (1800, 0, 3600, 0, 5400)
    assert Schedule("custom", start_s=3600, step_s=5000, cap_s=10000).steps == (3600, 8600, 10000)
    assert Schedule("custom").steps == Schedule().steps


def test_up_to_125_percent_is_within_and_advances():
    s = at_step(3)  # 4 h
    s.end_day(4 * HOUR * 125 // 100)
    assert s.step == 4


def test_well_over_holds_the_step():
    s = at_step(3)
    s.end_day(4 * HOUR * 125 // 100 + 1)
    assert s.step == 3 and s.limit_s() == 4 * HOUR
    s.end_day(2 * HOUR)
    assert s.step == 4


def test_a_day_not_worn_neither_advances_nor_counts():
    s = at_step(2)
    s.end_day(0)
    assert s.step == 2
    s.report_pain(4)
    s.end_day(0)
    s.end_day(0)  # not worn: no hold day spent
    assert s.hold_days == 3 and s.pain_streak == 0


def test_a_rest_day_kept_advances_and_a_rest_day_worn_holds():
    s = at_step(2, "gentle")
    assert s.limit_s() == 0
    s.end_day(60)
    assert s.step == 2
    s.end_day(0)
    assert s.step == 3 and s.limit_s() == 3 * HOUR


def test_pain_drops_to_the_start_level_at_once_and_holds_three_days():
    s = at_step(6)
    assert s.planned_s() == 7 * HOUR
    assert s.report_pain(5) == ROLLED_BACK
    assert s.limit_s() == HOUR and s.hold_days == 3
    assert s.planned_s() == 7 * HOUR  # the day was planned at 7 h; the rollback does not change that
    s.end_day(HOUR)  # the pain day itself
    assert s.step == 0 and s.hold_days == 3 and s.planned_s() == HOUR
    s.end_day(HOUR)
    s.end_day(0)  # not worn: does not count as a hold day
    s.end_day(HOUR)
    assert s.step == 0 and s.hold_days == 1
    s.end_day(HOUR)  # the last hold day, within: may step up again
    assert s.step == 1 and s.hold_days == 0


def test_the_last_hold_day_well_over_does_not_advance():
    s = at_step(4)
    s.report_pain(3)
    for _ in range(3):
        s.end_day(HOUR)
    s.end_day(2 * HOUR)
    assert s.step == 0 and s.hold_days == 0
    s.end_day(HOUR)
    assert s.step == 1


def test_pain_hold_days_is_configurable():
    s = Schedule(pain_hold_days=0)
    s.step = 3
    s.report_pain(2)
    s.end_day(HOUR)
    s.end_day(HOUR)
    assert s.step == 1


def test_pain_past_the_last_step_also_rolls_back():
    s = at_step(10)
    assert s.limit_s() is None
    assert s.report_pain(7) == ROLLED_BACK and s.limit_s() == HOUR


def test_advisory_after_three_pain_days_at_the_start_level_not_before():
    s = at_step(5)
    assert s.report_pain(6) == ROLLED_BACK  # pain at 6 h: rolls back, not yet "at start"
    s.end_day(HOUR)
    assert s.pain_streak == 0
    assert s.report_pain(6) == 0
    s.end_day(HOUR)
    assert s.report_pain(6) == 0
    s.end_day(HOUR)
    assert not s.advisory and s.pain_streak == 2
    assert s.report_pain(6) == ADVISED
    assert s.advisory and s.pain_streak == 3


def test_advisory_from_day_one_and_repeated_reports_count_once():
    s = Schedule()
    for day in range(3):
        assert not s.advisory
        s.report_pain(2)
        s.report_pain(8)
        assert s.pain_today == 8 and s.pain_streak == day + 1
        s.end_day(HOUR // 2)
    assert s.advisory


def test_a_pain_free_worn_day_breaks_the_streak_and_an_unworn_one_does_not():
    s = Schedule()
    s.report_pain(3)
    s.end_day(HOUR)
    s.report_pain(3)
    s.end_day(HOUR)
    s.end_day(0)
    assert s.pain_streak == 2
    s.end_day(HOUR)
    assert s.pain_streak == 0
    s.report_pain(3)
    s.end_day(HOUR)
    s.report_pain(3)
    assert not s.advisory


def test_advisory_is_sticky_until_cleared():
    s = Schedule(advisory_days=2)
    s.report_pain(3)
    s.end_day(HOUR)
    assert s.report_pain(3) == ADVISED
    assert s.report_pain(3) == 0  # raised once
    kept_days(s, 20)
    assert s.advisory and s.limit_s() is None
    s.clear_advisory()
    assert not s.advisory and s.pain_streak == 0


def test_pain_severity_is_checked():
    s = Schedule()
    assert "severity" in rejected(s.report_pain, 0)
    assert "severity" in rejected(s.report_pain, 11)
    assert s.pain_today == 0


def test_describe_shows_the_days_ahead_and_changes_nothing():
    s = at_step(8)
    assert s.describe(4) == [(0, 9 * HOUR), (1, 10 * HOUR), (2, None), (3, None)]
    s.report_pain(4)
    state = s.to_ints()
    plan = [limit for _, limit in s.describe(7)]
    assert plan == [HOUR, HOUR, HOUR, HOUR, 2 * HOUR, 3 * HOUR, 4 * HOUR]
    assert s.to_ints() == state and s.planned_s() == 9 * HOUR


def test_state_round_trips_through_bytes():
    s = Schedule("custom", start_s=1800, step_s=900, cap_s=3600, rest_every=2)
    s.step = 0
    s.report_pain(9)
    s.report_pain(9)
    s.end_day(600)
    s.report_pain(4)
    s.end_day(0)
    s.report_pain(4)
    s.advisory = True
    blob = bytes(s.to_ints())
    assert len(blob) == 6 and blob[0] == VERSION
    t = Schedule.from_ints(blob, "custom", start_s=1800, step_s=900, cap_s=3600, rest_every=2)
    assert t.to_ints() == s.to_ints()
    assert (t.step, t.hold_days, t.pain_streak, t.advisory, t.pain_today) == (0, 3, 3, True, 4)
    t.end_day(600)
    s.end_day(600)
    assert t.to_ints() == s.to_ints()


def test_bad_state_is_rejected_with_a_reason():
    good = Schedule().to_ints()
    assert good == (VERSION, 0, 0, 0, 0, 0)

    def bad(i, value):
        ints = list(good)
        ints[i] = value
        return rejected(Schedule.from_ints, ints)

    assert "version" in bad(0, VERSION + 1)
    assert "step" in bad(1, 11)
    assert Schedule.from_ints([VERSION, 10, 0, 0, 0, 0]).limit_s() is None
    assert "hold_days" in rejected(Schedule.from_ints, [VERSION, 2, 1, 0, 0, 0])
    assert "pain_streak" in bad(3, 256)
    assert "advisory" in bad(4, 2)
    assert "pain_today" in bad(5, 11)
    assert "values" in rejected(Schedule.from_ints, good[:5])
    assert "step" in rejected(Schedule.from_ints, [VERSION, 5, 0, 0, 0, 0], "custom", cap_s=2 * HOUR)


def test_bad_plans_are_rejected():
    assert "preset" in rejected(Schedule, "fast")
    assert "custom" in rejected(Schedule, "standard", start_s=HOUR)
    assert "unknown parameter" in rejected(Schedule, "custom", start=HOUR)
    assert "start_s" in rejected(Schedule, "custom", start_s=0)
    assert "cap_s" in rejected(Schedule, "custom", start_s=2 * HOUR, cap_s=HOUR)
    assert "cap_s" in rejected(Schedule, "custom", cap_s=25 * HOUR)
    assert "step_s" in rejected(Schedule, "custom", step_s=0)
    assert "step 0" in rejected(Schedule, "custom", rest=[0])
    assert "past the last step" in rejected(Schedule, "custom", rest=[10])
    assert "not both" in rejected(Schedule, "custom", rest=[2], rest_every=3)
    assert "rest_every" in rejected(Schedule, "custom", rest_every=1)
    assert "%d steps" % MAX_STEPS in rejected(Schedule, "custom", start_s=60, step_s=60, cap_s=20 * HOUR)
    assert "pain_hold_days" in rejected(Schedule, pain_hold_days=-1)
    assert "advisory_days" in rejected(Schedule, advisory_days=0)

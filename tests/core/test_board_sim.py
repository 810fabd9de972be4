"""The sim board: a day script lived through the modelled sensors, in virtual time,
through the same ring a real board fills."""
import asyncio
import io
from array import array

from fsfaults import PowerCut, cut, new_dir, remove_tree
from support import config, data_dir, play, run

from insole.power import SLOW_HZ as REST_HZ
from boards.sim import Board
from edge.motor import Motor, duty_u16
from insole.alerts import PRE_WARNING
from insole.pipeline import Pipeline
from sim import day
from sim.flash import PowerFs
from sim.motor import RecordingPWM
from sim.recordings import GaitpdbReader

WALK = "GaCo01_01.txt"


def walk_path():
    return data_dir("gaitpdb") + "/" + WALK


def drain(board, motor=None):
    """Wait for samples, taking every one, until the script has been lived (the
    motor's player running beside, when one is given)."""
    got = []

    async def consume():
        player = asyncio.create_task(motor.run()) if motor else None
        s = board.sampler
        s.start()
        while board.living():
            await board.wait_sample()
            while s.ready():
                got.append(list(s.take()))
        if player:
            player.cancel()
            await asyncio.sleep(0)

    asyncio.run(consume())
    return got


def scripted(schedule, cfg):
    """The same script's rows from sim/day.py's own day generator."""
    blocks = day.render_blocks(GaitpdbReader(walk_path(), "L"), cfg["fs_hz"], day.make_adc(cfg))
    return [list(r) for r in day.ScriptedDay(schedule, blocks, cfg["fs_hz"], len(cfg["sensors"]))]


def test_lives_a_script_row_by_row_in_virtual_time():
    cfg = config()
    schedule = [("off", 2), ("walk", 5), ("stand", 1), ("walk", 3)]
    b = Board(cfg)
    b.live(schedule, walk_path(), "L")
    got = drain(b)
    assert got == scripted(schedule, cfg)  # the walk resumes where it stopped, as a day's does
    assert b.sampler.dropped == 0 and b.now_ms == 11000


def test_at_the_rest_rate_a_sample_stands_for_a_second():
    b = Board(config())
    b.sampler.rate(REST_HZ)
    b.live([("off", 90)])
    got = drain(b)
    assert len(got) == 90 and b.now_ms == 90000


def test_a_day_with_wear_needs_a_walk():
    b = Board(config())
    try:
        b.live([("walk", 5)])
    except ValueError as e:
        assert "walk recording" in str(e)
    else:
        raise AssertionError("no error")


def test_nothing_is_sampled_before_start():
    b = Board(config())
    b.live([("off", 5)])

    async def idle():
        await b.idle_ms(100)

    asyncio.run(idle())
    assert not b.sampler.ready() and b.now_ms == 100  # time passed, nothing was sampled


def test_motor_on_the_virtual_clock():
    b = Board(config())

    play(b.motor_pwm, [PRE_WARNING], b.idle_ms)
    half = duty_u16(500)
    assert b.motor_pwm.changes == [(0, half), (150, 0), (300, half), (450, 0)]


def motor_beside_sampling(hz):
    """The motor plays a pre-warning while the sampling lives 5 s unloaded at `hz`:
    (samples taken, the motor's duty changes)."""
    b = Board(config())
    b.sampler.rate(hz)
    b.live([("off", 5)])
    motor = Motor(b.motor_pwm, sleep=b.idle_ms)
    motor.play(PRE_WARNING)
    taken = drain(b, motor)
    assert b.sampler.dropped == 0
    return len(taken), b.motor_pwm.changes


def test_while_a_script_is_lived_the_motor_s_pauses_end_on_the_clock_the_sampling_carries():
    taken, changes = motor_beside_sampling(100)
    times = [t for t, _ in changes]
    assert taken == 500  # the motor took no samples
    assert [b - a for a, b in zip(times, times[1:])] == [150, 150, 150]
    taken, changes = motor_beside_sampling(REST_HZ)  # the clock moves a second at a time
    times = [t for t, _ in changes]
    assert taken == 5 and [b - a for a, b in zip(times, times[1:])] == [1000, 1000, 1000]


def test_the_motor_log_gets_a_line_per_duty_change():
    log = io.StringIO()
    pwm = RecordingPWM(lambda: 1200, log)
    pwm.duty_u16(0)
    pwm.duty_u16(32767)
    pwm.duty_u16(0)
    assert log.getvalue() == "1200 32767\n1200 0\n"


def test_battery_watchdog_and_no_rtc():
    b = Board(config(), battery_mv=3700)
    b.feed_watchdog()
    assert b.battery_mv() == 3700 and b.watchdog_feeds == 1 and b.rtc_unix() is None


def test_a_walk_through_the_board_finds_the_steps_of_a_direct_feed():
    cfg = config()
    schedule = [("walk", 30)]
    direct = run(Pipeline(cfg), [array("H", r) for r in scripted(schedule, cfg)])
    b = Board(cfg)
    b.live(schedule, walk_path(), "L")
    assert run(Pipeline(cfg), [array("H", r) for r in drain(b)]) == direct
    assert len(direct) > 10 and b.sampler.dropped == 0


def looped(schedule, path, fit=None):
    """main's sampling loop on the sim board over `schedule`: (device, [(second, hz)] of each rate change)."""
    import main
    from edge.store import Store
    from insole.device import Device

    cfg = config()
    b = Board(cfg)
    b.live(schedule, walk_path(), "L", fit)
    dev = Device(cfg)
    store = Store(path)
    store.recover()
    rates = [(0, b.sampler.hz)]
    rate = b.sampler.rate

    def noted(hz):
        rates.append((b.now_ms // 1000, hz))
        rate(hz)

    b.sampler.rate = noted

    async def go():
        task = asyncio.create_task(main.sampling(b, dev, store))
        while b.living():
            await asyncio.sleep(0)
        task.cancel()

    asyncio.run(go())
    return dev, rates


def test_off_the_foot_the_loop_samples_once_a_second_and_a_load_brings_the_full_rate_back():
    """main's loop on the sim board: 20 s walking, 1000 s off the foot, 20 s walking."""
    dev, rates = looped([("walk", 20), ("off", 1000), ("walk", 20)], "/tmp/insole-sim-rest")
    assert [hz for _, hz in rates] == [100, REST_HZ, 100]
    assert 80 <= rates[1][0] <= 83  # a minute after the last loaded second (and the low-pass tail)
    assert 1020 <= rates[2][0] <= 1022  # the first loaded second off the foot wakes it
    assert abs(dev.clock.second - 1040) <= 1  # each slow sample stood for its whole second
    assert 38 <= dev.pipeline.wear.worn_s <= 42  # a gap longer than the wear timer bridges


def test_standing_still_the_loop_samples_once_a_second_and_counts_every_second_worn():
    """20 s walking, 600 s standing, 600 s seated, 20 s walking: still on the foot after
    ten quiet seconds, woken by the sit (a quarter of the load gone) and by the walk."""
    schedule = [("walk", 20), ("stand", 600), ("sit", 600), ("walk", 20)]
    dev, rates = looped(schedule, "/tmp/insole-sim-still")
    assert [hz for _, hz in rates] == [100, REST_HZ, 100, REST_HZ, 100]
    changes = [second for second, _ in rates[1:]]
    assert 30 <= changes[0] <= 34  # the last step's stance, then ten quiet seconds
    assert 620 <= changes[1] <= 622 and 630 <= changes[2] <= 634  # the sit wakes it; quiet again
    assert 1220 <= changes[3] <= 1222  # the walk wakes it within a second or two
    assert abs(dev.pipeline.wear.worn_s - 1240) <= 2  # every second on the foot is worn
    walking, _ = looped([("walk", 20), ("walk", 20)], "/tmp/insole-sim-walk")
    assert walking.pipeline.gait.steps - 2 <= dev.pipeline.gait.steps <= walking.pipeline.gait.steps


def test_a_fit_moves_the_medial_load_laterally_and_a_worn_sensor_reads_less():
    """sim/fit.py through the board's rendering: lateral=100 lowers the steps' medial-lateral
    index by about 100 per mille; gain0=700 brings the heel's peak down to about 70 %."""
    from insole.pronation import RING as STEPS

    def walked(fit):
        dev, _ = looped([("walk", 60)], "/tmp/insole-sim-fit", fit)
        p = dev.pipeline.pronation
        k = min(p.steps, STEPS)
        mli = sorted(p.mli[i] for i in range(k))
        return mli[k // 2], dev.pipeline.health.peak_avg[0]

    mli, heel = walked(None)
    shifted, _ = walked({"lateral": 100})
    _, worn = walked({"gain0": 700})
    assert -130 <= shifted - mli <= -70
    assert 0.6 <= worn / heel <= 0.8


def test_another_fit_of_the_same_walk_renders_into_the_same_blocks():
    """Weeks of fits on one walk must not fragment the heap: the blocks are allocated once."""
    b = Board(config())
    b.live([("walk", 1)], walk_path(), "L")
    kept = dict(b.timeline.blocks)
    for fit in ({"gain0": 900}, {"lateral": 50}, {"gain0": 900}):  # rendered, rendered, then read back
        b.live([("walk", 1)], walk_path(), "L", fit)
        assert all(b.timeline.blocks[kind] is kept[kind] for kind in day.KINDS)
    b.live([("walk", 1)], walk_path(), "L", {"gain0": 900})
    worn = [kept["walk"][i] for i in range(0, 800, 8)]  # the heel's counts, row by row
    b.live([("walk", 1)], walk_path(), "L")
    assert [kept["walk"][i] for i in range(0, 800, 8)] != worn  # the blocks hold the fit asked for


def test_a_stall_overflows_the_ring_then_misses_ticks_and_time_goes_on():
    """The `stall` file's (T, BUSY, FROZEN): at 2 s, 1 s of samples with nothing
    draining the ring (64 slots: 63 wait, the rest are dropped), then 0.5 s of timer
    ticks that never ran; the script's 10 s still take 10 s of virtual time."""
    b = Board(config())
    b.stall = (2000, 1000, 500)
    b.live([("off", 10)])
    got = drain(b)
    s = b.sampler
    assert (s.dropped, s.missed) == (100 - 63, 50) and s.newly_lost() == 87 and s.newly_lost() == 0
    assert len(got) == 1000 - 87 and b.now_ms == 10000 and b.stall is None


def test_the_flash_logs_each_operation_completed_and_not_the_write_the_power_cut():
    """The flash a `power` file of "4 0" gives: two writes and a rename complete, then the
    4th operation, a write, lands its first 4 * 7919 % 10 = 6 bytes and the power goes."""
    path = new_dir("flash")
    log = io.StringIO()
    fs = PowerFs(4, cut, log)
    try:
        f = fs.open(path + "/a.tmp", "wb")
        f.write(b"\x01\x02")
        f.write(b"\x03")
        f.close()
        fs.rename(path + "/a.tmp", path + "/a")
        f = fs.open(path + "/b", "wb")
        try:
            f.write(b"0123456789")
            raise AssertionError("the power did not fail")
        except PowerCut:
            f.close()
        with open(path + "/b", "rb") as torn:
            assert torn.read() == b"012345"
        assert log.getvalue() == "write %s/a.tmp 010203\nrename %s/a.tmp %s/a\n" % (path, path, path)
    finally:
        remove_tree(path)

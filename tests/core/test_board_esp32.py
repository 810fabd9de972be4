"""The ESP32 board module against a fake `machine` (tests/fakes): timer sampling
into the ring, the mux, the motor, battery and watchdog; no allocation per sample."""
import asyncio
from array import array
import gc
import sys

from support import ROOT, SkipTest, config, play

sys.path.insert(0, ROOT + "/tests/fakes")

import esp32  # noqa: E402  (the fakes)
import machine  # noqa: E402
from machine import ADC, WDT, Timer  # noqa: E402

from boards import RING  # noqa: E402
from boards.esp32 import SLACK, Board  # noqa: E402
from edge.motor import PATTERNS, duty_u16  # noqa: E402
from insole.device import Device  # noqa: E402
from insole.power import SLEEP, SLOW  # noqa: E402


class Flag:
    """Stands in for asyncio.ThreadSafeFlag: counts set() without allocating."""

    def __init__(self):
        self.count = 0

    def set(self):
        self.count += 1


def board(name="esp32s3", **changes):
    cfg = config(name)
    cfg.update(changes)
    return Board(cfg)


def set_levels(adcs, k):
    for ch in range(len(adcs)):
        adcs[ch].level = 1000 * k + ch


def test_timer_at_fs_fills_the_ring_in_order():
    b = board()
    s = b.sampler
    flag = Flag()
    s.start(flag)
    timer = s.timer
    assert timer.mode == Timer.PERIODIC and timer.freq == 100
    assert [a.pin.id for a in s.inputs] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert all(a.atten == ADC.ATTN_11DB for a in s.inputs)
    n = RING - 1
    for k in range(n):
        set_levels(s.inputs, k)
        timer.fire()
    assert flag.count == n - 1 and s.dropped == 0  # notified from the second waiting sample on: a batch of 2 at 100 Hz
    for k in range(n):
        assert s.ready()
        assert list(s.take()) == [1000 * k + ch for ch in range(8)]
    assert not s.ready() and s.take() is None


def test_a_full_ring_drops_new_samples_and_spares_the_one_taken():
    s = board().sampler
    s.start()
    for k in range(RING - 1):
        set_levels(s.inputs, k)
        s.timer.fire()
    held = s.take()
    for k in range(RING - 1, RING + 2):
        set_levels(s.inputs, k)
        s.timer.fire()
    assert s.dropped == 2  # one more fitted in the slot freed by the take
    assert list(held) == [ch for ch in range(8)]
    got = []
    while s.ready():
        got.append(s.take()[0])
    assert got == [1000 * k for k in range(1, RING)]


def test_a_consumer_that_keeps_up_sees_every_sample():
    s = board().sampler
    s.start()
    for k in range(1000):
        set_levels(s.inputs, k % 60)
        s.timer.fire()
        assert s.take()[7] == 1000 * (k % 60) + 7
    assert s.dropped == 0


def test_stop_releases_the_timer():
    s = board().sampler
    s.start()
    s.stop()
    assert s.timer.callback is None and not s.running


def test_the_timer_path_allocates_nothing():
    if sys.implementation.name != "micropython":
        raise SkipTest("gc.mem_alloc is MicroPython's")
    for name, s in (("esp32s3", board("esp32s3").sampler), ("esp32c3", board("esp32c3").sampler),
                    ("esp32c3 with a reference", reference_board(970))):
        flag = Flag()
        s.start(flag)
        timer = s.timer
        timer.fire()
        s.take()
        gc.collect()
        gc.disable()
        try:
            before = gc.mem_alloc()
            k = 0
            while k < 2000:
                timer.fire()
                if k & 1:  # let the ring fill and drain
                    while s.ready():
                        s.take()
                k += 1
            allocated = gc.mem_alloc() - before
        finally:
            gc.enable()
        assert flag.count == 1000  # once a batch of 2 waits: every second callback here
        assert allocated == 0, "%s: %d bytes in 2000 timer callbacks" % (name, allocated)


def test_mux_selects_channels_in_order_and_throws_the_settling_read_away():
    b = board("esp32c3")
    s = b.sampler
    select = s.select
    assert [p.id for p in select] == [4, 5, 6, 7] and len(s.inputs) == 1
    sig = s.inputs[0]
    assert sig.pin.id == 0 and sig.atten == ADC.ATTN_11DB
    seen = []

    def selected():
        ch = select[0].v | select[1].v << 1 | select[2].v << 2 | select[3].v << 3
        seen.append(ch)
        return 100 * ch + 5

    sig.source = selected
    s.start()
    s.timer.fire()
    assert seen == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7]
    assert list(s.take()) == [100 * ch + 5 for ch in range(8)]


def reference_board(sag_permille):
    """A C3 with a 3V3/2 reference on mux input 8, its rail at sag_permille of nominal."""
    cfg = config("esp32c3")
    cfg["mux"]["reference"] = {"input": 8, "counts": 43253}
    s = Board(cfg).sampler
    select = s.select

    def selected():
        n = select[0].v | select[1].v << 1 | select[2].v << 2 | select[3].v << 3
        return (43253 if n == 8 else 4000 * n + 3000) * sag_permille // 1000

    s.inputs[0].source = selected
    s.start()
    return s


def test_a_reference_channel_makes_the_mux_readings_ratiometric():
    for sag in (1000, 970, 940):  # the 3V3 rail at nominal, 3 % and 6 % low
        s = reference_board(sag)
        s.timer.fire()
        got = list(s.take())
        assert all(abs(got[ch] - (4000 * ch + 3000)) <= 2 for ch in range(8)), (sag, got)
    s = reference_board(700)  # 30 % low: a fault, not a sag; the correction stops at 12.5 %
    s.timer.fire()
    assert s.take()[7] == 31000 * 700 // 1000 * 9216 >> 13


def test_a_reference_must_sit_on_a_spare_mux_input():
    for bad in ({"input": 3, "counts": 43253}, {"input": 16, "counts": 43253}, {"input": 8, "counts": 0}):
        cfg = config("esp32c3")
        cfg["mux"]["reference"] = bad
        try:
            Board(cfg)
        except ValueError as e:
            assert "mux.reference" in str(e)
        else:
            raise AssertionError("accepted %r" % bad)


def test_mux_reaches_all_16_inputs():
    cfg = config("esp32c3")
    cfg["sensors"] = [{"x_mm": 0, "y_mm": i, "side": "central"} for i in range(16)]
    s = Board(cfg).sampler
    select = s.select
    s.inputs[0].source = lambda: select[0].v | select[1].v << 1 | select[2].v << 2 | select[3].v << 3
    s.start()
    s.timer.fire()
    assert list(s.take()) == list(range(16))


def test_pins_that_do_not_fit_the_sensors_are_refused():
    for name, key, value in (("esp32s3", "adc_pins", [1, 2, 3]),
                             ("esp32c3", "mux", {"sig": 0, "select": [4, 5, 6]})):
        try:
            board(name, **{key: value})
        except ValueError as e:
            assert "config" in str(e)
        else:
            raise AssertionError("%s %r accepted" % (key, value))


def test_motor_plays_every_pattern_on_the_pwm_pin():
    b = board()
    pwm = b.motor_pwm
    assert pwm.pin.id == 44 and pwm.freq == 200 and pwm.duty == 0

    async def no_wait(ms):
        await asyncio.sleep(0)

    play(pwm, sorted(PATTERNS), no_wait)
    expected = [0]
    for kind in sorted(PATTERNS):
        expected += [duty_u16(p) for p, _ in PATTERNS[kind]] + [0]
    assert pwm.duties == expected


def test_c3_motor_and_battery_pins():
    b = board("esp32c3")
    assert b.motor_pwm.pin.id == 10 and b.battery.pin.id == 1


def test_battery_through_the_divider():
    b = board()
    assert b.battery.pin.id == 9 and b.battery.atten == ADC.ATTN_11DB
    b.battery.uv = 2100000  # 4.2 V over 100k/100k
    assert b.battery_mv() == 4200


class Clock:
    """ticks_ms that moves only when a test moves it."""

    def __init__(self):
        self.now = 0

    def ticks_ms(self):
        return self.now


def test_watchdog_arms_after_a_grace_period_of_clean_running_only():
    del WDT.made[:]
    b = board()
    clock = Clock()
    b.grace.ticks_ms = clock.ticks_ms
    while clock.now < 60000:  # a minute's grace: a crash or a Ctrl-C meanwhile leaves the REPL usable
        b.feed_watchdog()
        clock.now += 20
    assert WDT.made == []
    b.feed_watchdog()
    b.feed_watchdog()
    assert len(WDT.made) == 1 and WDT.made[0].timeout == 8000 and WDT.made[0].feeds == 2


def test_the_grace_period_comes_from_the_config():
    del WDT.made[:]
    b = board(watchdog_grace_ms=0)
    b.feed_watchdog()
    assert len(WDT.made) == 1


def run_timer(s, clock, ms, lost=(), late=False):
    """`ms` of a 100 Hz timer: a callback every 10 ms but for the ticks in `lost`
    (the scheduler's queue full); the main loop drains and counts every 20 ms.
    `late`: the loop looks just before each callback runs. Returns the samples lost."""
    total = 0
    tick = 0
    while clock.now < ms:
        clock.now += 10
        tick += 1
        if late:
            total += s.newly_lost()
        if tick not in lost:
            s.timer.fire()
        if clock.now % 20 == 0:
            while s.take() is not None:
                pass
            total += s.newly_lost()
    return total + s.newly_lost()


def test_timer_ticks_that_never_ran_are_counted_against_ticks_ms():
    s = board().sampler
    clock = Clock()
    s.ticks_ms = clock.ticks_ms
    s.start()
    write = set(range(500, 650)) | set(range(3000, 3010))  # a 1.5 s flash write, and a short one
    lost = run_timer(s, clock, 50000, write)
    assert s.dropped == 0
    assert len(write) - 2 * SLACK <= s.missed <= len(write) and lost == s.missed


def test_a_timer_that_keeps_up_misses_nothing_even_when_late():
    s = board().sampler
    clock = Clock()
    s.ticks_ms = clock.ticks_ms
    s.start()
    assert run_timer(s, clock, 30000, late=True) == 0 and s.missed == 0


def test_ring_overflow_is_lost_too():
    s = board().sampler
    clock = Clock()
    s.ticks_ms = clock.ticks_ms
    s.start()
    for _ in range(RING + 2):
        clock.now += 10
        s.timer.fire()
    assert s.newly_lost() == 3 and s.dropped == 3 and s.missed == 0
    assert s.newly_lost() == 0


def test_idle_yields_to_asyncio_without_lightsleep():
    if not hasattr(asyncio, "sleep_ms"):
        raise SkipTest("asyncio.sleep_ms is MicroPython's")
    b = board()
    ticks = []

    async def other():
        for _ in range(3):
            ticks.append(1)
            await asyncio.sleep_ms(1)

    async def main():
        task = asyncio.create_task(other())
        await b.idle_ms(20)  # machine.lightsleep (the fake raises) is never called
        await task

    asyncio.run(main())
    assert ticks == [1, 1, 1]


def test_a_stopped_sampler_misses_nothing():
    s = board().sampler
    clock = Clock()
    s.ticks_ms = clock.ticks_ms
    s.start()
    run_timer(s, clock, 1000)
    s.stop()
    clock.now += 60000
    assert s.newly_lost() == 0 and s.missed == 0
class Store:
    """Takes the checkpoints the board writes before it sleeps."""

    def __init__(self):
        self.checkpoints = []

    def checkpoint(self, data, state=b""):
        self.checkpoints.append(bytes(data))


def test_the_cpu_runs_at_80_mhz():
    board()
    assert machine.freq() == 80000000
    board(cpu_mhz=160)
    assert machine.freq() == 160000000


def test_the_timer_wakes_the_waiting_task_through_the_flag():
    b = board()
    s = b.sampler
    woken = []

    async def main():
        s.start()

        async def waiter():
            await b.wait_sample()
            woken.append(s.take()[0])

        task = asyncio.create_task(waiter())
        for _ in range(3):
            await asyncio.sleep(0)
        assert woken == []  # nothing sampled: the task sleeps, it does not poll
        s.inputs[0].level = 1234
        s.timer.fire()
        for _ in range(3):
            await asyncio.sleep(0)
        assert woken == []  # one sample: not yet a batch
        s.timer.fire()
        for _ in range(3):
            await asyncio.sleep(0)
        await task

    asyncio.run(main())
    assert woken == [1234]


def test_the_flag_is_set_once_a_batch_waits_and_for_every_slow_sample():
    s = board().sampler
    flag = Flag()
    s.start(flag)
    s.timer.fire(6)
    assert flag.count == 5 and s.batch == 2
    while s.take() is not None:
        pass
    s.rate(10)
    s.timer.fire(3)
    assert flag.count == 8 and s.batch == 1


def resting_device(name="esp32s3"):
    """A device a minute off the foot, at a whole second."""
    dev = Device(config(name))
    idle = array("H", [0] * 8)
    for _ in range(61 * dev.pipeline.fs):
        dev.sample(idle)
    return dev


def test_off_the_foot_the_timer_slows_and_a_load_brings_it_back():
    b = board()
    s = b.sampler
    dev = resting_device()
    store = Store()
    s.start()
    wear = dev.pipeline.wear
    b.pace(dev, store)
    assert s.timer.freq == 1 and s.hz == 1
    s.timer.fire()
    taken = 0
    while s.take() is not None:
        taken += 1
    assert taken == 1  # one slow sample, standing for its whole second (Device.rest_second)
    wear.loaded = True  # a load in this second
    b.pace(dev, store)
    assert s.timer.freq == 100 and store.checkpoints == []


def test_an_hour_off_the_foot_checkpoints_then_deep_sleeps_until_the_heel_is_loaded():
    del esp32.ext1[:]
    del machine._Power.slept[:]
    b = board()
    dev = resting_device()
    store = Store()
    b.sampler.start()
    dev.pipeline.wear.idle_s = 3600
    assert b.policy.mode(dev) == SLEEP
    b.pace(dev, store)
    assert len(store.checkpoints) == 1 and not b.sampler.running
    assert esp32.ext1 == [((1,), esp32.WAKEUP_ANY_HIGH)] and machine._Power.slept == [None]


def test_a_mux_board_has_no_heel_pin_so_it_never_deep_sleeps():
    b = board("esp32c3")
    dev = resting_device("esp32c3")
    dev.pipeline.wear.idle_s = 100000
    assert b.policy.mode(dev) == SLOW
    try:
        board("esp32c3", power={"sleep_after_s": 3600})
    except ValueError as e:
        assert "sleep_after_s" in str(e)
    else:
        raise AssertionError("a mux ESP32 config that asks for deep sleep was accepted")

"""The CircuitPython board module (XIAO nRF52840) under CPython, against fakes of
board, analogio, digitalio, pwmio, microcontroller and watchdog (tests/fakes)."""
import asyncio
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "fakes"))

import alarm  # noqa: E402  (the fakes)
import board as pins  # noqa: E402
import microcontroller  # noqa: E402
from watchdog import WatchDogMode  # noqa: E402

from boards import RING  # noqa: E402
from boards.nrf52840_cp import Board  # noqa: E402
from edge.motor import PATTERNS, duty_u16  # noqa: E402
from support import config, play  # noqa: E402

CIRCUITPYTHON = ("analogio", "digitalio", "pwmio", "board", "microcontroller", "watchdog", "adafruit_ticks",
                 "adafruit_ble", "alarm")
HARDWARE = ("machine", "esp32", "bluetooth", "aioble") + CIRCUITPYTHON


@pytest.fixture
def cfg():
    pins.reset()
    microcontroller.watchdog = microcontroller.WatchDogTimer()
    return config("xiao_nrf52840")


class Clock:
    """Virtual milliseconds that pass only when the sampler sleeps."""

    def __init__(self):
        self.now = 0

    def ticks_ms(self):
        return self.now % (1 << 29)

    async def sleep(self, ms):
        self.now += ms
        await asyncio.sleep(0)


def timed(sampler, clock, times):
    """Note the virtual time of every sample the task takes."""
    sample = sampler.sample

    def noted():
        times.append(clock.now)
        sample()

    sampler.sample = noted


def sample_for(b, ms, stall_at=None, stall_ms=0):
    """Run the sampler task for `ms` virtual ms; (times of each sample, samples taken)."""
    clock = Clock()
    s = b.sampler
    s.ticks_ms = clock.ticks_ms
    s.sleep_ms = clock.sleep
    times, got = [], []

    timed(s, clock, times)

    async def main():
        s.start()
        stalled = False
        while clock.now < ms:
            await asyncio.sleep(0)
            while s.ready():
                got.append(list(s.take()))
            if stall_at is not None and not stalled and clock.now >= stall_at:
                clock.now += stall_ms  # the loop blocked: a long flash write
                stalled = True
        s.stop()
        await asyncio.sleep(0)

    asyncio.run(main())
    return times, got


def selected():
    return sum(int(bool(getattr(pins, "D%d" % (7 + i)).driven)) << i for i in range(4))


def test_wiring_from_the_config(cfg):
    b = Board(cfg)
    s = b.sampler
    assert [p.pin.pin.name for p in s.select] == ["D7", "D8", "D9", "D10"]
    assert all(p.pin.direction == "output" and p.pin.value is False for p in s.select)
    assert len(s.inputs) == 1 and s.inputs[0].pin.pin is pins.A0
    assert b.battery.pin is pins.VBATT


def test_the_task_keeps_the_cadence_and_the_channels(cfg):
    b = Board(cfg)
    pins.A0.source = lambda: 1000 + 10 * selected()
    times, got = sample_for(b, 1000)
    assert times[:100] == [10 * k for k in range(100)]
    assert got and all(row == [1000 + 10 * ch for ch in range(8)] for row in got)
    assert b.sampler.dropped == 0


def test_a_rate_that_does_not_divide_a_second_stays_on_average(cfg):
    cfg["fs_hz"] = 300
    times, _ = sample_for(Board(cfg), 2000)
    assert len([t for t in times if t < 2000]) == 600
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert set(gaps) <= {3, 4}


def test_after_a_stall_the_cadence_restarts_instead_of_bursting(cfg):
    times, _ = sample_for(Board(cfg), 7000, stall_at=500, stall_ms=5000)
    after = [t for t in times if t >= 5500]
    assert after[:3] == [after[0], after[0] + 10, after[0] + 20]
    assert len(times) < 220  # ~50 before the stall, ~150 after: no catch-up burst of 500


def test_off_the_foot_the_task_slows_to_one_sample_a_second(cfg):
    b = Board(cfg)
    b.sampler.rate(1)
    pins.A0.source = lambda: 1000 + 10 * selected()
    times, got = sample_for(b, 5000)
    assert times[:5] == [1000 * k for k in range(5)]
    assert len(got) == len(times)  # each stands for its whole second (Device.rest_second)


def test_a_new_rate_restarts_the_cadence_from_now(cfg):
    b = Board(cfg)
    clock = Clock()
    s = b.sampler
    s.ticks_ms = clock.ticks_ms
    s.sleep_ms = clock.sleep
    times = []
    timed(s, clock, times)

    async def main():
        s.start()
        while clock.now < 500:
            await asyncio.sleep(0)
            while s.ready():
                s.take()
        s.rate(10)
        while clock.now < 1500:
            await asyncio.sleep(0)
            while s.ready():
                s.take()
        s.stop()

    asyncio.run(main())
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert gaps[:45] == [10] * 45 and gaps[-5:] == [100] * 5


def test_deep_sleep_leaves_the_mux_on_the_heel_and_wakes_on_its_pin(cfg):
    b = Board(cfg)
    for p in b.sampler.select:
        p.value(1)
    del alarm.slept[:]
    b.sleep()
    (wake,), = alarm.slept
    assert wake.pin is pins.A0 and wake.value is True
    assert selected() == 0 and b.sampler.inputs[0].pin.deinited and not b.sampler.running
    assert b.motor_pwm.pwm_out.duty_cycle == 0


def test_mux_order_and_the_settling_read(cfg):
    b = Board(cfg)
    seen = []

    def read():
        seen.append(selected())
        return 7 * selected()

    pins.A0.source = read
    b.sampler.sample()
    assert seen == [ch for ch in range(8) for _ in (0, 1)]
    assert list(b.sampler.take()) == [7 * ch for ch in range(8)]


def test_ring_overflow_is_counted(cfg):
    s = Board(cfg).sampler
    for _ in range(RING + 3):
        s.sample()
    assert s.dropped == 4


def test_motor_patterns_through_pwmout(cfg):
    b = Board(cfg)
    out = b.motor_pwm.pwm_out
    assert out.pin is pins.D6 and out.frequency == 200 and out.duty_cycle == 0

    async def no_wait(ms):
        await asyncio.sleep(0)

    play(b.motor_pwm, sorted(PATTERNS), no_wait)
    expected = [0]
    for kind in sorted(PATTERNS):
        expected += [duty_u16(p) for p, _ in PATTERNS[kind]] + [0]
    assert out.duties == expected


def test_battery_on_the_board_divider_with_enable_held_low(cfg):
    b = Board(cfg)
    pins.VBATT.level = round(4.2 * 510 / 1510 / 3.3 * 65535)
    assert abs(b.battery_mv() - 4200) <= 5
    assert pins.READ_BATT_ENABLE.history == [False]


def test_the_battery_calibration_factor_from_the_config(cfg):
    cfg["battery_scale_permille"] = 1050  # the board read 4.00 V where the meter showed 4.20 V
    b = Board(cfg)
    pins.VBATT.level = round(4.0 * 510 / 1510 / 3.3 * 65535)
    assert abs(b.battery_mv() - 4200) <= 5


def test_watchdog_arms_after_a_grace_period_of_clean_running_only(cfg):
    b = Board(cfg)
    clock = Clock()
    b.grace.ticks_ms = clock.ticks_ms
    wdt = microcontroller.watchdog
    for _ in range(59):  # a minute's grace: a crash or a Ctrl-C meanwhile leaves the REPL usable
        b.feed_watchdog()
        clock.now += 1000
    assert wdt.mode is None and wdt.feeds == 0
    clock.now += 1000
    b.feed_watchdog()
    b.feed_watchdog()
    assert wdt.mode == WatchDogMode.RESET and wdt.timeout == 8.0 and wdt.feeds == 2


def test_a_stall_longer_than_the_resync_counts_the_samples_it_missed(cfg):
    b = Board(cfg)
    times, _ = sample_for(b, 7000, stall_at=500, stall_ms=5000)
    s = b.sampler
    assert 495 <= s.missed <= 505  # 5 s at 100 Hz
    assert abs(len(times) + s.missed - 700) <= 3  # taken + missed: every sample due in 7 s
    assert s.newly_lost() == s.missed and s.newly_lost() == 0


def test_idle_yields_for_the_time_asked(cfg):
    b = Board(cfg)

    async def main():
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await b.idle_ms(30)
        return loop.time() - t0

    assert 0.025 <= asyncio.run(main()) < 0.5


def imports(path):
    return set(re.findall(r"^\s*(?:from|import)\s+(\w+)", path.read_text(), re.M))


def test_the_core_imports_no_hardware_and_only_the_nrf_board_imports_circuitpython():
    fw = ROOT / "firmware"
    for path in sorted((fw / "insole").glob("*.py")):
        assert not imports(path) & set(HARDWARE), path.name
    for path in sorted(fw.rglob("*.py")):
        if path.relative_to(fw).as_posix() not in ("boards/nrf52840_cp.py", "selftest.py", "edge/ble_circuitpython.py",
                                                    "boot.py"):
            assert not imports(path) & set(CIRCUITPYTHON), path.relative_to(fw)

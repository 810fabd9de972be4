"""The sim board: recorded counts in virtual time through the same ring a real board fills."""
import asyncio
from array import array

from support import config, play, run, walk_counts

from boards.sim import Board
from edge.motor import duty_u16
from insole.alerts import PRE_WARNING
from insole.pipeline import Pipeline


def rows(n, channels=8):
    return [array("H", [k * 10 + ch for ch in range(channels)]) for k in range(n)]


def drain(board, step_ms=10):
    """Idle in steps of step_ms, taking every sample, until the counts run out."""
    got = []

    async def consume():
        s = board.sampler
        s.start()
        while not s.done or s.ready():
            await board.idle_ms(step_ms)
            while s.ready():
                got.append(list(s.take()))

    asyncio.run(consume())
    return got


def test_replays_every_row_in_order_in_virtual_time():
    b = Board(config(), rows(250))
    got = drain(b)
    assert got == [list(r) for r in rows(250)]
    assert b.sampler.dropped == 0
    assert 2490 <= b.now_ms <= 2520  # 250 samples at 100 Hz


def test_a_consumer_that_idles_too_long_loses_samples_like_a_board():
    b = Board(config(), rows(100))
    got = drain(b, step_ms=200)  # 20 samples fall due per idle; the ring keeps RING - 1
    assert b.sampler.dropped > 0
    assert len(got) + b.sampler.dropped == 100
    assert all(len(r) == 8 for r in got)


def test_nothing_is_sampled_before_start():
    b = Board(config(), rows(10))

    async def idle():
        await b.idle_ms(100)

    asyncio.run(idle())
    assert not b.sampler.ready() and b.ticks == 0


def test_motor_on_the_virtual_clock():
    b = Board(config())

    play(b.motor_pwm, [PRE_WARNING], b.idle_ms)
    half = duty_u16(500)
    assert b.motor_pwm.changes == [(0, half), (150, 0), (300, half), (450, 0)]


def test_battery_and_watchdog():
    b = Board(config(), battery_mv=3700)
    b.feed_watchdog()
    assert b.battery_mv() == 3700 and b.watchdog_feeds == 1


def test_a_walk_through_the_board_finds_the_steps_of_a_direct_feed():
    samples, _ = walk_counts("GaCo01_01.txt", "L", limit=3000)
    direct = run(Pipeline(config()), samples)
    b = Board(config(), samples)
    pipe = Pipeline(config())
    assert run(pipe, [array("H", r) for r in drain(b)]) == direct
    assert len(direct) > 10 and b.sampler.dropped == 0


def test_off_the_foot_the_loop_slows_then_sleeps_and_a_load_wakes_it():
    """main's loop on the sim board: 1 s unloaded (the zero), 3 s loaded, 60 s unloaded, 2 s loaded."""
    import main
    from insole.device import Device

    cfg = config()
    cfg["power"] = {"slow_hz": 10, "slow_after_s": 5, "sleep_after_s": 20}
    loaded = array("H", [30000] * 8)
    empty = array("H", [100] * 8)
    fs = cfg["fs_hz"]
    b = Board(cfg, [empty] * fs + [loaded] * (3 * fs) + [empty] * (60 * fs) + [loaded] * (2 * fs))
    dev = Device(cfg)
    rates = []

    class Store:
        checkpoints = 0

        def checkpoint(self, data, second):
            self.checkpoints += 1

    store = Store()

    async def go():
        task = asyncio.create_task(main.sampling(b, dev, store))
        seen = 0
        while not b.sampler.done:
            if b.sampler.hz != seen:
                seen = b.sampler.hz
                rates.append((b.now_ms // 1000, seen))
            await asyncio.sleep(0)
        task.cancel()

    asyncio.run(go())
    assert [hz for _, hz in rates] == [100, 10, 100]
    assert 9 <= rates[1][0] <= 10  # slow 5 s after the last loaded second (plus the low-pass tail)
    assert store.checkpoints == 1  # the day's checkpoint went to the store before the sleep
    assert 38000 <= b.slept_ms <= 40000  # asleep from 20 s after the last loaded second (about 24 s) until 64 s
    awake_s = (b.now_ms - b.slept_ms) // 1000
    assert abs(dev.clock.second - awake_s) <= 1  # slow samples stood for their whole period

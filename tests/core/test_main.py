"""main.py on the sim board: boot, live through the sensors, checkpoint the day, boot
again and carry everything on."""
import json
import os

from support import config, data_dir, SkipTest


def scratch(name):
    path = "/tmp/insole-main-" + name
    try:
        for f in os.listdir(path + "/log"):
            os.remove(path + "/log/" + f)
        for f in os.listdir(path):
            if f != "log":
                os.remove(path + "/" + f)
    except OSError:
        pass
    return path


def boot(path, schedule):
    """One power-up of main.py on the sim board, living `schedule`; the board."""
    try:
        import asyncio
    except ImportError:
        raise SkipTest("no asyncio")
    import main
    from boards import sim
    built = []

    def board_living(c):
        built.append(sim.Board(c))
        built[-1].live(schedule, data_dir("gaitpdb") + "/GaCo01_01.txt", "L")
        return built[-1]

    main.load = board_living

    async def run_until_lived():
        task = asyncio.create_task(main.main(path + ".json", path))
        await asyncio.sleep(0)
        while built[-1].living():
            if task.done():  # main stopped: its exception, not a test that waits for ever
                task.result()
                raise AssertionError("main returned")
            await asyncio.sleep(0)
        task.cancel()

    asyncio.run(run_until_lived())
    return built[-1]


def test_boots_lives_and_keeps_the_day_across_a_restart():
    path = scratch("boot")
    with open(path + ".json", "w") as f:
        json.dump(config(), f)
    from edge.store import Store
    from insole import record
    checkpoints = []
    for _ in range(2):
        board = boot(path, [("walk", 330)])  # one checkpoint (every 300 s)
        store = Store(path)
        checkpoints.append(record.decode(store.recover()))
        assert board.sampler.dropped == 0 and board.watchdog_feeds > 100
    first, second = checkpoints
    assert first["seq"] == second["seq"] == 1 and first["flags"] & record.FLAG_PARTIAL
    assert 250 <= first["wear_s"] <= 300 and first["steps"] > 200
    # the second boot continued the day from the checkpoint instead of starting it again
    assert second["wear_s"] >= first["wear_s"] + 250 and second["steps"] >= first["steps"] + 200


def test_off_the_foot_the_board_samples_once_a_second_and_the_day_closes():
    path = scratch("rest")
    with open(path + ".json", "w") as f:
        json.dump(config(), f)
    board = boot(path, [("walk", 60), ("off", 86400 - 60)])
    from edge.store import Store
    store = Store(path)
    store.recover()
    days = list(store.records_after(0))
    assert len(days) == 1 and 55 <= days[0]["wear_s"] <= 62  # the filter's delay rounds up a second
    assert store.open_seq == 2
    assert 86400 * 1000 <= board.now_ms < 86401 * 1000
    # a day at 100 Hz is 8.64 M samples; off the foot one a second is taken, so few drains
    assert board.watchdog_feeds < (60 * 100 + 86400) // 50

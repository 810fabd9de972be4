"""main.py on the sim board: boot, sample, checkpoint the day, boot again and carry on."""
import json
import os

from support import config, walk_counts, SkipTest


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


def test_boots_samples_and_keeps_the_day_across_a_restart():
    try:
        import asyncio
    except ImportError:
        raise SkipTest("no asyncio")
    import main
    from boards import sim
    cfg = config()
    cfg["board_module"] = "sim"
    path = scratch("boot")
    with open(path + ".json", "w") as f:
        json.dump(cfg, f)
    rows, _ = walk_counts("GaCo01_01.txt", "L", limit=3000)
    built = []

    def board_with_walk(c):
        built.append(sim.Board(c, rows * 11))  # 330 s of walking: one checkpoint (every 300 s)
        return built[-1]

    main.load = board_with_walk

    async def run_until_done():
        task = asyncio.create_task(main.main(path + ".json", path))
        await asyncio.sleep(0)
        while not built[-1].sampler.done:
            await asyncio.sleep(0)
        task.cancel()

    from edge.store import Store
    from insole import record
    checkpoints = []
    for boot in range(2):
        asyncio.run(run_until_done())
        store = Store(path)
        checkpoints.append(record.decode(store.recover()))
        assert built[-1].sampler.dropped == 0 and built[-1].watchdog_feeds > 1000
    first, second = checkpoints
    assert first["seq"] == second["seq"] == 1 and first["flags"] & record.FLAG_PARTIAL
    assert 250 <= first["wear_s"] <= 300 and first["steps"] > 200
    # the second boot continued the day from the checkpoint instead of starting it again
    assert second["wear_s"] >= first["wear_s"] + 250 and second["steps"] >= first["steps"] + 200

"""The firmware's board loop on the virtual board, for bench/run.py's duty cycle.

    micropython bench/duty.py FIRMWARE_DIR CONFIG WALK KIND SECONDS STORE_DIR

FIRMWARE_DIR holds the firmware (.mpy, as deployed), CONFIG a board config,
WALK a gaitpdb recording. KIND is a segment of sim/day.py ("walk", "stand",
"sit", "gap", "off"): the sim board lives WARM_S and then SECONDS of it
through main.sampling (the loop a real board runs: ring, device,
checkpoints, power policy) beside the motor task, on the virtual clock, as
fast as the host runs it. `busy` is the CPU time of the SECONDS after the
warm-up (the process's time on a CPU, from /proc/self/schedstat, so other
processes on a busy host do not count), less the sim board's own replay
machinery (the ADC and timer a board has in silicon), over SECONDS: the
fraction of the time this host's CPU would be busy running the firmware.

Prints JSON: busy, virtual_s, hz (the sample rate at the end: the power
policy's), steps, dropped.
"""
import asyncio
import json
import sys

FIRMWARE, CONFIG, WALK, KIND, SECONDS, STORE = sys.argv[1:7]
sys.path.insert(0, FIRMWARE)

import main  # noqa: E402
from boards import sim  # noqa: E402
from edge.motor import Motor  # noqa: E402
from edge.store import Store  # noqa: E402
from insole.device import Device  # noqa: E402


WARM_S = 70  # past the minute off the foot (Device.ON_FOOT_S) before the board slows: "off" is measured at the slow rate


def cpu_us():
    """Microseconds this process has run on a CPU."""
    with open("/proc/self/schedstat") as f:
        return int(f.read().split()[0]) // 1000


class MarkedBoard(sim.Board):
    """The sim board, noting the CPU time and its own share when the warm-up ends."""

    mark = None

    async def wait_sample(self):
        if self.mark is None and self.now_ms >= WARM_S * 1000:
            self.mark = (cpu_us(), self.sim_us)
        await super().wait_sample()


async def run():
    with open(CONFIG) as f:
        cfg = json.load(f)
    seconds = int(SECONDS)
    board = MarkedBoard(cfg)
    board.host_us = cpu_us
    board.live([(KIND, WARM_S + seconds)], WALK, "L")
    motor = Motor(board.motor_pwm, sleep=board.idle_ms)
    store = Store(STORE)
    device = Device(cfg, buzz=motor.play)
    device.restore(store)
    tasks = [asyncio.create_task(motor.run()), asyncio.create_task(main.sampling(board, device, store))]
    while board.living():
        await asyncio.sleep(0)
    end = cpu_us()
    for t in tasks:
        t.cancel()
    t0, sim0 = board.mark
    busy_us = end - t0 - (board.sim_us - sim0)
    return {"busy": busy_us / (seconds * 1e6), "virtual_s": board.now_ms / 1000 - WARM_S,
            "hz": board.sampler.hz, "steps": device.pipeline.gait.steps, "dropped": board.sampler.dropped}


print(json.dumps(asyncio.run(run())))

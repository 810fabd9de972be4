"""The insole on a board: sampling, the coach, the motor, the store and the link.

Boot: read config.json (written by `make deploy`: the board's pins, sensor map,
and the per-device id and key, which never travel over the air), build the
Board, and bring the Device back from the store (Device.restore: the open
day, the plan and its position, the pain hold, the advisory, the clock,
today's alerts, the zeros, the numbering). Then run as asyncio tasks: the
sampling loop (the board's ring of preallocated samples drained into the
Device; its checkpoint and day close served between samples; one sample a
second while the insole is off the foot or on it but still), the motor, and the link the config
names: "aioble" (ESP32), "circuitpython" (nRF52840) or "stdio" (the virtual
insole on the unix port); a BLE link advertises at the intervals of the
config's "ble" object (insole/gatt.py: fast for 30 s after boot and after a
disconnect, then slow).
"""
import asyncio
import json

from boards import load, safe_boot
from edge.clock import random_bytes
from edge.motor import Motor
from edge.store import Store
from insole.device import Device
from insole.gatt import advertising_intervals
from insole.service import InsoleService

CONFIG = "config.json"
STORE = "data"


async def sampling(board, device, store):
    """Drain the sampler's ring into the device, serve what falls due, apply the
    power policy, then wait for the next sample (the sampler's flag wakes this
    task; the motor and the link's tasks run meanwhile). Off the foot, or on
    it but still, the sampler runs once a second and each sample stands for
    that second, until the load appears or moves."""
    sampler = board.sampler
    fs = device.pipeline.fs
    sampler.start()
    while True:
        device.skip(sampler.newly_lost())  # the clock goes on through samples the board lost
        slow = sampler.hz != fs  # the rate the waiting samples were taken at
        sample = sampler.take()
        while sample is not None:
            if slow:
                device.slow_second(sample)
            else:
                device.sample(sample)
            if device.due:
                device.service(store)
            sample = sampler.take()
        if device.due:  # a command's change, with no sample to carry it
            device.service(store)
        board.feed_watchdog()
        board.pace(device, store)
        await board.wait_sample()


def link_for(cfg, board, device, store):
    """The link binding the config names, serving the InsoleService; None without a key."""
    if "auth_key" not in cfg or "device_id" not in cfg:
        print("main: no auth_key/device_id in %s: no link (provision it with make deploy)" % CONFIG)
        return None
    kind = cfg["link"]
    if kind == "aioble":
        from edge.ble_aioble import Link, session_clock
    elif kind == "circuitpython":
        from edge.ble_circuitpython import Link, session_clock
    elif kind == "stdio":
        from edge.link_stdio import Link, session_clock
    else:
        raise ValueError("config: link %r is not aioble, circuitpython or stdio" % kind)
    service = InsoleService(device, store, bytes.fromhex(cfg["auth_key"]), cfg["device_id"].encode(),
                            random_bytes, session_clock(), battery_pct=lambda: battery_pct(board.battery_mv()),
                            passkey=cfg.get("passkey"))
    if kind == "stdio":
        return Link(service, board)
    return Link(service, cfg.get("name", "Insole"), advertising=advertising_intervals(cfg.get("ble", {})))


def battery_pct(mv):
    """A LiPo's charge from its voltage, roughly linear from 3.3 V (0 %) to 4.2 V (100 %)."""
    return min(100, max(0, (mv - 3300) // 9))


async def main(config_path=CONFIG, store_root=STORE):
    with open(config_path) as f:
        cfg = json.load(f)
    board = load(cfg)
    motor = Motor(board.motor_pwm, sleep=board.idle_ms, max_permille=cfg.get("motor_max_permille", 1000))
    store = Store(store_root, board.fs, **cfg.get("store", {}))
    device = Device(cfg, buzz=motor.play, set_rtc=board.set_rtc)
    device.restore(store, board.rtc_unix())
    tasks = [asyncio.create_task(motor.run()), asyncio.create_task(sampling(board, device, store))]
    link = link_for(cfg, board, device, store)
    if link:
        link.register()
        tasks.append(asyncio.create_task(link.run()))
    await asyncio.gather(*tasks)


if __name__ == "__main__" and not safe_boot():
    asyncio.run(main())

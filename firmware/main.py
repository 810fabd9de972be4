"""The insole on a board: sampling, the coach, the motor, the store and the BLE link.

Boot: read config.json (written by `make deploy`: the board's pins, sensor map
and the per-device key, which never travels over the air), build the Board,
recover the store (a power cut loses at most the minutes since the last
checkpoint), continue the open day from its checkpoint, then run as asyncio
tasks: the sampling loop (the board's ring of preallocated samples drained
into Device.sample; the day's checkpoint and close served between samples),
the motor, and the BLE link where the port has one (aioble on ESP32,
adafruit_ble on CircuitPython).
"""
import asyncio
import json

from boards import load
from edge.clock import random_bytes
from edge.motor import Motor
from edge.store import Store
from insole.device import Device
from insole.service import InsoleService, saved_plan

CONFIG = "config.json"
STORE = "data"


def restore(device, store):
    """Continue from the store: the next record's seq, and the open day's checkpoint."""
    checkpoint = store.recover()
    device.seq = store.open_seq
    if checkpoint:
        fields = device.summary.restore(checkpoint)
        device.pipeline.wear.worn_s = fields["wear_s"]
        device.alerts.fired_today = fields["alerts"]


async def sampling(board, device, store, idle_ms=20):
    """Drain the sampler's ring into the device, serve what falls due, then idle.

    The ring holds 70 ms at 100 Hz; idling 20 ms between drains leaves room for
    the motor and BLE tasks.
    """
    board.sampler.start()
    take = board.sampler.take
    while True:
        sample = take()
        while sample is not None:
            device.sample(sample)
            if device.due:
                device.service(store)
            sample = take()
        board.feed_watchdog()
        await board.idle_ms(idle_ms)


def ble_link(device, store, cfg, board):
    """The port's BLE link (aioble on ESP32, adafruit_ble on CircuitPython), or None
    where it has none (the unix port) or no key was provisioned."""
    if "auth_key" not in cfg:
        return None
    try:
        from edge.ble_aioble import Link, session_clock
    except ImportError:
        try:
            from edge.ble_circuitpython import Link, session_clock
        except ImportError:
            return None
    service = InsoleService(device, store, bytes.fromhex(cfg["auth_key"]), cfg.get("device_id", "insole").encode(),
                            random_bytes, session_clock(), battery_pct=lambda: battery_pct(board.battery_mv()),
                            passkey=cfg.get("passkey"))
    link = Link(service, cfg.get("name", "Insole"))
    link.register()
    return link


def battery_pct(mv):
    """A LiPo's charge from its voltage, roughly linear from 3.3 V (0 %) to 4.2 V (100 %)."""
    return min(100, max(0, (mv - 3300) // 9))


async def main(config_path=CONFIG, store_root=STORE):
    with open(config_path) as f:
        cfg = json.load(f)
    board = load(cfg)
    motor = Motor(board.motor_pwm)
    store = Store(store_root)
    device = Device(cfg, saved_plan(store), buzz=motor.play)
    restore(device, store)
    tasks = [asyncio.create_task(motor.run()), asyncio.create_task(sampling(board, device, store))]
    link = ble_link(device, store, cfg, board)
    if link:
        tasks.append(asyncio.create_task(link.run()))
    await asyncio.gather(*tasks)


if __name__ == "__main__":
    asyncio.run(main())

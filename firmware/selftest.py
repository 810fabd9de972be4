"""Self-test on a board: `make selftest PORT=...` runs it with `mpremote run`.

Prints every channel's counts (and mV at the pin) twice a second for a few
seconds, then the battery; buzzes the motor once per alert pattern; checks
that BLE advertising starts. Reads the config.json `make deploy` wrote. The
watchdog stays unarmed, so the board returns to its REPL afterwards.
"""
import asyncio
import json

import boards
from edge.motor import PATTERNS, Motor
from insole.alerts import ADVISORY, LIMIT_REACHED, PRE_WARNING, REPEAT

SECONDS = 5
PRINT_MS = 500
POLL_MS = 20
ADVERTISE_MS = 2000
NAME = "insole-selftest"
KINDS = ((PRE_WARNING, "pre-warning"), (LIMIT_REACHED, "limit reached"), (REPEAT, "repeat"),
         (ADVISORY, "advisory"))


async def readings(board, cfg):
    full_mv = cfg.get("adc_full_scale_mv", 3300)
    s = board.sampler
    s.start()
    print("counts (mV at the pin) per channel at %d Hz: near 0 unloaded; press each sensor" % cfg["fs_hz"])
    last = None
    for t in range(POLL_MS, SECONDS * 1000 + 1, POLL_MS):
        await board.idle_ms(POLL_MS)
        while s.ready():
            last = s.take()
        if t % PRINT_MS == 0:
            if last is None:
                print("FAIL no samples: the sampler is not running")
            else:
                print("  ".join("%d:%5d (%4d)" % (ch, c, c * full_mv // 65535) for ch, c in enumerate(last)))
    s.newly_lost()  # counts the timer ticks that never ran
    s.stop()
    print("battery %d mV; samples dropped %d (ring full), missed %d (timer)" % (board.battery_mv(), s.dropped, s.missed))


async def buzz(board, cfg):
    motor = Motor(board.motor_pwm, max_permille=cfg.get("motor_max_permille", 1000))
    player = asyncio.create_task(motor.run())
    for kind, name in KINDS:
        if kind in PATTERNS:
            print("motor: %s" % name)
            motor.play(kind)
            await board.idle_ms(POLL_MS)
            while not motor.idle():
                await board.idle_ms(POLL_MS)
    player.cancel()


async def advertise(board):
    try:
        import bluetooth
    except ImportError:
        return await advertise_circuitpython(board)
    bluetooth.BLE().active(True)
    try:
        import aioble
    except ImportError:
        print("FAIL ble: radio on, but no aioble (make deploy installs it)")
        return
    try:
        connection = await aioble.advertise(250000, name=NAME, timeout_ms=ADVERTISE_MS)
    except asyncio.TimeoutError:
        print("ble: advertising OK as %s" % NAME)
        return
    print("ble: advertising OK; a central connected")
    await connection.disconnect()


async def advertise_circuitpython(board):
    try:
        from adafruit_ble import BLERadio
        from adafruit_ble.advertising import Advertisement
    except ImportError:
        print("ble: no bluetooth module here, nor adafruit_ble: skipped")
        return
    radio = BLERadio()
    ad = Advertisement()
    ad.complete_name = NAME
    radio.start_advertising(ad)
    await board.idle_ms(ADVERTISE_MS)
    print("ble: advertising %s as %s" % ("OK" if radio.advertising else "FAIL", NAME))
    radio.stop_advertising()


async def main():
    with open("config.json") as f:
        cfg = json.load(f)
    board = boards.load(cfg)
    print("selftest: %s (%s)" % (cfg["board"], cfg["runtime"]))
    await readings(board, cfg)
    await buzz(board, cfg)
    await advertise(board)
    print("selftest: done")


asyncio.run(main())

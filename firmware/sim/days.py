"""The virtual insole living scripted days with the break-in coach.

    micropython -m sim.days SCENARIO.json STORE_DIR     (in firmware/)

Runs the device (pipeline, schedule, alerts, clock: insole/device.py) on a
virtual clock over scripted days of wear (sim/day.py) woven from a real walk,
with the flash store (edge/store.py) in STORE_DIR, and prints JSON: each day's
limit, wear and alerts, the buzz patterns the motor was asked to play, and the
records read back from the store. The scenario:

    {"walk": PATH, "foot": "L"|"R", "fs_hz": 20, "plan": {"preset": "standard"},
     "set_time": [unix_s, utc_offset_min] or null,
     "days": [{"wear": [[kind, seconds], ...], "pain": [[second, severity], ...],
               "ack": [second, ...], "snooze": [second, ...]}, ...]}

Each day's wear script is padded with "off" to 24 h.
"""
import gc
import json
import sys
from array import array

from edge.motor import PATTERNS
from edge.store import Store
from insole.alerts import EVENT_LEN
from insole.clock import DAY_S
from insole.device import Device
from sim import config_path, day
from sim.recordings import GaitpdbReader


def run(scenario, store_dir):
    with open(config_path("sim")) as f:
        cfg = json.load(f)
    cfg["fs_hz"] = scenario.get("fs_hz", cfg["fs_hz"])
    fs = cfg["fs_hz"]
    buzzes = []
    dev = Device(cfg, scenario.get("plan"), buzz=lambda kind: buzzes.append([dev.clock.day, dev.clock.second, kind]))
    store = Store(store_dir)
    dev.restore(store)
    if scenario.get("set_time"):
        dev.set_time(*scenario["set_time"])
    adc = day.make_adc(cfg)
    blocks = day.render_blocks(GaitpdbReader(scenario["walk"], scenario.get("foot", "L")), fs, adc)
    event = array("i", [0] * EVENT_LEN)
    days = []
    for script in scenario["days"]:
        wear = [(k, int(s)) for k, s in script["wear"]]
        pad = DAY_S - sum(s for _, s in wear)
        if pad < 0:
            raise ValueError("a day's wear script is longer than 24 h")
        samples = day.ScriptedDay(wear + [("off", pad)], blocks, fs, adc.channels)
        actions = {}
        for second, severity in script.get("pain", ()):
            actions[second] = ("pain", severity)
        for second in script.get("ack", ()):
            actions[second] = ("ack", 0)
        for second in script.get("snooze", ()):
            actions[second] = ("snooze", 0)
        today = {"day": dev.clock.day, "limit_s": dev.schedule.limit_s(), "alerts": [], "pain": []}
        gc.collect()
        second = 0
        for counts in samples:
            if dev.at_second() and second in actions:
                what, arg = actions[second]
                if what == "pain":
                    today["pain"].append([second, arg, dev.report_pain(arg), dev.schedule.limit_s()])
                elif what == "ack":
                    dev.ack_alert()
                else:
                    dev.snooze()
            dev.sample(counts)
            if dev.at_second():
                second += 1
                while dev.alerts.pop(event):
                    today["alerts"].append(list(event))
                if not dev.due:
                    continue
                if dev.due & 2:
                    today["worn_s"] = dev.pipeline.wear.worn_s
                    today["advisory"] = dev.schedule.advisory
                dev.service(store)
        days.append(today)
    records = list(store.records_after(0))
    return {"fs_hz": fs, "days": days, "records": records,
            "buzz": [[d, s, k, len(PATTERNS.get(k, ()))] for d, s, k in buzzes],
            "store": {"corrupt": store.corrupt, "dropped": store.dropped}}


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: micropython -m sim.days SCENARIO.json STORE_DIR\n")
        return 2
    try:
        with open(argv[0]) as f:
            scenario = json.load(f)
        result = run(scenario, argv[1])
    except (ValueError, OSError, KeyError) as e:
        sys.stderr.write("days: %s\n" % e)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

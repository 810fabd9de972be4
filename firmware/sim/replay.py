"""The virtual insole's replay: a recording through the firmware core, JSON out.

Runs under the `micropython` unix port (and CPython):

    micropython replay.py FILE --foot L|R [--format gaitpdb|gaitndd]
                          [--config PATH] [--fault CH:open|short|saturate]
                          [--day SCHEDULE.json]

With --day, FILE's walk is woven into a scripted day (sim/day.py) and only
the day's totals are printed, not every step.

Forces in newtons go through the modelled FSR + divider + ADC (sim/fsr.py);
the core only ever sees counts and calibrates them back.
"""
import gc
import json
import sys
from array import array

from insole.gait import cadence_x10
from insole.pipeline import Pipeline
from sim import config_path, day
from sim.recordings import GaitnddReader, GaitpdbReader

USAGE = ("usage: replay.py FILE --foot L|R [--format gaitpdb|gaitndd] [--config PATH]"
         " [--fault CH:KIND] [--day SCHEDULE.json]")


def parse_args(argv):
    opts = {"file": None, "foot": None, "format": "gaitpdb", "config": None, "faults": [], "day": None}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--foot", "--format", "--config", "--fault", "--day"):
            if i + 1 >= len(argv):
                raise ValueError("%s needs a value" % a)
            v = argv[i + 1]
            if a == "--fault":
                opts["faults"].append(v)
            else:
                opts[a[2:]] = v
            i += 2
        elif a == "--json":
            i += 1
        elif a.startswith("-"):
            raise ValueError("unknown option " + a)
        elif opts["file"] is None:
            opts["file"] = a
            i += 1
        else:
            raise ValueError("unexpected argument " + a)
    if not opts["file"] or opts["foot"] not in ("L", "R"):
        raise ValueError("need FILE and --foot L or R")
    if opts["format"] not in ("gaitpdb", "gaitndd"):
        raise ValueError("--format is gaitpdb or gaitndd")
    return opts


def load_config(opts):
    path = opts["config"] or config_path("default" if opts["format"] == "gaitpdb" else "gaitndd")
    with open(path) as f:
        return json.load(f)


def source(opts, cfg):
    """Counts per sample from the recording, and the reader (for its errors)."""
    if opts["format"] == "gaitndd":
        base = opts["file"]
        if base.endswith(".let") or base.endswith(".rit"):
            base = base[:-4]
        reader = GaitnddReader(base + (".let" if opts["foot"] == "L" else ".rit"))
        return reader, reader
    reader = GaitpdbReader(opts["file"], opts["foot"])
    adc = day.make_adc(cfg)
    for spec in opts["faults"]:
        ch, _, kind = spec.partition(":")
        adc.fault(int(ch), kind)
    if opts["day"]:
        with open(opts["day"]) as f:
            schedule = [(k, int(s)) for k, s in json.load(f)]
        blocks = day.render_blocks(reader, cfg["fs_hz"], adc)
        return day.ScriptedDay(schedule, blocks, cfg["fs_hz"], adc.channels), reader

    def counts():
        buf = array("H", [0] * adc.channels)
        for forces in reader:
            adc.read(forces, buf)
            yield buf

    return counts(), reader


def replay(opts):
    cfg = load_config(opts)
    pipe = Pipeline(cfg)
    fs = pipe.fs
    gait = pipe.gait
    pron = pipe.pronation
    samples, reader = source(opts, cfg)
    stance = []
    mli = []
    cpei = []
    strides = []
    n = 0
    last_heel = None
    ring = len(gait.heel)
    keep_steps = not opts["day"]
    gc.collect()  # setup garbage left in the heap slows every later allocation
    for counts in samples:
        if pipe.feed(counts) == 2:
            i = (gait.steps - 1) % ring
            hs = gait.heel[i]
            if keep_steps:
                stance.append([hs / fs, gait.toe[i] / fs])
            if last_heel is not None and hs - last_heel <= gait.max_stride:
                strides.append(hs - last_heel)
            last_heel = hs
            if pron:
                j = (pron.steps - 1) % ring
                mli.append(pron.mli[j])
                cpei.append(pron.cpei[j])
        n += 1
    result = _result(opts, pipe, cfg, reader, n, stance, strides, mli, cpei)
    if opts["day"]:
        for key in ("stance", "strides_s"):
            result.pop(key)
        for key in ("per_step_permille", "cpei_per_step_permille"):
            if result["pronation"]:
                result["pronation"].pop(key)
    return result


def _result(opts, pipe, cfg, reader, n, stance, strides, mli, cpei):
    fs = pipe.fs
    health = pipe.health
    channels = []
    for ch, s in enumerate(cfg["sensors"]):
        channels.append({"channel": ch, "name": s.get("name", str(ch)), "status": health.status(ch),
                         "peak_avg_n": health.peak_avg[ch] / 10})
    result = {
        "file": opts["file"],
        "foot": opts["foot"],
        "fs_hz": fs,
        "samples": n,
        "duration_s": n / fs,
        "steps": pipe.gait.steps,
        "stance": [[round(a, 3), round(b, 3)] for a, b in stance],
        "strides_s": [round(s / fs, 3) for s in strides],
        "cadence_spm": cadence_x10(strides, len(strides), fs, [0] * len(strides)) / 10,
        "wear_s": pipe.wear.worn_s,
        "pronation": None,
        "channels": channels,
        "errors": [{"at": at, "error": msg} for at, msg in reader.errors],
    }
    if pipe.pronation:
        result["pronation"] = {
            "per_step_permille": mli,
            "median_permille": median(mli),
            "cpei_per_step_permille": cpei,
            "cpei_median_permille": median(cpei),
        }
    return result


def median(values):
    if not values:
        return None
    s = sorted(values)
    return s[(len(s) - 1) // 2]


def main(argv):
    try:
        opts = parse_args(argv)
        result = replay(opts)
    except (ValueError, OSError) as e:
        sys.stderr.write("replay: %s\n%s\n" % (e, USAGE))
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The virtual insole's replay: a recording through the firmware core, JSON out.

Runs under the `micropython` unix port (and CPython) as a module of the
firmware tree, which must be on the path (MICROPYPATH / PYTHONPATH):

    MICROPYPATH=firmware micropython -m sim.replay FILE --foot L|R
        [--format gaitpdb|gaitndd] [--config PATH] [--fault CH:open|short|saturate]
        [--day SCHEDULE.json]

A gaitndd record is named by its base path or any of its files (.hea, .let,
.rit); a .hea/.let/.rit path means gaitndd. With --day, FILE's walk is woven
into a scripted day (sim/day.py) and only the day's totals are printed.

Memory stays bounded whatever the recording's length, as on the board: the
readers read in chunks; the medians come from histograms (the MLI and CPEI
from the day record's, the stride from one of stride lengths); the per-step
lists keep the first MAX_LISTED steps (`listed_steps` says how many) and are
written straight to stdout; reader errors keep the first few and a count.

Forces in newtons go through the modelled FSR + divider + ADC (sim/fsr.py);
the core only ever sees counts and calibrates them back.

A bad recording or argument ends with one line on stderr, `replay: ...`,
and exit status 2 (argument) or 3 (recording); see README's table.
"""
import gc
import json
import sys
from array import array

from insole.pipeline import Pipeline
from insole.record import DaySummary
from sim import config_path, day
from sim.recordings import GaitnddReader, GaitpdbReader, RecordingError, check_file

USAGE = ("usage: micropython -m sim.replay FILE --foot L|R [--format gaitpdb|gaitndd] [--config PATH]"
         " [--fault CH:KIND] [--day SCHEDULE.json]")
GAITNDD_FILES = (".hea", ".let", ".rit")
MAX_LISTED = 5000
FAULTS = ("open", "short", "saturate")
EXIT_ARGS = 2
EXIT_RECORDING = 3


def parse_fault(spec):
    """CH:KIND -> (channel, kind)."""
    ch, _, kind = spec.partition(":")
    if not ch.isdigit() or kind not in FAULTS:
        raise ValueError("--fault is CH:KIND with KIND one of %s, not %r" % (", ".join(FAULTS), spec))
    return int(ch), kind


def parse_args(argv):
    opts = {"file": None, "foot": None, "format": None, "config": None, "faults": [], "day": None}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--foot", "--format", "--config", "--fault", "--day"):
            if i + 1 >= len(argv):
                raise ValueError("%s needs a value" % a)
            v = argv[i + 1]
            if a == "--fault":
                opts["faults"].append(parse_fault(v))
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
    named_ndd = opts["file"][-4:] in GAITNDD_FILES
    if opts["format"] is None:
        opts["format"] = "gaitndd" if named_ndd else "gaitpdb"
    if opts["format"] not in ("gaitpdb", "gaitndd"):
        raise ValueError("--format is gaitpdb or gaitndd")
    if named_ndd and opts["format"] != "gaitndd":
        raise ValueError("%s is a gaitndd file: use --format gaitndd" % opts["file"])
    if opts["faults"] and opts["format"] == "gaitndd":
        raise ValueError("--fault breaks a modelled sensor of a gaitpdb walk; a gaitndd record is its own counts")
    return opts


def load_config(opts):
    path = opts["config"] or config_path("sim" if opts["format"] == "gaitpdb" else "gaitndd")
    with open(path) as f:
        return json.load(f)


def source(opts, cfg):
    """Counts per sample from the recording, and the reader (for its errors)."""
    if opts["format"] == "gaitndd":
        base = opts["file"]
        if base[-4:] in GAITNDD_FILES:
            base = base[:-4]
        reader = GaitnddReader(base + (".let" if opts["foot"] == "L" else ".rit"))
        return reader, reader
    check_file(opts["file"])
    reader = GaitpdbReader(opts["file"], opts["foot"])
    adc = day.make_adc(cfg)
    for ch, kind in opts["faults"]:
        adc.fault(ch, kind)
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


class Steps:
    """What the replay keeps of the steps: bounded, however long the recording."""

    def __init__(self, pipe, listed):
        self.pipe = pipe
        self.listed = listed
        self.heel = array("i", [0] * listed)
        self.toe = array("i", [0] * listed)
        self.mli = array("h", [0] * listed)
        self.cpei = array("h", [0] * listed)
        self.strides = array("i", [0] * listed)
        self.stride_hist = array("I", [0] * (pipe.gait.max_stride + 1))
        self.stride_count = 0
        self.summary = DaySummary()
        self.last_heel = -1

    def add(self):
        """Keep the step the pipeline has just completed."""
        gait = self.pipe.gait
        pron = self.pipe.pronation
        k = gait.steps - 1
        i = k % len(gait.heel)
        hs = gait.heel[i]
        if 0 <= self.last_heel and hs - self.last_heel <= gait.max_stride:
            stride = hs - self.last_heel
            self.stride_hist[stride] += 1
            if self.stride_count < self.listed:
                self.strides[self.stride_count] = stride
            self.stride_count += 1
        self.last_heel = hs
        if k < self.listed:
            self.heel[k] = hs
            self.toe[k] = gait.toe[i]
        if pron:
            j = (pron.steps - 1) % len(pron.mli)
            self.summary.add_step(pron.mli[j], pron.cpei[j])
            if k < self.listed:
                self.mli[k] = pron.mli[j]
                self.cpei[k] = pron.cpei[j]

    def median_stride(self):
        """Lower median stride (samples) from the histogram; 0 if none."""
        rank = (self.stride_count - 1) // 2
        seen = 0
        for s in range(len(self.stride_hist)):
            seen += self.stride_hist[s]
            if seen > rank:
                return s
        return 0


def replay(opts):
    """Run the recording through a Pipeline; the result dict and the kept Steps."""
    cfg = load_config(opts)
    pipe = Pipeline(cfg)
    samples, reader = source(opts, cfg)
    steps = Steps(pipe, 0 if opts["day"] else MAX_LISTED)
    n = 0
    gc.collect()  # setup garbage left in the heap slows every later allocation
    for counts in samples:
        if pipe.feed(counts) == 2:
            steps.add()
        n += 1
    if not n:
        raise RecordingError("%s: no samples (%d lines skipped)" % (opts["file"], reader.error_count))
    return _result(opts, pipe, cfg, reader, n, steps), steps


def _result(opts, pipe, cfg, reader, n, steps):
    fs = pipe.fs
    health = pipe.health
    channels = []
    for ch, s in enumerate(cfg["sensors"]):
        channels.append({"channel": ch, "name": s.get("name", str(ch)), "status": health.status(ch),
                         "flagged": health.flagged(ch), "peak_avg_n": health.peak_avg[ch] / 10})
    m = steps.median_stride()
    result = {
        "file": opts["file"],
        "foot": opts["foot"],
        "fs_hz": fs,
        "samples": n,
        "duration_s": n / fs,
        "steps": pipe.gait.steps,
        "listed_steps": min(pipe.gait.steps, steps.listed),
        "cadence_spm": ((1200 * fs + m // 2) // m) / 10 if m else 0,
        "wear_s": pipe.wear.worn_s,
        "pronation": None,
        "channels": channels,
        "errors": [{"at": at, "error": msg} for at, msg in reader.errors],
        "error_count": reader.error_count,
    }
    if pipe.pronation:
        result["pronation"] = {
            "median_permille": steps.summary.mli_median() if steps.summary.steps else None,
            "cpei_median_permille": steps.summary.close(0, 0, 0)["cpei_median"] if steps.summary.steps else None,
        }
    return result


class _Out:
    """Writes to `out` in pieces of a few KB (one system call each, not one per number)."""

    def __init__(self, out):
        self.out = out
        self.parts = []

    def write(self, text):
        self.parts.append(text)
        if len(self.parts) >= 256:
            self.flush()

    def flush(self):
        self.out.write("".join(self.parts))
        self.parts = []

    def numbers(self, values, k, scale=0):
        """values[:k] as a JSON list; seconds to the ms when `scale` is the sample rate."""
        self.write("[")
        for i in range(k):
            sep = "," if i else ""
            self.write("%s%.3f" % (sep, values[i] / scale) if scale else "%s%d" % (sep, values[i]))
        self.write("]")


def write(out, result, steps, per_step):
    """The result as one JSON object on one line; with `per_step`, the kept step lists too."""
    if not per_step:
        out.write(json.dumps(result) + "\n")
        return
    pron = result.pop("pronation")
    fs = result["fs_hz"]
    k = result["listed_steps"]
    w = _Out(out)
    w.write(json.dumps(result)[:-1] + ', "stance": [')
    for i in range(k):
        w.write("%s[%.3f,%.3f]" % ("," if i else "", steps.heel[i] / fs, steps.toe[i] / fs))
    w.write('], "strides_s": ')
    w.numbers(steps.strides, min(steps.stride_count, steps.listed), fs)
    if pron:
        w.write(', "pronation": ' + json.dumps(pron)[:-1] + ', "per_step_permille": ')
        w.numbers(steps.mli, k)
        w.write(', "cpei_per_step_permille": ')
        w.numbers(steps.cpei, k)
        w.write("}")
    else:
        w.write(', "pronation": null')
    w.write("}\n")
    w.flush()


def main(argv):
    try:
        opts = parse_args(argv)
    except ValueError as e:
        sys.stderr.write("replay: %s\n%s\n" % (e, USAGE))
        return EXIT_ARGS
    try:
        result, steps = replay(opts)
    except (ValueError, OSError) as e:
        sys.stderr.write("replay: %s\n" % (e if str(e) else type(e).__name__))
        return EXIT_RECORDING
    except MemoryError:
        sys.stderr.write("replay: out of memory (raise the heap: micropython -X heapsize=...)\n")
        return EXIT_RECORDING
    write(sys.stdout, result, steps, not opts["day"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

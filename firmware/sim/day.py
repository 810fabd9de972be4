"""Scripted days for the virtual insole: real walks between standing, sitting,
short unloaded gaps and long off-foot periods.

A schedule is a list of (kind, seconds) with kind one of:
    walk   the next stretch of a real gaitpdb walk (looped)
    stand  both feet loaded: the walk's mean stance load, with a slow sway
    sit    shoes on while seated: a tenth of that load
    gap    shoes on, foot unloaded (legs crossed or lifted)
    off    shoes off, on a shelf
Each kind is rendered once through the modelled FSR + ADC into a block of
count samples that the day loops over, so a 16 h day replays quickly.
"""
import math
from array import array

from insole.compat import zeros
from sim.fsr import FsrAdc
from sim.recordings import GAITPDB_FS

KINDS = ("walk", "stand", "sit", "gap", "off")
BLOCK_S = 20
SWAY = 0.03    # postural sway while standing or seated: +-3 % of the load,
SWAY_S = 5     # over 5 s (a block holds whole periods)


def _count_rows(path):
    with open(path) as f:
        return sum(1 for _ in f)


def render_blocks(reader, fs_hz, adc, fit=None, into=None):
    """Count blocks for every kind, from one foot of a gaitpdb walk (100 Hz),
    its forces changed by `fit` (a sim/fit.py Fit) when given; rendered into
    `into`'s arrays when given (the same walk's blocks: no new ones are allocated).

    A block is a flat array of counts, `channels` per row, so a day's worth of
    samples costs no object per row. Below 100 Hz the walk is decimated.
    """
    n = adc.channels
    every = max(1, GAITPDB_FS // fs_hz)
    walk = into["walk"] if into else zeros("H", (_count_rows(reader.path) // every + 1) * n)
    stance = [0.0] * n
    loaded = 0
    rows = 0
    buf = array("H", [0] * n)
    for i, forces in enumerate(reader):
        if i % every:
            continue
        if fit:
            fit.apply(forces)
        adc.read(forces, buf)
        if (rows + 1) * n > len(walk):
            raise ValueError("the walk has more rows than the block it renders into")
        walk[rows * n:(rows + 1) * n] = buf
        rows += 1
        if sum(forces) > 100:
            for ch in range(n):
                stance[ch] += forces[ch]
            loaded += 1
    if not loaded:
        raise ValueError("the walk never loads the insole")
    if into and rows * n != len(walk):
        raise ValueError("the walk has fewer rows than the block it renders into")
    blocks = {"walk": walk if into else walk[:rows * n]}
    stance = [f / loaded for f in stance]
    for kind, scale in (("stand", 1.0), ("sit", 0.1), ("gap", 0.0), ("off", 0.0)):
        size = BLOCK_S * fs_hz
        block = into[kind] if into else zeros("H", size * n)
        for i in range(size):
            sway = 1.0 + SWAY * math.sin(2 * math.pi * i / (SWAY_S * fs_hz))
            adc.read([f * scale * sway for f in stance], buf)
            block[i * n:(i + 1) * n] = buf
        blocks[kind] = block
    return blocks


class ScriptedDay:
    """Yields count samples (one reused buffer) for a schedule; walks resume where the last one stopped."""

    def __init__(self, schedule, blocks, fs_hz, channels):
        for kind, seconds in schedule:
            if kind not in KINDS or seconds < 0:
                raise ValueError("schedule: bad segment (%r, %r)" % (kind, seconds))
        self.schedule = schedule
        self.blocks = blocks
        self.fs = fs_hz
        self.channels = channels
        self.walk_pos = 0

    def __iter__(self):
        n = self.channels
        buf = array("H", [0] * n)
        for kind, seconds in self.schedule:
            block = self.blocks[kind]
            end = len(block)
            i = self.walk_pos if kind == "walk" else 0
            for _ in range(seconds * self.fs):
                for ch in range(n):
                    buf[ch] = block[i + ch]
                yield buf
                i += n
                if i == end:
                    i = 0
            if kind == "walk":
                self.walk_pos = i


def make_adc(cfg, seed=1):
    """The modelled sensors of a board config."""
    return FsrAdc(len(cfg["sensors"]), cfg["fsr"]["f_half_n"], cfg["adc_bits"], seed=seed)

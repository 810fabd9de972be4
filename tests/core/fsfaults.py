"""A flash that fills, power cuts in-process, and scratch directories, for the core tests.

Runs under CPython and MicroPython. A flash whose power fails is the sim board's
(sim/flash.py's PowerFs).
"""
import os
from binascii import hexlify

from edge.store import ENOSPC
from sim.flash import PowerFs

DIR_FLAG = 0x4000


class FullFs(PowerFs):
    """A flash of `capacity` bytes under `root`: a write that does not fit lands what
    fits and raises OSError(ENOSPC), as a filesystem does."""

    def __init__(self, root, capacity):
        PowerFs.__init__(self)
        self.root = root
        self.capacity = capacity
        self.full = 0

    def vet_write(self, file, data):
        size = os.stat(file.path)[6]
        free = self.capacity - tree_size(self.root)
        pos = file.tell()
        if pos + len(data) - size > free:
            file.raw_write(data[:max(0, size + free - pos)])
            self.full += 1
            raise OSError(ENOSPC, "no space left on device")
        return PowerFs.vet_write(self, file, data)


class PowerCut(Exception):
    """The power went (in-process tests)."""


def cut():
    raise PowerCut()


def new_dir(tag):
    """A fresh directory under /tmp (MicroPython has no tempfile)."""
    path = "/tmp/insole-%s-%s" % (tag, hexlify(os.urandom(4)).decode())
    os.mkdir(path)
    return path


def _is_dir(path):
    return os.stat(path)[0] & DIR_FLAG


def tree_size(path):
    total = 0
    for name in os.listdir(path):
        p = path + "/" + name
        total += tree_size(p) if _is_dir(p) else os.stat(p)[6]
    return total


def remove_tree(path):
    for name in os.listdir(path):
        p = path + "/" + name
        if _is_dir(p):
            remove_tree(p)
        else:
            os.remove(p)
    os.rmdir(path)

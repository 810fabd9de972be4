"""Filesystems that fail on purpose, and scratch directories, for the store's tests.

Runs under CPython and MicroPython (the power-cut worker uses it too).
"""
import os
from binascii import hexlify

from edge.store import ENOSPC, OsFs

DIR_FLAG = 0x4000


class _WriteFile:
    """A file opened for writing whose writes the owning filesystem vets."""

    def __init__(self, fs, path, f):
        self.fs = fs
        self.path = path
        self.f = f
        self.pos = 0

    def seek(self, pos):
        self.pos = pos
        self.f.seek(pos)

    def write(self, data):
        n = self.fs.vet_write(self, data)
        self.pos += n
        return n

    def raw_write(self, data):
        n = self.f.write(data)
        self.f.flush()
        return n

    def flush(self):
        self.f.flush()

    def fileno(self):
        return self.f.fileno()

    def close(self):
        self.f.close()


class _VettedFs(OsFs):
    def open(self, path, mode):
        f = OsFs.open(self, path, mode)
        return f if mode == "rb" else _WriteFile(self, path, f)

    def vet_write(self, file, data):
        return file.raw_write(data)


class TearingFs(_VettedFs):
    """Cuts the power at mutating operation number `cut_at` (writes, renames, removes; 1-based).

    A write cut there lands only its first bytes (how many depends on `cut_at`,
    from none to all but one); a rename or remove is not done. Then `on_cut()`
    runs, which must not return: it raises, or blocks until the process is killed.
    """

    def __init__(self, cut_at, on_cut):
        self.cut_at = cut_at
        self.on_cut = on_cut
        self.ops = 0

    def _cut_now(self):
        self.ops += 1
        return self.ops == self.cut_at

    def vet_write(self, file, data):
        if self._cut_now():
            file.raw_write(data[:self.cut_at * 7919 % len(data)])
            self.on_cut()
        return file.raw_write(data)

    def rename(self, src, dst):
        if self._cut_now():
            self.on_cut()
        OsFs.rename(self, src, dst)

    def remove(self, path):
        if self._cut_now():
            self.on_cut()
        OsFs.remove(self, path)


class FullFs(_VettedFs):
    """A flash of `capacity` bytes under `root`: a write that does not fit lands what
    fits and raises OSError(ENOSPC), as a filesystem does."""

    def __init__(self, root, capacity):
        self.root = root
        self.capacity = capacity
        self.full = 0

    def vet_write(self, file, data):
        size = os.stat(file.path)[6]
        free = self.capacity - tree_size(self.root)
        if file.pos + len(data) - size > free:
            file.raw_write(data[:max(0, size + free - file.pos)])
            self.full += 1
            raise OSError(ENOSPC, "no space left on device")
        return file.raw_write(data)


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

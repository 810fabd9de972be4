"""The sim board's flash: a filesystem whose power can fail, and which can log what it did."""
from edge.store import OsFs


class PowerFs(OsFs):
    """The port's filesystem, its mutating operations (writes, renames, removes) counted from 1.

    At operation `cut_at` (0: never) the power fails: a write lands only its
    first bytes (how many depends on `cut_at`, from none to all but one), a
    rename or remove is not done, and `on_cut()` runs, which must not return
    (it raises, or kills the process). `log`, a file or None, gets a line for
    each operation completed while the power was on: `rename SRC DST`,
    `remove PATH`, and `write PATH HEX` (the bytes a file was written, when it
    is closed).
    """

    def __init__(self, cut_at=0, on_cut=None, log=None):
        self.cut_at = cut_at
        self.on_cut = on_cut
        self.log = log
        self.ops = 0

    def _cut_now(self):
        self.ops += 1
        return self.ops == self.cut_at

    def powered(self):
        """True until the power fails."""
        return not self.cut_at or self.ops < self.cut_at

    def open(self, path, mode):
        f = OsFs.open(self, path, mode)
        return _File(self, path, f) if "w" in mode or "a" in mode or "+" in mode else f

    def vet_write(self, file, data):
        """Land `data` in `file` (torn at the cut); a subclass may refuse it first."""
        if self._cut_now():
            file.raw_write(data[:self.cut_at * 7919 % len(data)] if data else b"")
            self._cut()
        return file.raw_write(data)

    def _cut(self):
        self.on_cut()
        raise RuntimeError("PowerFs: on_cut returned, but nothing may run once the power is off")

    def rename(self, src, dst):
        if self._cut_now():
            self._cut()
        OsFs.rename(self, src, dst)
        self.note("rename %s %s" % (src, dst))

    def remove(self, path):
        if self._cut_now():
            self._cut()
        OsFs.remove(self, path)
        self.note("remove " + path)

    def note(self, line):
        if self.log and self.powered():
            self.log.write(line + "\n")
            self.log.flush()


class _File:
    """A file opened for writing, whose writes its PowerFs vets; `landed` is what reached
    it (kept only for the PowerFs's log)."""

    def __init__(self, fs, path, f):
        self.fs = fs
        self.path = path
        self.f = f
        self.landed = b""

    def seek(self, pos):
        self.f.seek(pos)

    def tell(self):
        return self.f.tell()

    def write(self, data):
        return self.fs.vet_write(self, data)

    def raw_write(self, data):
        n = self.f.write(data)
        self.f.flush()
        if self.fs.log:
            self.landed += bytes(data)
        return n

    def flush(self):
        self.f.flush()

    def fileno(self):
        return self.f.fileno()

    def close(self):
        self.f.close()
        self.fs.note("write %s %s" % (self.path, self.landed.hex()))

"""Power-loss-safe storage on the board's flash: the daily record log, the
open day's checkpoint with the device's state, and the numbering floor.

Files under `root`:

    log/00000001.rec ...  the append-only log: segments of up to
                          `segment_records` records (record.SIZE bytes each),
                          each named by the seq of its first record
    ckpt.a, ckpt.b        the open day's checkpoint (a PARTIAL record), or the
                          day just closed while it goes into the log, with the
                          device's state (bytes) after the record: two slots
                          written in place by turns, each a generation, a
                          length, the record and state, and a CRC-32; the
                          newest whole one counts
    meta.a, meta.b        the numbering floor (the next record's seq) twice,
                          each with a generation and a CRC: the seq never goes
                          back, even with the checkpoint lost and the log empty
    meta.tmp              where the floor's atomic writes land before their rename

The checkpoint is the store's most frequent write, so it costs one write of
one file and no rename: a cut tears only the slot being written, and the
other slot still holds the one before (on FAT every file operation rewrites a
directory sector, and a rename takes two or three).

Atomic write (the floor): write the .tmp, flush, rename it over the target,
sync. A .tmp is truncated when a write starts and gone once renamed, so a
valid .tmp found at start-up is the newest copy and is rolled forward (this
also covers FAT, where the rename has to remove the target first).

Record N is only ever written at slot N - S of the segment named S, so no
seq is stored twice. Closing day N, exactly once whatever instant the power
goes:
    1. the checkpoint becomes the closed record N (PARTIAL clear);
    2. record N is written to its slot in the log;
    3. the numbering floor becomes N + 1;
    4. the checkpoint becomes day N + 1's opening record (PARTIAL).
The state beside the closed record in step 1 is already the next day's, so a
cut anywhere restores the same state.
`recover()` counts a torn tail (a partial record at the log's end) as corrupt
and writes a closed checkpoint into the log when its slot is past the end or
corrupt. A torn tail is always the append of step 2, so that write covers it
(instead of a truncate, which MicroPython files lack).

Flash full: before an append would pass `budget_bytes`, and whenever the
filesystem raises ENOSPC, the oldest segment is removed and the write tried
again. The log's first seq is the persistent drop counter: `dropped` = first - 1.

How often the checkpoint is written is the device's business (insole/device.py).
"""
import errno
import os
import struct

from insole import record
from insole.record import FLAG_PARTIAL, SIZE, RecordError

ENOSPC = getattr(errno, "ENOSPC", 28)  # MicroPython's errno module leaves it out; the value is 28
META_MAGIC = b"IC"
_META_HEAD = "<2sIH"  # magic, generation, blob length; the blob and a CRC-32 follow
_CRC = "<I"
_META_HEAD_SIZE = struct.calcsize(_META_HEAD)
_fsync = getattr(os, "fsync", None)
_sync = getattr(os, "sync", None)


class OsFs:
    """The filesystem through `os`: MicroPython (LittleFS, FAT, unix), CircuitPython, CPython."""

    def open(self, path, mode):
        return open(path, mode)

    def rename(self, src, dst):
        try:
            os.rename(src, dst)
        except OSError as e:
            if e.errno != errno.EEXIST:
                raise
            os.remove(dst)  # FAT will not rename over a file; a cut here leaves the .tmp, rolled forward
            os.rename(src, dst)

    def remove(self, path):
        os.remove(path)

    def listdir(self, path):
        return os.listdir(path)

    def mkdir(self, path):
        os.mkdir(path)

    def stat(self, path):
        return os.stat(path)

    def flush(self, f):
        """Push a file's written bytes to the medium."""
        f.flush()
        if _fsync:
            _fsync(f.fileno())

    def sync(self):
        """Commit the filesystem's metadata (a rename) where the port can."""
        if _sync:
            _sync()


def _pack_meta(generation, blob):
    body = struct.pack(_META_HEAD, META_MAGIC, generation, len(blob)) + blob
    return body + struct.pack("<I", record.crc32(body) & 0xFFFFFFFF)


def _unpack_meta(data):
    """(generation, blob) of a meta file's bytes; (0, None) if missing, torn or corrupt."""
    if data is None or len(data) < _META_HEAD_SIZE + 4:
        return 0, None
    magic, generation, n = struct.unpack_from(_META_HEAD, data, 0)
    end = _META_HEAD_SIZE + n
    if magic != META_MAGIC or len(data) != end + 4:
        return 0, None
    if struct.unpack_from("<I", data, end)[0] != record.crc32(memoryview(data)[:end]) & 0xFFFFFFFF:
        return 0, None
    return generation, bytes(data[_META_HEAD_SIZE:end])


def _crc(data):
    return struct.pack(_CRC, record.crc32(data) & 0xFFFFFFFF)


_SLOT_HEAD = "<IH"  # generation, length of the record and state after it
_SLOT_HEAD_SIZE = struct.calcsize(_SLOT_HEAD)


def _pack_slot(generation, data, state):
    """A checkpoint slot's bytes: generation, length, the record and state, a CRC-32."""
    body = struct.pack(_SLOT_HEAD, generation, SIZE + len(state)) + bytes(data) + state
    return body + _crc(body)


def _unpack_slot(data):
    """(generation, record, state) of a slot's bytes; None if missing, torn or corrupt."""
    if data is None or len(data) < _SLOT_HEAD_SIZE + SIZE + 4:
        return None
    generation, n = struct.unpack_from(_SLOT_HEAD, data, 0)
    end = _SLOT_HEAD_SIZE + n
    if n < SIZE or len(data) < end + 4 or bytes(data[end:end + 4]) != _crc(memoryview(data)[:end]):
        return None
    record_end = _SLOT_HEAD_SIZE + SIZE
    try:
        record.decode(memoryview(data)[_SLOT_HEAD_SIZE:record_end])
    except RecordError:
        return None
    return generation, bytes(data[_SLOT_HEAD_SIZE:record_end]), bytes(data[record_end:end])


def _record_at(data, offset, seq):
    """The decoded record of `seq` at `offset` in a segment's bytes; None if torn or corrupt."""
    try:
        fields = record.decode(memoryview(data)[offset:offset + SIZE])
    except RecordError:
        return None
    return fields if fields["seq"] == seq else None


class Store:
    """The log, checkpoint and numbering floor of one insole; call `recover()` first."""

    def __init__(self, root, fs=None, segment_records=32, budget_bytes=64 * 1024):
        if budget_bytes < 2 * segment_records * SIZE:
            raise ValueError("budget_bytes must hold two segments: at least %d" % (2 * segment_records * SIZE))
        self.fs = fs or OsFs()
        self.root = root
        self.segment_records = segment_records
        self.budget = budget_bytes
        self.corrupt = 0
        self.open_seq = 1
        self.state = None
        self._corrupt_upto = 0
        self._segments = []
        self._tail_count = 0
        self._used = 0
        self._meta_generation = 0
        self._log = root + "/log"
        self._ckpt = (root + "/ckpt.a", root + "/ckpt.b")
        self._ckpt_generation = 0
        self._ckpt_slot = 0  # the slot the next checkpoint goes to
        self._meta = (root + "/meta.a", root + "/meta.b")
        self._meta_tmp = root + "/meta.tmp"

    # -- start-up

    def recover(self):
        """Repair whatever a power cut left; return the open day's checkpoint record
        bytes, or None. `state` is then the device state kept beside it (or None)."""
        for path in (self.root, self._log):
            self._mkdir(path)
        self._scan_log()
        self._settle_meta()
        end = max(self._end(), self._floor())
        self.open_seq = end
        self.state = None
        found = self._load_checkpoint()
        if found is None:
            return None
        data, state = found
        ck = record.decode(data)
        seq = ck["seq"]
        if ck["flags"] & FLAG_PARTIAL:
            if seq < end:
                return None
            self.open_seq = seq
            self.state = state or None
            return data
        if seq >= self._end() or (self._segments[-1] <= seq and not self._slot_ok(seq)):
            self._retry(self._put_slot, seq, data)
        self.open_seq = max(end, self._end(), seq + 1)
        self.state = state or None
        return None

    def _floor(self):
        blob = self.load_meta()
        return struct.unpack(_CRC, blob)[0] if blob and len(blob) == 4 else 1

    def _raise_floor(self, seq):
        self.save_meta(struct.pack(_CRC, seq))

    def _scan_log(self):
        names = []
        for name in self.fs.listdir(self._log):
            if len(name) == 12 and name.endswith(".rec") and name[:8].isdigit():
                names.append(int(name[:8]))
        names.sort()
        self._segments = names
        self._used = 0
        self._tail_count = 0
        for first in names:
            size = self._size(self._segment_path(first))
            self._used += size - size % SIZE
        if names:
            size = self._size(self._segment_path(names[-1]))
            self._tail_count = size // SIZE
            if size % SIZE:
                self._count_corrupt(self._end())  # a torn append; the next write to that slot covers it

    def _load_checkpoint(self):
        """(record, state) of the newest whole slot, or None; the next write goes to the other."""
        slots = [_unpack_slot(self._read(path)) for path in self._ckpt]
        newest = None
        for i in range(2):
            if slots[i] is not None and (newest is None or slots[i][0] > slots[newest][0]):
                newest = i
        if newest is None:
            self._ckpt_generation, self._ckpt_slot = 0, 0
            return None
        self._ckpt_generation, self._ckpt_slot = slots[newest][0], 1 - newest
        return slots[newest][1], slots[newest][2]

    def _write_checkpoint(self, data, state):
        generation = self._ckpt_generation + 1
        path = self._ckpt[self._ckpt_slot]
        self._retry(self._put, path, _pack_slot(generation, data, state), 0, "r+b" if self._exists(path) else "wb")
        self._ckpt_generation = generation
        self._ckpt_slot = 1 - self._ckpt_slot

    # -- the open day and its close

    def checkpoint(self, data, state=b""):
        """Write the open day's checkpoint: PARTIAL record bytes of seq `open_seq`,
        and the device's state beside them."""
        self._expect(data, self.open_seq, FLAG_PARTIAL)
        self._write_checkpoint(data, state)

    def close_day(self, closed, opening, state=b""):
        """Store the closed day (record `open_seq`) and open the next with its first
        checkpoint; `state` is the device's state for the new day.

        Raises OSError only if the filesystem stays full with the whole log removed.
        """
        seq = self.open_seq
        self._expect(closed, seq, 0)
        self._expect(opening, seq + 1, FLAG_PARTIAL)
        self._write_checkpoint(closed, state)
        self._retry(self._put_slot, seq, closed)
        self.open_seq = seq + 1
        self._raise_floor(seq + 1)
        self._write_checkpoint(opening, state)

    @staticmethod
    def _expect(data, seq, partial):
        fields = record.decode(data)
        if fields["seq"] != seq or fields["flags"] & FLAG_PARTIAL != partial:
            raise ValueError("expected a %s record of seq %d, not %s seq %d" % (
                "PARTIAL" if partial else "closed", seq,
                "PARTIAL" if fields["flags"] & FLAG_PARTIAL else "closed", fields["seq"]))

    # -- the log

    @property
    def dropped(self):
        """Records removed to make room (the log's first seq - 1)."""
        return (self._segments[0] if self._segments else self.open_seq) - 1

    def records_after(self, seq):
        """Decoded records with seq greater than `seq`, in order; corrupt ones are skipped and counted."""
        segments = list(self._segments)
        end = self._end()
        for i in range(len(segments)):
            first = segments[i]
            stop = segments[i + 1] if i + 1 < len(segments) else end
            if stop <= seq + 1:
                continue
            data = self._read(self._segment_path(first)) or b""
            for s in range(max(first, seq + 1), stop):
                fields = _record_at(data, (s - first) * SIZE, s)
                if fields is None:
                    self._count_corrupt(s)
                else:
                    yield fields

    def _count_corrupt(self, seq):
        if seq > self._corrupt_upto:  # each corrupt record counts once, however often it is read
            self.corrupt += 1
            self._corrupt_upto = seq

    def _end(self):
        """The seq the next appended record gets by position (1 for an empty log)."""
        return self._segments[-1] + self._tail_count if self._segments else 1

    def _segment_path(self, first):
        return "%s/%08d.rec" % (self._log, first)

    def _slot_ok(self, seq):
        tail = self._segments[-1]
        return _record_at(self._read(self._segment_path(tail)) or b"", (seq - tail) * SIZE, seq) is not None

    def _put_slot(self, seq, data):
        """Write record `seq` at its slot: in the tail segment, or first in a new one."""
        segments = self._segments
        tail = segments[-1] if segments else None
        if tail is not None and tail <= seq <= tail + self._tail_count and seq - tail < self.segment_records:
            first = tail
        else:
            first = seq
        index = seq - first
        grows = first != tail or index == self._tail_count
        while grows and segments and segments[0] != first and self._used + SIZE > self.budget:
            self._drop_oldest()
        self._put(self._segment_path(first), data, index * SIZE, "r+b" if first in segments else "wb")
        if first not in segments:
            segments.append(first)
            self._tail_count = 0
        if grows:
            self._tail_count += 1
            self._used += SIZE

    def drop_records(self):
        """Remove every stored record (a factory reset); the numbering goes on, so the
        next record's seq stays above every one a host has pulled."""
        self._raise_floor(self.open_seq)
        while self._drop_oldest():
            pass

    def _drop_oldest(self):
        """Remove the oldest segment; False if the log is empty."""
        if not self._segments:
            return False
        path = self._segment_path(self._segments[0])
        size = self._size(path)
        self.fs.remove(path)
        self._segments.pop(0)
        self._used -= size - size % SIZE
        if not self._segments:
            self._tail_count = 0
        return True

    # -- the numbering floor's two copies (a small blob kept twice)

    def save_meta(self, blob):
        """Store the blob (bytes, up to 65535) in both copies, atomically each."""
        if len(blob) > 0xFFFF:
            raise ValueError("meta blob is %d bytes, at most 65535" % len(blob))
        self._meta_generation += 1
        data = _pack_meta(self._meta_generation, bytes(blob))
        for path in self._meta:
            self._write_atomic(self._meta_tmp, path, data)

    def load_meta(self):
        """The newest intact blob, or None if none was ever saved."""
        return self._newest_meta()[0][1]

    def _newest_meta(self):
        copies = [_unpack_meta(self._read(p)) for p in self._meta + (self._meta_tmp,)]
        return max(copies, key=lambda c: c[0]), copies

    def _settle_meta(self):
        """Bring both copies to the newest generation after a cut during a save."""
        best, copies = self._newest_meta()
        self._meta_generation = best[0]
        for path, copy in zip(self._meta, copies):
            if best[1] is not None and copy[0] != best[0]:
                self._write_atomic(self._meta_tmp, path, _pack_meta(best[0], best[1]))

    # -- file helpers

    def _write_atomic(self, tmp, path, data):
        self._retry(self._put, tmp, data)
        self._retry(self.fs.rename, tmp, path)
        self.fs.sync()

    def _put(self, path, data, offset=0, mode="wb"):
        f = self.fs.open(path, mode)
        try:
            if offset:
                f.seek(offset)
            f.write(data)
            self.fs.flush(f)
        finally:
            f.close()

    def _retry(self, write, *args):
        """Run a write; on ENOSPC drop the oldest segment and run it again, while one is left."""
        while True:
            try:
                return write(*args)
            except OSError as e:
                if e.errno != ENOSPC or not self._drop_oldest():
                    raise

    def _read(self, path):
        try:
            f = self.fs.open(path, "rb")
        except OSError:
            return None
        try:
            return f.read()
        finally:
            f.close()

    def _exists(self, path):
        try:
            self.fs.stat(path)
        except OSError:
            return False
        return True

    def _size(self, path):
        return self.fs.stat(path)[6]

    def _mkdir(self, path):
        try:
            self.fs.mkdir(path)
        except OSError as e:
            if e.errno != errno.EEXIST:
                raise

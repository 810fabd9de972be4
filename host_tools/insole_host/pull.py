"""The incremental pull: every record after the newest one stored, over any transport.

Records are stored in batches, one transaction each: a batch is stored when it
holds BATCH_RECORDS records or BATCH_S seconds have passed since its first one,
and whenever the stream ends, however it ends (done, a dropped link, a bad
record, Ctrl-C). The pull state (`Database.last_seq`) only ever names a stored
record, so a record is durable before any pull asks for the records after it.

A dropped link: the pull reconnects, authenticates again and asks for the
records after the newest stored one, so it resumes with no gap and no
duplicate. A bad record (CRC, a sequence going backwards) stops the pull with
PullStopped; what came before it is stored, and the next pull asks again from
there. A sequence that jumps forward is stored and the seqs it skipped are
reported in `PullResult.gaps` (`Database.gaps` finds them later too).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Optional

from insole_host.db import Database, Device
from insole_host.transport import LinkLost, Transport, TransportError

RETRIES = 3
BATCH_RECORDS = 500
BATCH_S = 1.0


class PullStopped(Exception):
    """The pull stopped on a bad record or a failed link; what came before is stored."""


@dataclass
class PullResult:
    """What one pull did. `gaps`: (first, last) seqs the insole skipped."""
    received: int = 0
    added: int = 0
    resumed: int = 0
    errors: list = field(default_factory=list)
    gaps: list = field(default_factory=list)


class _Batch:
    """Received records waiting for their transaction."""

    def __init__(self, db: Database, device: Device, result: PullResult):
        self.db, self.device, self.result = db, device, result
        self.records: list[tuple[bytes, dict]] = []
        self.since = 0.0

    def add(self, raw: bytes, fields: dict) -> None:
        """A record as the transport decoded it (with the firmware's codec)."""
        if not self.records:
            self.since = time.monotonic()
        self.records.append((raw, fields))
        if len(self.records) >= BATCH_RECORDS or time.monotonic() - self.since >= BATCH_S:
            self.store()

    def store(self) -> None:
        if self.records:
            added, errors = self.db.store_decoded(self.device, self.records)
            self.result.added += added
            self.result.errors += errors
            self.records = []


async def pull(transport: Transport, db: Database, device: Device, key: bytes,
               address: Optional[str] = None, progress: Optional[Callable[[int, int], None]] = None,
               cut_after: Optional[int] = None, on_expected: Optional[Callable[[int], None]] = None) -> PullResult:
    """Pull `device`'s new records into `db`. `on_expected(n)` hears how many records the
    insole holds past the stored ones; `progress(received, last_seq)` is told of each record;
    `cut_after` drops the link once after that many records (the demo's cut)."""
    result = PullResult()
    batch = _Batch(db, device, result)
    for attempt in range(RETRIES + 1):
        await transport.connect(address)
        after = db.last_seq(device.id)
        try:
            await transport.authenticate(key, device.id.encode())
            db.register(device)
            if on_expected and attempt == 0:
                on_expected(max(0, (await transport.read_status())["record_seq"] - after))
            expected = [after + 1]

            async def on_record(fields: dict, raw: bytes) -> None:
                seq = fields["seq"]
                if seq > expected[0]:
                    result.gaps.append((expected[0], seq - 1))
                expected[0] = seq + 1
                batch.add(raw, fields)
                result.received += 1
                if progress:
                    progress(result.received, seq)
                if cut_after is not None and result.received == cut_after and not result.resumed:
                    await transport.disconnect()  # the link drops: what was still on its way is lost
                    raise LinkLost(f"link cut after {cut_after} records", seq, cut_after)

            await transport.pull_records(after, on_record)
            return result
        except LinkLost:
            result.resumed += 1
            if attempt == RETRIES:
                raise
        except (TransportError, ValueError) as exc:  # ValueError: protocol.ProtocolError, a bad record
            batch.store()
            raise PullStopped(f"pull stopped after {result.received} records: {exc}; those are stored, "
                              f"and the next pull asks again after seq {db.last_seq(device.id)}") from exc
        finally:
            batch.store()
            await transport.disconnect()
    return result

"""The incremental pull: every record after the newest one stored, over any transport.

Each record is stored as it arrives, so a dropped link loses nothing; the pull
then reconnects, authenticates again and asks for the records after the
newest stored one, so it resumes with no gap and no duplicate.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

from insole_host.db import Database, Device
from insole_host.transport import LinkLost, Transport

RETRIES = 3


@dataclass
class PullResult:
    """What one pull did."""
    received: int = 0
    added: int = 0
    resumed: int = 0
    errors: list = field(default_factory=list)


async def pull(transport: Transport, db: Database, device: Device, key: bytes,
               address: Optional[str] = None, progress: Optional[Callable[[int, int], None]] = None,
               cut_after: Optional[int] = None) -> PullResult:
    """Pull `device`'s new records into `db`. `progress(received, last_seq)` is told of each
    record; `cut_after` drops the link once after that many records (the demo's cut)."""
    result = PullResult()
    for attempt in range(RETRIES + 1):
        await transport.connect(address)
        try:
            await transport.authenticate(key, device.id.encode())

            async def on_record(fields: dict, raw: bytes) -> None:
                added, errors = db.store_records(device, [raw])
                result.received += 1
                result.added += added
                result.errors += errors
                if progress:
                    progress(result.received, fields["seq"])
                if cut_after is not None and result.received == cut_after and not result.resumed:
                    await transport.disconnect()  # the link drops: what was still on its way is lost
                    raise LinkLost(f"link cut after {cut_after} records", fields["seq"], cut_after)

            await transport.pull_records(db.last_seq(device.id), on_record)
            return result
        except LinkLost:
            result.resumed += 1
            if attempt == RETRIES:
                raise
        finally:
            await transport.disconnect()
    return result

"""What a record pull costs on the air, modelled, and measured over Bumble.

`bench_ble()` prints and returns:

- the bytes on the air per daily record, layer by layer (below);
- a pull of 365 days over a real BLE host stack (Bumble, two virtual controllers
  on one LocalLink, LE Secure Connections, MTU 247): notifications and wall
  time, as fast as the stack goes (the virtual controller has no radio timing);
- the time the same pull takes on a radio at connection intervals of 7.5 ms and
  30 ms, computed for N notifications per connection event (N = 4 by default:
  what phones and laptop controllers commonly allow; the air itself would fit
  about 7 at 7.5 ms), and measured once more over Bumble with the stream paced
  that way.

Per record (LE 1M PHY, an encrypted link, one notification at MTU 247):

    ATT notification   opcode 1 + handle 2 + record 55 + tag 8   = 66
    L2CAP              length 2 + channel id 2                    = +4 -> 70
    LL data PDU        header 2 + payload + MIC 4                 = +6 -> 76
    PHY                preamble 1 + access address 4 + CRC 3      = +8 -> 84 bytes, 672 us

With LE Data Length Extension (LL payload up to 251) the 70-byte L2CAP PDU
goes in one LL packet; without it (27 bytes), in three (27 + 27 + 16), each
with its own 14 bytes of LL and PHY overhead: 112 bytes. Each of the insole's
packets is answered in the same connection event by the central's empty
packet (2 + 8 bytes, no MIC on an empty PDU) after 150 us, and 150 us pass
before the next exchange.
"""
from __future__ import annotations

import asyncio
import math
import tempfile
import time
from pathlib import Path

from insole import protocol, record

from insole_host.transport.bumble_central import BumbleCentral
from insole_host.transport.gatt_server_bumble import insole_on_local_link

ATT_HEADER = 3      # opcode 1 + handle 2
L2CAP_HEADER = 4    # length 2 + channel id 2
LL_HEADER = 2
MIC = 4
PHY_FRAMING = 8     # preamble 1 (LE 1M) + access address 4 + CRC 3
LL_PAYLOAD_DLE = 251
LL_PAYLOAD_LEGACY = 27
US_PER_BYTE = 8     # LE 1M PHY
T_IFS_US = 150
EMPTY_PDU = LL_HEADER + PHY_FRAMING  # the central's empty packet: no MIC
INTERVALS_MS = (7.5, 30.0)
COMMAND_INTERVALS = 2  # REQUEST_RECORDS: the write and its response, the indication and its confirmation


def air_bytes(value_len: int, ll_payload: int) -> tuple[int, int]:
    """(LL packets, bytes on the air) of one notification carrying `value_len` bytes."""
    l2cap = ATT_HEADER + value_len + L2CAP_HEADER
    packets = math.ceil(l2cap / ll_payload)
    return packets, l2cap + packets * (LL_HEADER + MIC + PHY_FRAMING)


def exchange_us(packet_bytes: int) -> int:
    """One packet of the insole with the central's empty packet before it, and both T_IFS."""
    return (EMPTY_PDU + packet_bytes) * US_PER_BYTE + 2 * T_IFS_US


def pull_time_s(records: int, interval_ms: float, per_event: int, ll_packets_per_record: int) -> float:
    """A pull of `records` at one connection interval, `per_event` LL packets per event."""
    events = math.ceil(records * ll_packets_per_record / per_event) + COMMAND_INTERVALS
    return events * interval_ms / 1000


async def _pull(days: int, pace=None) -> tuple[int, float, int]:
    """(records, wall seconds, notifications) of one pull over a Bumble LocalLink."""
    with tempfile.TemporaryDirectory(prefix="insole-bench-") as tmp:
        async with insole_on_local_link(Path(tmp), pace=pace, stored=days) as (insole, pair):
            host = BumbleCentral(device=pair.central)
            await host.connect(pair.insole_address)
            await host.authenticate(insole.key)
            got = []
            t0 = time.perf_counter()
            count = await host.pull_records(0, lambda fields, raw: got.append(raw))
            wall = time.perf_counter() - t0
            assert count == days == len(got) and all(len(r) == record.SIZE for r in got)
            await host.disconnect()
            return count, wall, pair.peripheral.streamed


def bench_ble(days: int = 365, per_event: int = 4, measure_paced: bool = True) -> dict:
    """Print and return the record pull's air cost, its Bumble measurement and its
    time at 7.5 ms and 30 ms connection intervals."""
    dle_packets, dle_bytes = air_bytes(protocol.UNIT_SIZE, LL_PAYLOAD_DLE)
    legacy_packets, legacy_bytes = air_bytes(protocol.UNIT_SIZE, LL_PAYLOAD_LEGACY)
    fit_7_5 = int(7500 // exchange_us(dle_bytes))
    count, wall, notifications = asyncio.run(_pull(days))
    out = {
        "record_bytes": record.SIZE,
        "air_bytes_per_record": dle_bytes, "air_us_per_record": dle_bytes * US_PER_BYTE,
        "air_bytes_per_record_no_dle": legacy_bytes, "ll_packets_per_record_no_dle": legacy_packets,
        "payload_efficiency": round(record.SIZE / dle_bytes, 3),
        "packets_that_fit_7_5ms": fit_7_5,
        "days": count, "notifications": notifications, "bumble_wall_s": round(wall, 3),
        "bumble_records_per_s": round(count / wall) if wall else None,
        "per_event": per_event, "computed_s": {}, "paced_s": {},
    }
    for interval in INTERVALS_MS:
        out["computed_s"][interval] = {
            "dle": round(pull_time_s(count, interval, per_event, dle_packets), 3),
            "no_dle": round(pull_time_s(count, interval, per_event, legacy_packets), 3)}
        if measure_paced:
            out["paced_s"][interval] = round(asyncio.run(_pull(days, pace=(per_event, interval / 1000)))[1], 3)

    print("BLE record pull (LE 1M PHY, encrypted link, ATT MTU 247)")
    print("  per record: record %d + tag %d + ATT header %d + L2CAP %d + LL header %d + MIC %d"
          " + preamble/access address/CRC %d" % (record.SIZE, protocol.UNIT_SIZE - record.SIZE, ATT_HEADER,
                                                  L2CAP_HEADER, LL_HEADER, MIC, PHY_FRAMING))
    print("              = %d bytes, %d us on air with Data Length Extension (%.0f %% payload);"
          " %d bytes in %d LL packets without"
          % (dle_bytes, dle_bytes * US_PER_BYTE, 100 * record.SIZE / dle_bytes, legacy_bytes, legacy_packets))
    print("  one exchange (central's empty packet, T_IFS, record, T_IFS): %d us; %d fit a 7.5 ms event"
          % (exchange_us(dle_bytes), fit_7_5))
    print("  Bumble LocalLink, %d days: %d notifications in %.3f s (%d records/s; no radio timing)"
          % (count, notifications, wall, out["bumble_records_per_s"]))
    for interval in INTERVALS_MS:
        c = out["computed_s"][interval]
        paced = out["paced_s"].get(interval)
        print("  at %.1f ms, %d packets/event: %.2f s with DLE, %.2f s without%s"
              % (interval, per_event, c["dle"], c["no_dle"],
                 "; paced over Bumble: %.2f s" % paced if paced is not None else ""))
    return out


if __name__ == "__main__":
    bench_ble()

"""A record stream cut by the link (the insole going out of range, or the host
leaving) resumes after the newest record received: no gap, no duplicate; the
bonded host only re-encrypts, it does not pair again. The stream is paced as a
radio paces it (4 notifications per 7.5 ms connection interval), so the cut
lands in its middle."""
import asyncio

import pytest
from ble_support import DAYS, KEY, PACE, run, served, until

from insole_host.transport import LinkLost


@pytest.mark.parametrize("side", ["insole", "host"])
def test_a_cut_pull_resumes_without_gap_or_duplicate(tmp_path, side):
    async def main():
        async with served(tmp_path, pace=PACE) as (insole, pair, host):
            got = []

            def on_record(fields, raw):
                got.append(fields["seq"])
                if len(got) == 150:  # the link goes in the middle of the stream
                    conn = pair.peripheral.connection if side == "insole" else host.connection
                    asyncio.get_running_loop().create_task(conn.disconnect())

            with pytest.raises(LinkLost) as lost:
                await host.pull_records(0, on_record)
            assert 150 <= len(got) < DAYS and lost.value.last_seq == got[-1]
            # the insole's side: the session ended with the link, the stream stopped
            await until(lambda: pair.peripheral.connection is None)
            assert not insole.service.authenticated() and not insole.service.streaming()
            sent_before = pair.peripheral.streamed

            await host.connect(pair.insole_address)  # the bond: encrypted again, no new pairing
            assert pair.peripheral.pairings == 1 and host.connection.is_encrypted
            await host.authenticate(KEY)
            resumed = await host.pull_records(lost.value.last_seq, lambda fields, raw: got.append(fields["seq"]))
            assert resumed == DAYS - lost.value.last_seq
            assert got == list(range(1, DAYS + 1))  # no gap, no duplicate
            assert pair.peripheral.streamed - sent_before == resumed
            return len(got) - resumed

    before_cut = run(main())
    print("%s cut the link after %d records; the resumed pull brought the rest" % (side, before_cut))

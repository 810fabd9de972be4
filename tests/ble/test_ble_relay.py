"""A relay in the middle: it passes the real host's login through (AUTH_START,
AUTH_PROOF and their answers), then changes, replays, reflects or injects
commands. Every one of those is refused with a code and changes nothing; a
changed answer or record is caught by the host."""
import pytest
from ble_support import KEY, run, served, state

from insole_host import codec
from insole_host.transport import TransportError

from insole import gatt, protocol as p


class Relay:
    """Sits on the host's writes and indications: sees every byte, may change them,
    and may write on its own (the link below is the relay's to use)."""

    def __init__(self, host):
        self.host = host
        self.write_below = host.write
        self.seen = []        # every control-point write the host made, as it went by
        self.change = None    # change(write) -> the bytes passed on instead
        host.write = self._write

    async def _write(self, characteristic, data):
        if characteristic is gatt.CONTROL:
            self.seen.append(bytes(data))
            if self.change is not None:
                data = self.change(bytes(data))
        await self.write_below(characteristic, data)

    async def inject(self, data):
        """A write of the relay's own; the insole's answer."""
        return codec.decode_response(await self.host.control(data))


def flip(data, at=1):
    out = bytearray(data)
    out[at] ^= 0x01
    return bytes(out)


def test_a_relay_that_forwards_the_login_gets_every_injected_or_changed_command_refused(tmp_path):
    async def main():
        async with served(tmp_path, days=20, authenticate=False) as (insole, pair, host):
            relay = Relay(host)
            await host.authenticate(KEY)  # the relay forwards the login untouched
            assert [w[0] for w in relay.seen] == [p.AUTH_START, p.AUTH_PROOF]
            await host.set_schedule("gentle")  # a real command goes through
            sealed_schedule = relay.seen[-1]
            before = state(insole)
            injected = (
                codec.encode_command(p.FACTORY_RESET, p.RESET_MAGIC),            # plain, as before sessions
                codec.encode_command(p.SET_SCHEDULE, "standard"),
                sealed_schedule,                                                 # replayed
                sealed_schedule[:1] + b"\x00" + sealed_schedule[2:],              # its preset changed
                flip(sealed_schedule, -1),                                       # its tag changed
                flip(sealed_schedule, -9),                                       # its counter changed
                codec.encode_command(p.FACTORY_RESET, p.RESET_MAGIC) + sealed_schedule[-12:],  # a body swapped in
                codec.encode_command(p.AUTH_END),                                # ending the host's session
                codec.encode_command(p.AUTH_START),                              # starting a login of its own
            )
            for data in injected:
                _, code, value, tag = await relay.inject(data)
                assert code in (p.BAD_TAG, p.BAD_COUNTER) and tag == b"", (data.hex(), code)
            assert state(insole) == before and insole.service.authenticated()

            # the host's next command, changed in flight: refused, and the host hears the refusal
            relay.change = lambda w: flip(w, 1)
            with pytest.raises(Exception) as e:
                await host.report_pain(3)
            assert "BAD_TAG" in str(e.value)
            relay.change = None
            assert state(insole) == before
            await host.report_pain(3)  # the session goes on for the real host
            assert insole.service.authenticated() and state(insole) != before

    run(main())


def test_a_relay_that_changes_an_answer_or_a_record_is_caught_by_the_host(tmp_path):
    from insole import record

    async def main():
        async with served(tmp_path, days=5) as (insole, pair, host):
            # a changed record count in REQUEST_RECORDS' answer
            control = host.control

            async def more_records(write, timeout=5.0):
                answer = await control(write, timeout)
                return answer[:2] + b"\x09" + answer[3:] if answer[0] == 0x86 else answer
            host.control = more_records
            with pytest.raises(TransportError) as e:
                await host.pull_records(0, lambda f, raw: None)
            assert "fails its tag" in str(e.value)
            host.control = control
            # a changed record in the stream (its CRC made good again, so only the tag can tell)
            await host.disconnect()
            await host.connect(pair.insole_address)
            await host.authenticate(KEY)
            queue = host._records
            get = queue.get

            async def altered():
                data = await get()
                if isinstance(data, bytes) and len(data) >= record.SIZE:
                    fields = record.decode(data[:record.SIZE])
                    fields["wear_s"] += 600
                    data = record.encode(fields) + data[record.SIZE:]
                return data
            queue.get = altered
            with pytest.raises(TransportError) as e:
                await host.pull_records(0, lambda f, raw: None)
            assert "fails its tag" in str(e.value)

    run(main())

"""The commands of `insole` that talk to an insole: pull, status, live, scan,
pain, time sync, calibrate, and the demo that runs the whole product.

Every command reaches its insole through one transport spec (`--via`):
`virtual:STORE_DIR` (the firmware in the `micropython` executable), `bleak`
or `bleak:ADDRESS` (the laptop's Bluetooth), `bumble:HCI` (a USB dongle).
The per-device key is the one `make deploy` provisioned over USB; the host
keeps its copy in the user's data directory (`--key-file` overrides).
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import click
import platformdirs

from insole_host.cli_data import plan_from, plan_options, schedule_group

_FILE = click.Path(dir_okay=False, path_type=Path)
_VIA = "How to reach the insole: virtual:STORE_DIR, bleak[:ADDRESS] or bumble:HCI_SPEC."


def _key(device_id: str, key_file: Optional[Path]) -> bytes:
    from insole_host.keys import MissingKey, device_key
    try:
        return device_key(device_id, key_file)
    except MissingKey as exc:
        raise click.ClickException(str(exc)) from None


@contextmanager
def _link(via: str):
    """The transport of a spec, its failures (and its backend's) as one clear line."""
    from insole_host.link_errors import explain
    from insole_host.transport import open_transport
    try:
        transport = open_transport(via)
        yield transport
    except Exception as exc:
        line = explain(exc, via)
        if line is None:
            raise
        raise click.ClickException(line) from None


def _run(transport, coro):
    """Run a command's coroutine; then power a virtual insole down, in the same event loop.
    Ctrl-C cancels the coroutine (its cleanup runs: what a pull received is stored) and is
    raised again as KeyboardInterrupt, even when the coroutine finished before it noticed."""
    interrupted = []

    async def go():
        task = asyncio.current_task()
        with contextlib.suppress(NotImplementedError):  # Windows: Python's own KeyboardInterrupt
            asyncio.get_running_loop().add_signal_handler(signal.SIGINT, lambda: interrupted.append(task.cancel()))
        try:
            return await coro
        finally:
            stop = getattr(transport, "stop", None)
            if stop:
                await stop()

    try:
        result = asyncio.run(go())
    except asyncio.CancelledError:
        if not interrupted:
            raise
        result = None
    if interrupted:
        raise KeyboardInterrupt
    return result


async def _session(transport, device_id: str, key: bytes):
    await transport.connect(None)
    await transport.authenticate(key, device_id.encode())


def _device_options(f):
    for option in reversed((
        click.option("--device", "device_id", required=True, metavar="ID", help="The insole's id (its serial number)."),
        click.option("--via", required=True, metavar="SPEC", help=_VIA),
        click.option("--key-file", type=_FILE, help="The insole's key (hex), if not in the user's data directory."),
    )):
        f = option(f)
    return f


@click.command()
@_device_options
@click.option("--foot", type=click.Choice(["L", "R"]), help="Which foot, the first time an insole is pulled.")
@click.option("--db", "db_path", type=_FILE, help="The database file (default: in the user's data directory).")
def pull(device_id: str, via: str, key_file: Optional[Path], foot: Optional[str], db_path: Optional[Path]) -> None:
    """Pull every record after the newest stored one; resumes after a dropped link."""
    from insole_host.cli_data import handled
    from insole_host.db import Database, Device, UnknownDevice, check_foot, default_path, gap_text
    from insole_host.pull import pull as pull_records
    key = _key(device_id, key_file)
    path = db_path or default_path()
    created = not path.exists()
    try:
        with handled(), Database(path) as db, db.pull_lock():
            try:
                device = db.device(device_id)
            except UnknownDevice as exc:
                if not foot:
                    raise click.BadParameter(f"{exc}; give --foot L or R to add it", param_hint="'--device'") from None
                device = Device(device_id, foot, address=via)
            check_foot(device, foot or device.foot)
            with _link(via) as transport, \
                    click.progressbar(length=0, label=f"pulling {device_id}") as bar:
                result = _run(transport, pull_records(
                    transport, db, device, key, progress=lambda n, seq: bar.update(1),
                    on_expected=lambda n: setattr(bar, "length", n)))
    except BaseException:
        if created:
            Database.remove_if_empty(path)
        raise
    click.echo(f"{device.label}: {result.received} records received, {result.added} new, {result.resumed} resumed "
               f"after a dropped link, {len(result.errors)} rejected")
    for first, last in result.gaps:
        click.secho(f"  {gap_text(first, last)} never came: the insole skipped them or no longer holds them",
                    fg="yellow", err=True)
    for err in result.errors:
        click.secho(f"  {err}", fg="yellow", err=True)


def _status_line(s: dict) -> str:
    from insole import protocol
    from insole_host.report import hm
    limit = "no limit" if s["limit_s"] is None else "a rest day" if s["limit_s"] == 0 else f"{hm(s['limit_s'])} h"
    pronation = f"pronation {s['pronation_permille']:+d} per mille" if s["steps"] else "no pronation yet"
    line = f"worn {hm(s['wear_s'])} h of {limit}, {s['steps']} steps, {pronation}, battery {s['battery_pct']} %"
    lost = s["samples_lost"]
    if lost:  # a healthy insole loses none: say so only when it did
        most = " or more" if lost == protocol.U24 else ""
        line += click.style(f", {lost}{most} samples lost since power-up", fg="yellow")
    if s["flags"] & protocol.STATUS_ADVISORY:
        line = click.style("STOP and see a podiatrist (pain persisted at the start level). ", fg="red", bold=True) + line
    return line


@click.command()
@_device_options
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(device_id: str, via: str, key_file: Optional[Path], as_json: bool) -> None:
    """Today's wear against the limit, steps and pronation index."""
    key = _key(device_id, key_file)

    async def go(transport):
        await _session(transport, device_id, key)
        try:
            return await transport.read_status()
        finally:
            await transport.disconnect()

    with _link(via) as transport:
        s = _run(transport, go(transport))
    click.echo(json.dumps(s) if as_json else _status_line(s))


@click.command()
@_device_options
@click.option("--seconds", type=click.IntRange(min=1), default=60, show_default=True, help="How long to follow.")
def live(device_id: str, via: str, key_file: Optional[Path], seconds: int) -> None:
    """Follow the status and the alerts as the insole sends them."""
    key = _key(device_id, key_file)

    async def go(transport):
        await _session(transport, device_id, key)
        await transport.subscribe_status(lambda s: click.echo(_status_line(s)))
        await transport.subscribe_alerts(lambda a: click.secho(f"alert {a}", fg="yellow"))
        end = time.monotonic() + seconds
        try:
            while time.monotonic() < end:
                click.echo(_status_line(await transport.read_status()))
                await asyncio.sleep(min(5, max(0, end - time.monotonic())))
        finally:
            await transport.disconnect()

    with _link(via) as transport:
        try:
            _run(transport, go(transport))
        except KeyboardInterrupt:  # Ctrl-C is how one stops following
            click.echo("stopped following", err=True)


@click.command()
@click.option("--via", default="bleak", show_default=True, metavar="SPEC", help=_VIA)
@click.option("--timeout", type=float, default=5.0, show_default=True, help="Seconds to listen.")
def scan(via: str, timeout: float) -> None:
    """List nearby insoles: name, id (serial number), address, signal strength and battery
    (the id and the battery are read from the open Device Information and Battery services)."""
    from insole_host.transport import TransportError
    from insole import gatt

    async def go(transport):
        rows = []
        for found in await transport.scan(timeout):
            device_id = "?"
            try:
                await transport.connect(found.address)
                device_id = (await transport.read(gatt.SERIAL)).decode("utf-8", "replace")
                battery = f"{(await transport.read(gatt.BATTERY_LEVEL))[0]} %"
                await transport.disconnect()
            except (TransportError, OSError) as exc:  # one unreachable insole must not hide the others
                battery = f"battery unknown ({exc})"
            rows.append((found, device_id, battery))
        return rows

    with _link(via) as transport:
        rows = _run(transport, go(transport))
    if not rows:
        click.echo("no insole found")
        return
    click.echo("name\tid\taddress\tsignal\tbattery")
    for f, device_id, battery in rows:
        click.echo(f"{f.name}\t{device_id}\t{f.address}\t{'' if f.rssi is None else f'{f.rssi} dBm'}\t{battery}")


@click.command()
@_device_options
@click.option("--severity", type=click.IntRange(1, 10), default=5, show_default=True, help="How much it hurts.")
def pain(device_id: str, via: str, key_file: Optional[Path], severity: int) -> None:
    """Log pain: the insole rolls the limit back to the start level."""
    key = _key(device_id, key_file)

    async def go(transport):
        await _session(transport, device_id, key)
        try:
            await transport.report_pain(severity)
            return await transport.read_status()
        finally:
            await transport.disconnect()

    with _link(via) as transport:
        s = _run(transport, go(transport))
    click.echo("pain logged; " + _status_line(s))


@click.group()
def time_group() -> None:
    """The insole's clock."""


@time_group.command("sync")
@_device_options
def time_sync(device_id: str, via: str, key_file: Optional[Path]) -> None:
    """Set the insole's clock from this computer's, with its UTC offset."""
    key = _key(device_id, key_file)
    offset_min = int(time.localtime().tm_gmtoff // 60)

    async def go(transport):
        await _session(transport, device_id, key)
        try:
            await transport.set_time(int(time.time()), offset_min)
        finally:
            await transport.disconnect()

    with _link(via) as transport:
        _run(transport, go(transport))
    click.echo(f"clock set (UTC{offset_min // 60:+d}:{abs(offset_min) % 60:02d})")


@click.command()
@_device_options
@click.option("--yes", is_flag=True, help="The foot is off the insole: do not ask.")
def calibrate(device_id: str, via: str, key_file: Optional[Path], yes: bool) -> None:
    """Guided zeroing: with the foot off the insole, every channel is zeroed."""
    from insole import protocol
    key = _key(device_id, key_file)
    if not yes:
        click.confirm("Take the insole out of the shoe (or lift the foot off it). Ready?", abort=True)

    async def go(transport):
        await _session(transport, device_id, key)
        try:
            await transport.command(protocol.ZERO_CALIBRATION)
        finally:
            await transport.disconnect()

    with _link(via) as transport:
        _run(transport, go(transport))
    click.echo("zeroed")


@click.command()
@click.option("--dir", "root", type=click.Path(file_okay=False, path_type=Path),
              help="Where the virtual insoles keep their flash, the database and the reports "
                   "(default: demo/ in the user's data directory).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def demo(root: Optional[Path], as_json: bool) -> None:
    """The whole product with no hardware: two virtual insoles live six weeks, the host pulls, reports."""
    from insole_host import demo as demo_mod
    from insole_host import recordings, virtual
    from insole_host.db import Database
    from insole_host.report import Report
    from insole_host.transport import TransportError
    root = root or Path(platformdirs.user_data_dir("insole")) / "demo"
    root.mkdir(parents=True, exist_ok=True)
    say = (lambda *a, **k: None) if as_json else click.echo
    try:
        walk = recordings.ensure_demo_recordings(download=True)[0]
        for foot in "LR":
            r = virtual.replay(walk, foot)
            say(f"replay {walk.name} {foot}: {r['steps']} steps, cadence {r['cadence_spm']} steps/min, "
                f"pronation median {r['pronation']['median_permille']} per mille (firmware in micropython)")
        say(f"two virtual insoles, deployed as boards are, live {demo_mod.DAYS} days: a break-in, new orthotics, "
            f"a heel sensor wearing out...")
        ids = asyncio.run(demo_mod.live(root))
    except (recordings.RecordingNotFound, recordings.ChecksumMismatch, virtual.VirtualInsoleError,
            TransportError) as exc:
        raise click.ClickException(str(exc)) from None
    db_file = root / "insole.db"
    db_file.unlink(missing_ok=True)
    with Database(db_file) as db:
        pulled = asyncio.run(demo_mod.pull_both(root, ids, db))
        rep = Report(db)
    for foot, res in pulled.items():
        say(f"pulled {foot}: {res.received} records, {res.added} new, resumed {res.resumed}x after a cut link")
    png, html = root / "report.png", root / "report.html"
    rep.png(png)
    rep.html(html)
    if as_json:
        click.echo(rep.to_json())
        return
    click.echo(rep.text())
    left = ids["L"]
    click.echo(f"reports: {png} and {html}; database: {db_file}\n"
               f"next:\n"
               f"  insole report --db {db_file} --days 7          the last week again\n"
               f"  insole export --db {db_file} --csv -           every day as CSV\n"
               f"  insole ack --db {db_file} --device {left} --new-baseline\n"
               f"                                                 after the podiatrist refits the left orthotic\n"
               f"  make deploy BOARD=sim PORT=/tmp/my-insole      a virtual insole of your own, then\n"
               f"  insole virtual live /tmp/my-insole --days 3 --wear 2")


@schedule_group.command("set")
@_device_options
@plan_options
def schedule_set(device_id: str, via: str, key_file: Optional[Path], preset: str, start: Optional[float],
                 step: Optional[float], cap: Optional[float], rest: tuple[int, ...], rest_every: Optional[int]) -> None:
    """Give the insole a new break-in plan (checked here first, then by the insole)."""
    preset, custom, _ = plan_from(preset, start, step, cap, rest, rest_every)
    key = _key(device_id, key_file)

    async def go(transport):
        await _session(transport, device_id, key)
        try:
            await transport.set_schedule(preset, custom)
            return await transport.read_status()
        finally:
            await transport.disconnect()

    with _link(via) as transport:
        s = _run(transport, go(transport))
    click.echo(f"{preset} plan set; " + _status_line(s))


def register(main: click.Group) -> None:
    """Add the device commands and the demo to the `insole` group."""
    for command in (pull, status, live, scan, pain, calibrate, demo):
        main.add_command(command)
    main.add_command(time_group, "time")

"""`insole virtual live`: days lived on a deployed virtual insole."""
from __future__ import annotations

import asyncio
from pathlib import Path

import click

from insole_host import recordings
from insole_host.cli_device import _key


@click.group()
def virtual_group() -> None:
    """The virtual insole: the image `make deploy BOARD=sim PORT=DIR` lays out."""


def _pain(ctx, param, values):
    out = {}
    for value in values:
        day, _, severity = value.partition(":")
        try:
            out[int(day)] = int(severity)
        except ValueError:
            raise click.BadParameter(f"{value!r}: give DAY:SEVERITY, e.g. 3:5") from None
    return out


@virtual_group.command("live")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--days", type=click.IntRange(1, 366), default=1, show_default=True, help="Days to live.")
@click.option("--wear", "wear_h", type=click.FloatRange(0, 16), default=1.0, show_default=True,
              help="Hours on the foot each day.")
@click.option("--pain", multiple=True, callback=_pain, metavar="DAY:SEVERITY",
              help="Report pain (1-10) once that day's wear is over; repeatable.")
@click.option("--walk", default=recordings.DEMO_RECORDINGS[0], show_default=True,
              help="The gaitpdb walk the wearer walks (a path or a recording name).")
@click.option("--foot", type=click.Choice(["L", "R"]), default="L", show_default=True)
def live(folder: Path, days: int, wear_h: float, pain: dict, walk: str, foot: str) -> None:
    """Live DAYS days on the virtual insole in FOLDER, walking a real recording
    through its sensors, each day closing into a record on its flash."""
    from insole_host.life import Day, live_days
    from insole_host.transport import TransportError
    from insole_host.transport.virtual import VirtualInsole
    try:
        insole = VirtualInsole(folder)
        key = _key(insole.device_id, None) if pain else b""
        path = Path(walk) if Path(walk).is_file() else recordings.find_recording(walk, "gaitpdb", download=True)
    except (TransportError, recordings.RecordingNotFound) as exc:
        raise click.ClickException(str(exc)) from None

    async def go():
        try:
            await live_days(insole, key, path, foot, [Day(int(wear_h * 3600), pain=pain.get(d, 0))
                                                      for d in range(1, days + 1)],
                            after_day=lambda d: click.echo(f"day {d} closed"))
        finally:
            await insole.stop()

    try:
        asyncio.run(go())
    except TransportError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{days} days lived; pull them: insole pull --device {insole.device_id} --via virtual:{folder}")

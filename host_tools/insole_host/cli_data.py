"""The data commands of `insole`: report, export, schedule show.

`register(main)` adds them to the `insole` click group. The database, the
firmware's modules and matplotlib load only when a command runs, so `insole
--help` stays quick and works without them.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import click

_DB_HELP = "The database file (default: insole.db in the user's data directory)."
_FILE = click.Path(dir_okay=False, path_type=Path)


@contextmanager
def handled():
    """Known failures as clear messages: an unknown device or a foot it does not have is a
    usage error (exit 2), the rest exit 1."""
    from insole_host.virtual import VirtualInsoleError
    try:
        from insole_host.db import DatabaseError, FootConflict, UnknownDevice  # locates the firmware's codec
        from insole_host.export import ExportError
        from insole_host.pull import PullStopped
    except VirtualInsoleError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        yield
    except UnknownDevice as exc:
        raise click.BadParameter(str(exc), param_hint="'--device'") from None
    except FootConflict as exc:
        raise click.BadParameter(str(exc), param_hint="'--foot'") from None
    except (DatabaseError, ExportError, PullStopped) as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc)) from None


@click.command()
@click.option("--days", type=click.IntRange(min=0), default=14, show_default=True,
              help="Show the last N days in the table and plot (0: all). The analysis reads every day.")
@click.option("--device", "device_ids", multiple=True, metavar="ID",
              help="Only this insole (repeatable; default: every insole in the database).")
@click.option("--png", type=_FILE, help="Also write the plot (wear against the limit, pronation trend) here.")
@click.option("--html", type=_FILE, help="Also write a one-page report for a podiatrist here.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of a table.")
@click.option("--db", "db_path", type=_FILE, help=_DB_HELP)
def report(days: int, device_ids: tuple[str, ...], png: Optional[Path], html: Optional[Path], as_json: bool,
           db_path: Optional[Path]) -> None:
    """Days of wear, pronation and alerts, with what the insole cannot see itself."""
    with handled():
        from insole_host.db import Database
        from insole_host.report import Report
        with Database(db_path, create=False) as database:
            rep = Report(database, device_ids, days or None)
        if png:
            rep.png(png)
        if html:
            rep.html(html)
    click.echo(rep.to_json() if as_json else rep.text())
    for kind, path in (("plot", png), ("report", html)):
        if path:
            click.echo(f"wrote the {kind} to {path}", err=True)


@click.command()
@click.option("--csv", "as_csv", is_flag=True, help="Write CSV.")
@click.option("--json", "as_json", is_flag=True, help="Write JSON (a list of row objects).")
@click.option("--parquet", "as_parquet", is_flag=True, help="Write Parquet (needs pyarrow: insole-host[parquet]).")
@click.argument("file", type=_FILE)
@click.option("--device", "device_ids", multiple=True, metavar="ID", help="Only this insole (repeatable).")
@click.option("--db", "db_path", type=_FILE, help=_DB_HELP)
def export(as_csv: bool, as_json: bool, as_parquet: bool, file: Path, device_ids: tuple[str, ...],
           db_path: Optional[Path]) -> None:
    """Export the records, one row per insole and day, to FILE (`-`: standard output)."""
    chosen = [fmt for fmt, on in (("csv", as_csv), ("json", as_json), ("parquet", as_parquet)) if on]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --csv, --json or --parquet")
    with handled():
        from insole_host import export as exporter
        from insole_host.db import Database
        with Database(db_path, create=False) as database:
            table = exporter.rows(database, device_ids)
        exporter.write(table, chosen[0], file)
    click.echo(f"exported {len(table)} rows to {'standard output' if str(file) == '-' else file}",
               err=str(file) == "-")


@click.group("schedule")
def schedule_group() -> None:
    """The break-in plan (computed here: no insole needed)."""


def _seconds(hours: Optional[float], option: str) -> Optional[int]:
    if hours is None:
        return None
    if not math.isfinite(hours) or hours <= 0:
        raise click.BadParameter(f"{hours} is not a positive number of hours", param_hint=option)
    return round(hours * 3600)


_OPTION_OF = {"start_s": "--start", "step_s": "--step", "cap_s": "--cap", "rest_every": "--rest-every",
              "rest or": "--rest or"}


def _in_hours(message: str) -> str:
    """The firmware's plan message in the options' words: parameters as options, seconds as hours."""
    message = re.sub(r"\b(%s)\b" % "|".join(_OPTION_OF), lambda m: _OPTION_OF[m.group(1)], message)
    return re.sub(r"(\d+) s\b", lambda m: f"{int(m.group(1)) / 3600:g} h", message)


def plan_options(f):
    """The options that describe a break-in plan (schedule show and set)."""
    for option in reversed((
        click.option("--preset", type=click.Choice(["standard", "gentle", "custom"]), default="standard",
                     show_default=True, help="standard: 1..10 h; gentle: 1 2 rest 3 5 rest 7 9 rest 10 h; custom: below."),
        click.option("--start", type=float, help="custom: the first day's limit in hours [1]."),
        click.option("--step", type=float, help="custom: the increase per step in hours [1]."),
        click.option("--cap", type=float, help="custom: the last step's limit in hours [10]."),
        click.option("--rest", type=int, multiple=True, metavar="STEP", help="custom: a rest day at this step (repeatable)."),
        click.option("--rest-every", type=int, metavar="N", help="custom: every Nth step is a rest day."),
    )):
        f = option(f)
    return f


def plan_from(preset: str, start: Optional[float], step: Optional[float], cap: Optional[float],
              rest: tuple[int, ...], rest_every: Optional[int]):
    """(preset, custom params, firmware Schedule) of the plan options; a usage error when invalid."""
    custom = {"start_s": _seconds(start, "'--start'"), "step_s": _seconds(step, "'--step'"),
              "cap_s": _seconds(cap, "'--cap'"), "rest": rest or None, "rest_every": rest_every}
    custom = {k: v for k, v in custom.items() if v is not None}
    if custom and preset != "custom":
        raise click.UsageError("--start, --step, --cap, --rest and --rest-every go with --preset custom")
    with handled():
        from insole_host.firmware import schedule
        try:
            return preset, custom, schedule.Schedule(preset, **custom)
        except ValueError as exc:
            raise click.UsageError(f"invalid plan: {_in_hours(str(exc))}") from None


@schedule_group.command("show")
@plan_options
@click.option("--days", type=click.IntRange(1, 366), default=14, show_default=True, help="How many days to show.")
def schedule_show(preset: str, start: Optional[float], step: Optional[float], cap: Optional[float],
                  rest: tuple[int, ...], rest_every: Optional[int], days: int) -> None:
    """The plan's daily limits from today, if each day's limit is kept."""
    preset, _, plan = plan_from(preset, start, step, cap, rest, rest_every)
    from insole_host.report import hm  # the firmware is there: plan_from found it
    today = _dt.date.today()
    click.echo(f"{preset} plan, the next {days} days if each day's limit is kept:")
    for day, limit in plan.describe(days):
        date = today + _dt.timedelta(days=day)
        what = ("no limit" if limit is None else click.style("rest day: do not wear", fg="cyan") if limit == 0
                else f"{hm(limit)} h")
        click.echo(f"  {date:%a %Y-%m-%d}{' (today)' if day == 0 else '        '}  {what}")


def register(main: click.Group) -> None:
    """Add report, export and schedule to the `insole` group."""
    for command in (report, export, schedule_group):
        main.add_command(command)

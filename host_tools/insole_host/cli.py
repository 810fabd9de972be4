"""`insole`: the laptop companion's command line."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from insole_host import recordings, virtual


def _resolve_recording(file: str, fmt: str | None) -> Path:
    """A path (it names a folder, or exists) as given: the firmware says what is wrong with
    it; else a bare recording name, looked up where recordings live."""
    path = Path(file)
    if path.exists() or path.parent != Path(".") or path.suffix in (".hea", ".let", ".rit") \
            or (fmt == "gaitndd" and path.with_suffix(".let").exists()):
        return path
    dataset = fmt or "gaitpdb"
    if fmt == "gaitndd":
        for ext in (".hea", ".let", ".rit"):
            recordings.find_recording(path.name + ext, dataset)
        return recordings.find_recording(path.name + ".let", dataset).with_suffix("")
    return recordings.find_recording(path.name, dataset)


def _fail(message: str, status: int = 2) -> None:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(status)


def _summary(result: dict) -> str:
    pron = result.get("pronation") or {}
    lines = [
        f"{Path(result['file']).name}, {'left' if result['foot'] == 'L' else 'right'} foot: "
        f"{result['duration_s']:.1f} s at {result['fs_hz']} Hz",
        f"  steps {result['steps']}, cadence {result['cadence_spm']:.1f} steps/min, worn {result['wear_s']} s",
    ]
    if pron:
        lines.append(f"  pronation index (medial-lateral) median {pron['median_permille']} per mille, "
                     f"centre-of-pressure index median {pron['cpei_median_permille']} per mille")
    for ch in result["channels"]:
        if ch["status"] != "ok":
            lines.append(click.style(f"  channel {ch['channel']} ({ch['name']}): {ch['status']}", fg="yellow"))
    if result["errors"]:
        lines.append(click.style(f"  {result['error_count']} unreadable samples skipped, "
                                 f"first at {result['errors'][0]['at']}: {result['errors'][0]['error']}", fg="yellow"))
    return "\n".join(lines)


class InsoleGroup(click.Group):
    """The command group; Ctrl-C anywhere exits 130 with one line (each pull's transactions
    leave the database consistent), not click's 'Aborted!' and 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("interrupted: what was stored is kept", err=True)
            raise click.exceptions.Exit(130) from None


@click.group(cls=InsoleGroup)
@click.version_option(package_name="insole-host")
def main() -> None:
    """Companion for the open smart insole: replay recordings, pull and report."""


@main.command()
@click.argument("file")
@click.option("--foot", type=click.Choice(["L", "R"]), required=True, help="Which foot of the recording.")
@click.option("--format", "fmt", type=click.Choice(["gaitpdb", "gaitndd"]), default=None,
              help="gaitpdb text (8 sensors, 100 Hz) or gaitndd WFDB record (1 FSR, 300 Hz). "
                   "[default: gaitndd for a .hea/.let/.rit path, else gaitpdb]")
@click.option("--fault", multiple=True, metavar="CH:KIND",
              help="Break a modelled sensor: CH:open, CH:short or CH:saturate (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the firmware's JSON result.")
def replay(file: str, foot: str, fmt: str, fault: tuple[str, ...], as_json: bool) -> None:
    """Replay a recording through the firmware in the micropython executable."""
    try:
        path = _resolve_recording(file, fmt)
        result = virtual.replay(path, foot, fmt, fault)
    except recordings.RecordingNotFound as e:
        _fail(str(e))
    except virtual.VirtualInsoleError as e:
        _fail(str(e), e.status)
    click.echo(json.dumps(result) if as_json else _summary(result))


from insole_host import cli_changes, cli_data, cli_device, cli_virtual  # noqa: E402  (their commands join the group above)

cli_data.register(main)
cli_device.register(main)
cli_changes.register(main)
main.add_command(cli_virtual.virtual_group, "virtual")

"""`insole`: the laptop companion's command line."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from insole_host import recordings, virtual


def _resolve_recording(file: str, fmt: str) -> Path:
    """A path as given, else a recording name looked up where recordings live."""
    path = Path(file)
    if path.exists() or (fmt == "gaitndd" and path.with_suffix(".let").exists()):
        return path
    dataset = "gaitpdb" if fmt == "gaitpdb" else "gaitndd"
    if fmt == "gaitndd":
        for ext in (".hea", ".let", ".rit"):
            recordings.find_recording(path.name + ext, dataset)
        return recordings.find_recording(path.name + ".let", dataset).with_suffix("")
    return recordings.find_recording(path.name, dataset)


def _fail(message: str) -> None:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(2)


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
        lines.append(click.style(f"  {len(result['errors'])} unreadable samples skipped, "
                                 f"first at {result['errors'][0]['at']}: {result['errors'][0]['error']}", fg="yellow"))
    return "\n".join(lines)


@click.group()
@click.version_option(package_name="insole-host")
def main() -> None:
    """Companion for the open smart insole: replay recordings, pull and report."""


@main.command()
@click.argument("file")
@click.option("--foot", type=click.Choice(["L", "R"]), required=True, help="Which foot of the recording.")
@click.option("--format", "fmt", type=click.Choice(["gaitpdb", "gaitndd"]), default="gaitpdb", show_default=True,
              help="gaitpdb text (8 sensors, 100 Hz) or gaitndd WFDB record (1 FSR, 300 Hz).")
@click.option("--fault", multiple=True, metavar="CH:KIND",
              help="Break a modelled sensor: CH:open, CH:short or CH:saturate (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the firmware's JSON result.")
def replay(file: str, foot: str, fmt: str, fault: tuple[str, ...], as_json: bool) -> None:
    """Replay a recording through the firmware in the micropython executable."""
    try:
        path = _resolve_recording(file, fmt)
        result = virtual.replay(path, foot, fmt, fault)
    except (recordings.RecordingNotFound, virtual.VirtualInsoleError) as e:
        _fail(str(e))
    click.echo(json.dumps(result) if as_json else _summary(result))


from insole_host import cli_changes, cli_data, cli_device  # noqa: E402  (their commands join the group above)

cli_data.register(main)
cli_device.register(main)
cli_changes.register(main)

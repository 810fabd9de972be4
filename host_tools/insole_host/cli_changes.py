"""The change commands of `insole`: ack (acknowledge a change, or start a new baseline) and simulate."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from insole_host.cli_data import _DB_HELP, _FILE, handled

KINDS = ("over_correction", "insole_wear", "asymmetry")


def _acknowledgements(database, device_id: str, kind: Optional[str], channel: Optional[int]) -> list[dict]:
    """The rows acknowledging the open episodes of this insole (and the left/right one) that match."""
    from insole_host import analysis

    device = database.device(device_id)
    devices = database.devices()
    flags = analysis.analyse(devices, database.records(d.id for d in devices), database.acknowledged())["flags"]
    rows = []
    for f in flags:
        ep = f.get("episode")
        if not ep or f["device_id"] not in (None, device.id) or kind not in (None, ep["kind"]) \
                or channel not in (None, ep["channel"]):
            continue
        rows.append({"device_id": ep["device_id"], "kind": ep["kind"], "channel": ep["channel"],
                     "from_seq": ep["start_seq"], "from_day": ep["start_day"], "start": ep["start"],
                     "size": ep["size"], "message": f["message"]})
    return rows


def _reset(database, device_id: str) -> dict:
    """The row restarting every detector of this insole after its newest closed record."""
    from insole_host.firmware import record

    closed = [r for r in database.records([device_id]) if not r["flags"] & record.FLAG_PARTIAL]
    last = closed[-1] if closed else None
    dated = last is not None and not last["flags"] & record.FLAG_CLOCK_UNSET
    return {"device_id": device_id, "kind": "*", "from_seq": last["seq"] + 1 if last else 0,
            "from_day": last["day"] + 1 if dated else None}


@click.command()
@click.option("--device", "device_id", required=True, metavar="ID", help="The insole.")
@click.option("--kind", type=click.Choice(KINDS), help="Only changes of this kind (default: every open one).")
@click.option("--channel", type=click.IntRange(0, 7), help="Only this channel's insole wear.")
@click.option("--new-baseline", is_flag=True,
              help="Start every detector of this insole afresh from its next record (a new orthotic or insole).")
@click.option("--note", default="", help="Why (kept with the acknowledgement).")
@click.option("--db", "db_path", type=_FILE, help=_DB_HELP)
def ack(device_id: str, kind: Optional[str], channel: Optional[int], new_baseline: bool, note: str,
        db_path: Optional[Path]) -> None:
    """Acknowledge an insole's open changes: each detector's baseline restarts where its change began."""
    with handled():
        from insole_host.db import Database
        with Database(db_path, create=False) as database:
            rows = _acknowledgements(database, device_id, kind, channel)
            if new_baseline:
                rows.append(_reset(database, device_id))
            if not rows:
                raise click.ClickException(f"nothing to acknowledge on {device_id}: no open change; to start a "
                                           f"new baseline (a new orthotic or insole), add --new-baseline")
            database.acknowledge(dict(r, note=note) for r in rows)
    for r in rows:
        click.echo(f"acknowledged: {r['message']}" if r["kind"] != "*" else
                   f"new baseline for {device_id} from record {r['from_seq']} on")


@click.command()
@click.option("--runs", type=click.IntRange(min=1), default=100, show_default=True,
              help="Histories per scenario (the year-long ones: runs / 5 years).")
@click.option("--seed", type=int, default=1, show_default=True, help="The first seed.")
def simulate(runs: int, seed: int) -> None:
    """The change detectors on simulated histories: detection rate, delay and false alarms per scenario."""
    from insole_host import simulate as simulator
    simulator.table(runs, seed, echo=click.echo)


def register(main: click.Group) -> None:
    """Add ack and simulate to the `insole` group."""
    for command in (ack, simulate):
        main.add_command(command)

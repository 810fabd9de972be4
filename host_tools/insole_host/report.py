"""The report: a table of days, the analysis, and their JSON, terminal, PNG and HTML forms.

`Report(database)` reads the insoles' records once. The table holds one row per
insole and day (the last `days` dates, all when None); the analysis always reads
each insole's whole history (its baseline is the first worn days). The plot is a
fixed FIG_SIZE_PX image: wear against the limit in force per day (a pain rollback
marked, with the pain's severity, the alerts and the advisory), the steps, and the
pronation trend; matplotlib (Agg, no pyplot) is imported only when a plot is drawn.

The limit in force is the day's planned limit (record field planned_s): on a pain
day the record's limit_s is the one after the rollback, shown beside it.
"""
from __future__ import annotations

import base64
import datetime as _dt
import html as _html
import io
import json
from pathlib import Path
from statistics import median_low
from typing import Iterable, Optional

import click

from insole_host import analysis, recordings
from insole_host.db import Database, gap_text
from insole_host.firmware import record, schedule

FIG_SIZE_PX = (1200, 800)
DPI = 100
ROLLING_DAYS = 28  # the pronation trend's smoothing when a plot holds too many days for markers
EPISODE_NAMES_TOP = 0.78  # the first episode name's top, in the pronation plot's height (under its legend)
STATUS_COLOURS = {"within": "#4c9a2a", "well over": "#c0392b",
                  "worn on a rest day": "#7b1d13", "pain": "#8e44ad", "no limit": "#5b7fa6",
                  "rest": "#9e9e9e", "not worn": "#9e9e9e"}
_TERM_COLOURS = {"within": "green", "well over": "red", "worn on a rest day": "red", "pain": "magenta"}


def wear_status(fields: dict) -> str:
    """The day's wear against its limit, in the break-in rules' words.

    within: worn at most 125 % of the limit (the next day steps up); well over:
    more; worn on a rest day counts as well over. A pain day is not judged (the
    schedule rolls back whatever was worn).
    """
    if fields["flags"] & record.FLAG_PAIN:
        return "pain"
    if fields["flags"] & record.FLAG_REST_DAY:
        return "worn on a rest day" if fields["wear_s"] else "rest"
    if not fields["limit_s"]:
        return "no limit"
    if not fields["wear_s"]:
        return "not worn"
    return "within" if fields["wear_s"] * 100 <= fields["limit_s"] * schedule.OVER_PCT else "well over"


def _pct(part: int, total: int) -> Optional[float]:
    return round(100.0 * part / total, 1) if total else None


def day_row(fields: dict, foot: str) -> dict:
    """One table row: the record's own values, plus date, shares and the wear status."""
    flags = fields["flags"]
    counted = fields["supinated"] + fields["neutral"] + fields["pronated"]
    row = {"device_id": fields["device_id"], "foot": foot, "date": analysis.day_label(fields),
           "clock_set": not flags & record.FLAG_CLOCK_UNSET, "partial": bool(flags & record.FLAG_PARTIAL),
           "rest_day": bool(flags & record.FLAG_REST_DAY), "advisory": bool(flags & record.FLAG_ADVISORY),
           "rolled_back": fields["planned_s"] != fields["limit_s"],
           "wear_pct": _pct(fields["wear_s"], fields["planned_s"]), "wear_status": wear_status(fields),
           "cadence_spm": fields["cadence_x10"] / 10,
           "supinated_pct": _pct(fields["supinated"], counted), "neutral_pct": _pct(fields["neutral"], counted),
           "pronated_pct": _pct(fields["pronated"], counted)}
    row.update((k, v) for k, v in fields.items() if k != "device_id")
    return row


def _row_key(row: dict) -> tuple:
    """Boot-counted days first (by boot day), then dates; both feet of a day together."""
    return (row["clock_set"], row["day"], row["foot"], row["device_id"], row["seq"])


def hm(seconds: int) -> str:
    """'H:MM' of a number of seconds."""
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}"


def _limit_text(r: dict) -> str:
    """The limit in force that day: the planned one, before any pain rollback."""
    if r["planned_s"]:
        return hm(r["planned_s"])
    return "rest" if r["rest_day"] else "none"


def _rollback_text(r: dict) -> str:
    return f"pain: limit rolled back to {hm(r['limit_s']) if r['limit_s'] else 'rest'}"


def _dash(v) -> str:
    return "-" if v is None else str(v)


def _signed(v: Optional[int]) -> str:
    return "-" if v is None else f"{v:+d}"


def _share(v: Optional[float]) -> str:
    return "-" if v is None else f"{v:.0f} %"


class Report:
    """The report data (`data`) and its renderings."""

    def __init__(self, database: Database, device_ids: Optional[Iterable[str]] = None, days: Optional[int] = None):
        devices = [database.device(i) for i in dict.fromkeys(device_ids)] if device_ids else database.devices()
        records = database.records(d.id for d in devices)
        foot = {d.id: d.foot for d in devices}
        rows = sorted((day_row(r, foot[r["device_id"]]) for r in records), key=_row_key)
        if days:
            keep = sorted({(r["clock_set"], r["day"]) for r in rows})[-days:]
            rows = [r for r in rows if (r["clock_set"], r["day"]) >= keep[0]] if keep else []
        datasets = sorted({d.virtual_dataset for d in devices if d.virtual_dataset})
        acked = [a for a in database.acknowledged() if a["device_id"] in (None, *foot)]
        self.data = {
            "generated": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
            "days_shown": days,
            "devices": [{"id": d.id, "name": d.name, "address": d.address, "foot": d.foot,
                         "first_seen": d.first_seen, "virtual_dataset": d.virtual_dataset,
                         "records": sum(r["device_id"] == d.id for r in records),
                         "last_seq": database.last_seq(d.id), "last_import": database.last_import(d.id),
                         "missing_seqs": database.gaps(d.id)}
                        for d in devices],
            "days": rows,
            "analysis": analysis.analyse(devices, records, acked),
            "acknowledged": acked,
            "credit": [recordings.credit(ds) for ds in datasets],
        }
        self._labels = {d.id: d.label for d in devices}
        self._feet = foot
        self._png: Optional[bytes] = None

    def missing(self) -> list[str]:
        """One line per run of records an insole never sent (seqs below its newest stored one)."""
        return [f"{d['id']}: {gap_text(first, last)} missing: never received (skipped by the insole, or "
                f"dropped from its flash before a pull)"
                for d in self.data["devices"] for first, last in d["missing_seqs"]]

    def advisories(self) -> list[str]:
        """The stop-and-see-a-podiatrist lines, one per insole where it stands."""
        return [f["message"] for f in self.data["analysis"]["flags"] if f["kind"] == "advisory"]

    def to_json(self) -> str:
        return json.dumps(self.data, indent=2)

    def text(self) -> str:
        """The terminal report (click styles; click.echo drops them when piped)."""
        lines = [click.style(f"!!! {a}", fg="red", bold=True) for a in self.advisories()]
        for d in self.data["devices"]:
            lines.append(f"{self._labels[d['id']]}: {d['records']} records, newest seq {d['last_seq']}, "
                         f"last import {d['last_import'] or 'never'}")
        lines += [click.style(f"  {m}", fg="yellow") for m in self.missing()]
        width = max([len("insole")] + [len(r["device_id"]) for r in self.data["days"]])
        head = (f"{'date':<11} {'insole':<{width}} {'foot':<4} {'worn / limit':>13} {'%':>5} {'steps':>6} {'cad.':>6} "
                f"{'MLI':>5} {'sup/neu/pro %':>14} {'alerts':>6} {'pain':>4}  notes")
        lines += ["", click.style(head, bold=True)]
        for r in self.data["days"]:
            lines.append(self._text_row(r, width))
        if not self.data["days"]:
            lines.append("(no records)")
        found = self.data["analysis"]
        flags = [f for f in found["flags"] if f["kind"] != "advisory"]
        if flags or found["judged"]:
            lines += ["", click.style("Analysis", bold=True)]
            lines += [click.style(f"- {f['message']}", fg="yellow" if f["severity"] == "warn" else None)
                      for f in flags]
            lines += [f"  {line}" for line in found["judged"]]
        lines += ["", *self.data["credit"]] if self.data["credit"] else []
        return "\n".join(lines)

    @staticmethod
    def _text_row(r: dict, width: int) -> str:
        worn = f"{hm(r['wear_s'])} / {_limit_text(r)}"
        pct = f"{r['wear_pct']:.0f}" if r["wear_pct"] is not None else "-"
        shares = "/".join("-" if r[k] is None else f"{r[k]:.0f}"
                          for k in ("supinated_pct", "neutral_pct", "pronated_pct"))
        notes = [click.style(r["wear_status"], fg=_TERM_COLOURS.get(r["wear_status"]))]
        notes += [_rollback_text(r)] if r["rolled_back"] else []
        notes += ["partial day"] if r["partial"] else []
        notes += [f"flagged ch {','.join(str(c) for c in range(8) if r['flagged_channels'] >> c & 1)}"] \
            if r["flagged_channels"] else []
        notes += [click.style("ADVISORY", fg="red", bold=True)] if r["advisory"] else []
        pain = click.style(f"{r['pain']:>4}", fg="red", bold=True) if r["pain"] else f"{'-':>4}"
        return (f"{r['date']:<11} {r['device_id']:<{width}} {r['foot']:<4} {worn:>13} {pct:>5} {r['steps']:>6} "
                f"{r['cadence_spm']:>6.1f} "
                f"{r['mli_median']:>+5d} {shares:>14} {r['alerts']:>6} {pain}  {', '.join(notes)}")

    def png_bytes(self) -> bytes:
        """The plot as PNG bytes, FIG_SIZE_PX pixels (drawn once per report)."""
        if self._png is None:
            self._png = self._draw()
        return self._png

    def _draw(self) -> bytes:
        out = io.BytesIO()
        self.figure().savefig(out, format="png", dpi=DPI)
        return out.getvalue()

    def figure(self):
        """The plot's matplotlib Figure: wear against the limit in force per day, the steps,
        then the pronation trend."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import FuncFormatter, MaxNLocator

        fig = Figure(figsize=(FIG_SIZE_PX[0] / DPI, FIG_SIZE_PX[1] / DPI), dpi=DPI)
        FigureCanvasAgg(fig)
        wear_ax, steps_ax, pron_ax = fig.subplots(3, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.2, 2]})
        rows = self.data["days"]
        keys = sorted({(r["clock_set"], r["day"]) for r in rows})
        x_of = {k: i for i, k in enumerate(keys)}
        feet = sorted({r["foot"] for r in rows})
        width = 0.8 / max(len(feet), 1)
        # each foot's bar sits in its own part of the day's slot
        xs = [x_of[(r["clock_set"], r["day"])] + (feet.index(r["foot"]) - (len(feet) - 1) / 2) * width for r in rows]
        few = len(keys) <= 62  # room for markers and labels
        bars = len(keys) <= 366
        self._plot_wear(wear_ax, rows, xs, width, few, bars)
        self._plot_steps(steps_ax, rows, xs, width, bars)
        self._plot_pronation(pron_ax, rows, xs, few)
        labels = {x_of[(r["clock_set"], r["day"])]: r["date"] for r in rows}
        pron_ax.xaxis.set_major_locator(MaxNLocator(nbins=14, integer=True))
        pron_ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: labels.get(int(round(v)), "")))
        pron_ax.set_xlim(-0.6, max(len(keys) - 0.4, 0.6))
        for tick in pron_ax.get_xticklabels():
            tick.set_rotation(30)
            tick.set_ha("right")
        fig.tight_layout()
        self._mark_episodes(pron_ax, rows, xs)  # after the layout: the names are placed in its pixels
        return fig

    @staticmethod
    def _bars(ax, rows: list, xs: list, values: list, colours: list, width: float, bars: bool) -> None:
        """One bar per row (the right foot's hatched), or lines where bars would be a pixel wide."""
        right = [r["foot"] == "R" for r in rows]
        if not bars:
            ax.vlines(xs, 0, values, colors=colours, linewidth=1, zorder=2)
            return
        for is_right in (False, True):
            part = [i for i, flag in enumerate(right) if flag == is_right]
            ax.bar([xs[i] for i in part], [values[i] for i in part], width=width, color=[colours[i] for i in part],
                   hatch="//" if is_right else None, edgecolor="white", linewidth=0.3, zorder=2)

    def _plot_wear(self, ax, rows: list, xs: list, width: float, few: bool, bars: bool) -> None:
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch
        from matplotlib.transforms import blended_transform_factory

        hours = [r["wear_s"] / 3600 for r in rows]
        for x, r in zip(xs, rows):
            if r["rest_day"]:
                ax.axvspan(x - width / 2, x + width / 2, color="#d9d9d9", linewidth=0, zorder=0)
        self._bars(ax, rows, xs, hours, [STATUS_COLOURS[r["wear_status"]] for r in rows], width, bars)
        limited = [(x, r["planned_s"] / 3600) for x, r in zip(xs, rows) if r["planned_s"]]
        if limited:
            lx, ly = zip(*limited)
            ax.hlines(ly, [x - width / 2 for x in lx], [x + width / 2 for x in lx], color="black",
                      linewidth=2.5 if few else 1, zorder=3)
        rolled = [(x, r["limit_s"] / 3600) for x, r in zip(xs, rows) if r["rolled_back"]]
        if rolled:
            rx, ry = zip(*rolled)
            ax.hlines(ry, [x - width / 2 for x in rx], [x + width / 2 for x in rx], color="#c0392b",
                      linestyle=(0, (2, 1)), linewidth=2 if few else 1, zorder=3)
        top = max(hours + [r["planned_s"] / 3600 for r in rows] + [1])
        pains = [(x, max(h, r["planned_s"] / 3600) + top * 0.04, r["pain"]) for x, h, r in zip(xs, hours, rows)
                 if r["pain"]]
        if pains:
            px, py, severity = zip(*pains)
            ax.scatter(px, py, marker="v", color="#c0392b", zorder=4, s=40 if few else 8)
            for x, y, n in pains if few else ():
                ax.text(x, y + top * 0.04, str(n), ha="center", fontsize=8, color="#c0392b", fontweight="bold")
        at_top = blended_transform_factory(ax.transData, ax.transAxes)
        alerted = [(x, r["alerts"]) for x, r in zip(xs, rows) if r["alerts"]]
        if alerted:
            ax.scatter([x for x, _ in alerted], [0.04] * len(alerted), transform=at_top, marker="^", color="#e67e22",
                       zorder=4, s=[min(12 + 8 * n, 60) if few else 6 for _, n in alerted])
        advised = [x for x, r in zip(xs, rows) if r["advisory"]]
        if advised:
            ax.scatter(advised, [0.82] * len(advised), transform=at_top, marker="s", color="#7b1d13", zorder=4,
                       s=30 if few else 4)
        if few:
            for x in sorted({round(x) for x, r in zip(xs, rows) if r["rest_day"]}):
                ax.text(x, 0.8, "rest", transform=at_top, ha="center", fontsize=8, color="#555555")
        if not rows:
            ax.text(0.5, 0.5, "no records", transform=ax.transAxes, ha="center", fontsize=14, color="#555555")
        ax.set_ylim(0, top * 1.6)  # room above for the pain marks, the advisory and the legend
        ax.set_ylabel("hours worn")
        ax.set_title("Wear time against the break-in limit in force")
        ax.grid(axis="y", alpha=0.3)
        present = {r["wear_status"] for r in rows}
        handles = [Patch(color=STATUS_COLOURS[s], label=s + {"within": " (up to 125 %)"}.get(s, ""))
                   for s in STATUS_COLOURS if s in present and s not in ("rest", "not worn")]
        handles += [h for h, shown in (
            (Patch(color="#d9d9d9", label="rest day"), any(r["rest_day"] for r in rows)),
            (Line2D([], [], color="black", lw=2.5, label="limit"), limited),
            (Line2D([], [], color="#c0392b", lw=2, linestyle=(0, (2, 1)), label="rolled back to (pain)"), rolled),
            (Line2D([], [], marker="v", color="#c0392b", linestyle="", label="pain (severity)"), pains),
            (Line2D([], [], marker="^", color="#e67e22", linestyle="", label="alerts"), alerted),
            (Line2D([], [], marker="s", color="#7b1d13", linestyle="", label="podiatrist advisory"), advised))
            if shown]
        if any(r["foot"] == "R" for r in rows) and bars:
            handles.append(Patch(facecolor="white", edgecolor="black", hatch="//", label="right foot"))
        if handles:
            ax.legend(handles=handles, loc="upper left", fontsize=7, ncol=min(len(handles), 6))

    def _plot_steps(self, ax, rows: list, xs: list, width: float, bars: bool) -> None:
        colours = {"L": "#1f5fa8", "R": "#2a8a6a"}
        self._bars(ax, rows, xs, [r["steps"] for r in rows], [colours[r["foot"]] for r in rows], width, bars)
        ax.set_ylabel("steps")
        ax.grid(axis="y", alpha=0.3)
        ax.set_ylim(0, max([r["steps"] for r in rows] + [1]) * 1.15)

    def _plot_pronation(self, ax, rows: list, xs: list, few: bool) -> None:
        ax.axhspan(-1000, record.SUPINATED_BELOW, color="#d6e4f5", linewidth=0)
        ax.axhspan(record.PRONATED_ABOVE, 1000, color="#fbe3cf", linewidth=0)
        colours = {"L": "#1f5fa8", "R": "#2a8a6a"}
        for foot, colour in colours.items():
            points = [(x, r["mli_median"]) for x, r in zip(xs, rows) if r["foot"] == foot and analysis.is_worn(r)]
            if not points:
                continue
            px, py = zip(*points)
            side = "left" if foot == "L" else "right"
            if few:
                ax.plot(px, py, marker="o", markersize=4, linewidth=1.2, color=colour,
                        label=f"{side} foot, daily median")
            else:
                ax.plot(px, py, linewidth=0.5, color=colour, alpha=0.25)
                smooth = [median_low(py[max(0, i - ROLLING_DAYS + 1):i + 1]) for i in range(len(py))]
                ax.plot(px, smooth, linewidth=1.8, color=colour,
                        label=f"{side} foot, median of {ROLLING_DAYS} worn days (faint: daily)")
        for dev_id, result in self.data["analysis"]["devices"].items():
            base = result["pronation"]["baseline_permille"]
            if base is not None:
                foot = self._feet[dev_id]
                ax.axhline(base, color=colours[foot], linewidth=1, linestyle=":",
                           label=f"{'left' if foot == 'L' else 'right'} baseline {base:+d}")
        ys = [r["mli_median"] for r in rows] or [0]
        ax.set_ylim(min(-300, min(ys) - 50), max(300, max(ys) + 50))
        ax.text(0.995, 0.03, "supinated (lateral)", transform=ax.transAxes, ha="right", fontsize=8)
        ax.text(0.995, 0.90, "pronated (medial)", transform=ax.transAxes, ha="right", fontsize=8)
        ax.set_ylabel("pronation index (MLI, per mille)")
        ax.set_title("Pronation trend (dotted: the baseline, median of the first worn days, at most 14)")
        ax.grid(axis="y", alpha=0.3)
        if rows:
            ax.legend(loc="upper left", fontsize=8, ncol=2)

    def _mark_episodes(self, ax, rows: list, xs: list) -> None:
        """A dashed line where each open change began (its first day), named by foot and kind beside it
        (on the side toward the plot's middle); a name that would overlap one already placed goes a line lower."""
        renderer = ax.figure.canvas.get_renderer()
        at = {(r["device_id"], r["seq"]): x for x, r in zip(xs, rows)}
        middle = sum(ax.get_xlim()) / 2
        placed = []
        for ep in self.data["analysis"]["episodes"]:
            x = at.get((ep.get("device_id"), ep.get("start_seq")))
            if x is None:
                continue
            what = {"over_correction": "over-correction", "insole_wear": f"wear, channel {ep.get('channel')}"}.get(
                ep["kind"], ep["kind"].replace("_", " "))
            ax.axvline(x, color="#8a5a00", linewidth=1, linestyle="--")
            name = ax.text(x, EPISODE_NAMES_TOP, f" {ep.get('foot') or ''} {what} from {ep['start']} ",
                           transform=ax.get_xaxis_transform(), fontsize=7, color="#8a5a00", va="top",
                           ha="left" if x < middle else "right")
            box = name.get_window_extent(renderer)
            while any(box.overlaps(other) for other in placed):
                name.set_y(name.get_position()[1] - (box.height + 1) / ax.bbox.height)
                box = name.get_window_extent(renderer)
            placed.append(box)

    def png(self, path) -> None:
        Path(path).write_bytes(self.png_bytes())

    def html(self, path) -> None:
        """A self-contained one-page report for a podiatrist."""
        Path(path).write_text(self.html_text(), encoding="utf-8")

    def html_text(self) -> str:
        e = _html.escape
        d = self.data
        parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Insole report</title>"
                 f"<style>{_CSS}</style></head><body><h1>Smart insole report</h1>"
                 f"<p class='meta'>Generated {e(d['generated'])}; "
                 f"{'last ' + str(d['days_shown']) + ' days' if d['days_shown'] else 'all days'}.</p>"]
        for a in self.advisories():
            parts.append(f"<div class='advisory'><strong>{e(a)}</strong></div>")
        parts.append("<h2>Insoles</h2><ul>")
        for dev in d["devices"]:
            virtual = f", virtual insole replaying {e(dev['virtual_dataset'])}" if dev["virtual_dataset"] else ""
            parts.append(f"<li>{e(self._labels[dev['id']])}: {dev['records']} daily records, first seen "
                         f"{e(dev['first_seen'] or '?')}, last import {e(dev['last_import'] or 'never')}{virtual}</li>")
        parts += [f"<li class='missing'>{e(m)}</li>" for m in self.missing()]
        parts.append("</ul>")
        flags = [f for f in d["analysis"]["flags"] if f["kind"] != "advisory"]
        parts.append("<h2>Findings</h2>")
        if flags:
            parts.append("<ul class='flags'>" + "".join(
                f"<li class='{e(f['severity'])}'>{e(f['message'])}</li>" for f in flags) + "</ul>")
        if d["analysis"]["judged"]:
            parts.append("<ul class='judged'>" + "".join(f"<li>{e(line)}</li>" for line in d["analysis"]["judged"])
                         + "</ul>")
        parts.append(self._html_analysis())
        png = base64.b64encode(self.png_bytes()).decode("ascii")
        parts.append(f"<h2>Wear and pronation</h2><img alt='wear time against the limit, and the pronation trend' "
                     f"width='{FIG_SIZE_PX[0]}' height='{FIG_SIZE_PX[1]}' src='data:image/png;base64,{png}'>")
        parts.append("<h2>Days</h2><table class='days'><tr><th>date</th><th>insole</th><th>foot</th><th>worn</th>"
                     "<th>limit</th><th>%</th>"
                     "<th>status</th><th>steps</th><th>cadence /min</th><th>MLI median ‰</th>"
                     "<th>CPEI median ‰</th><th>supinated / neutral / pronated %</th><th>alerts</th><th>pain</th>"
                     "<th>notes</th></tr>")
        for r in d["days"]:
            limit = _limit_text(r)
            shares = " / ".join("-" if r[k] is None else f"{r[k]:.0f}"
                                for k in ("supinated_pct", "neutral_pct", "pronated_pct"))
            notes = [n for n, on in (("ADVISORY", r["advisory"]), (_rollback_text(r), r["rolled_back"]),
                                     ("partial day", r["partial"]),
                                     ("clock not set", not r["clock_set"]),
                                     (f"flagged channels 0x{r['flagged_channels']:02x}", r["flagged_channels"]))
                     if on]
            pct = f"{r['wear_pct']:.0f}" if r["wear_pct"] is not None else "-"
            parts.append(
                f"<tr class='{e(r['wear_status']).replace(' ', '-')}'><td>{e(r['date'])}</td>"
                f"<td>{e(r['device_id'])}</td>"
                f"<td>{r['foot']}</td>"
                f"<td>{hm(r['wear_s'])}</td><td>{limit}</td><td>{pct}</td><td>{e(r['wear_status'])}</td>"
                f"<td>{r['steps']}</td><td>{r['cadence_spm']:.1f}</td><td>{r['mli_median']:+d}</td>"
                f"<td>{r['cpei_median']:+d}</td><td>{shares}</td><td>{r['alerts']}</td>"
                f"<td class='{'pain' if r['pain'] else ''}'>{r['pain'] or ''}</td><td>{e(', '.join(notes))}</td></tr>")
        parts.append("</table><p class='note'>Pronation index: medial-lateral impulse index per step, positive "
                     "medial (pronated), negative lateral (supinated); steps under -150 ‰ count as supinated, over "
                     "+150 ‰ as pronated. These are working thresholds for this sensor layout, not clinical "
                     "cut-offs.</p>")
        parts += [f"<p class='credit'>{e(c)}</p>" for c in d["credit"]]
        parts.append("</body></html>")
        return "\n".join(parts)

    def _html_analysis(self) -> str:
        e = _html.escape
        out = ["<table><tr><th>insole</th><th>MLI baseline ‰</th><th>MLI last 3 worn days ‰</th>"
               "<th>supinated steps baseline / last 3</th><th>sensors (peak force first 3 worn days → last 3, dN)</th>"
               "</tr>"]
        for dev_id, res in self.data["analysis"]["devices"].items():
            p = res["pronation"]
            sensors = "; ".join(
                f"{e(c['name'])}: {_dash(c['first_days_dn'])} → {_dash(c['recent_dn'])}"
                + "".join(f" <b>{word}</b>" for word, on in (("flagged", c["flagged"]), ("wear", c["episode"]),
                                                              ("unloaded", c["unloaded"])) if on)
                for c in res["channels"])
            out.append(f"<tr><td>{e(self._labels[dev_id])}</td><td>{_signed(p['baseline_permille'])}</td>"
                       f"<td>{_signed(p['recent_permille'])}</td><td>{_share(p['baseline_supinated_pct'])} / "
                       f"{_share(p['recent_supinated_pct'])}</td><td class='sensors'>{sensors}</td></tr>")
        out.append("</table>")
        usage = (self.data["analysis"]["asymmetry"] or {}).get("usage")
        if usage:
            out.append(f"<p>Left/right over the {usage['days']} days {e(usage['from'])}..{e(usage['to'])}: worn "
                       f"{hm(usage['wear_s']['L'])} / {hm(usage['wear_s']['R'])} h, steps {usage['steps']['L']} / "
                       f"{usage['steps']['R']}.</p>")
        acked = self.data["acknowledged"]
        if acked:
            out.append("<p>Acknowledged:</p><ul>" + "".join(
                f"<li>{e(a['at'])}: {e(a['message'] or 'new baseline from record ' + str(a['from_seq']))}"
                f"{' (' + e(a['note']) + ')' if a['note'] else ''}</li>" for a in acked) + "</ul>")
        return "\n".join(out)


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1250px; color: #222; }
h1 { margin-bottom: 0.2em; } .meta, .note, .credit { color: #555; font-size: 0.9em; }
.advisory { border: 4px solid #c0392b; background: #fdecea; color: #7b1d13; padding: 1em 1.5em;
  font-size: 1.4em; margin: 1em 0; border-radius: 6px; }
.flags li.warn { color: #8a5a00; } .flags li.info { color: #334; } .judged { color: #555; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: right; }
th { background: #f0f0f0; } td:nth-child(1), td:nth-child(2), td.sensors { text-align: left; }
table.days td:nth-child(3) { text-align: left; }
tr.pain td:nth-child(7) { color: #8e44ad; font-weight: bold; }
tr.well-over td:nth-child(7), tr.worn-on-a-rest-day td:nth-child(7), td.pain { color: #c0392b; font-weight: bold; }
tr.rest td { background: #f3f3f3; }
img { max-width: 100%; height: auto; border: 1px solid #ddd; }
"""

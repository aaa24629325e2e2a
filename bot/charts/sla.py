"""The picture `/report sla` attaches: per bug, the hours its clock ran, against the SLA windows.

One horizontal bar per bug (the most recent `MAX_BARS`), resolved ones solid, open ones hatched (hours so far),
green when within its SLA and red once breached, with the critical and major windows (24 h and 48 h by
default) as vertical lines. A long tail (a minor bug due at the release cut can take weeks) switches the hours
axis to a logarithmic scale, so that the windows stay readable. Drawn like the timeline picture: matplotlib
imported on first use, in the drawing process (bot/charts/process.py), never on the event loop; a solid light
card with dark text for both Discord themes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace

from bot.charts.timeline import CARD, GRID, INK, MUTED, PLANNED_EDGE, _first_use, _lock, _plain
from bot.domain.sla_metrics import HOUR, Resolution

FILENAME = "sla.png"
WIDTH, DPI = 960, 120
MAX_BARS = 30
TOP, BOTTOM, PER_BAR = 60, 80, 20  # pixels: the title, the axis and legend, and each bar
WITHIN = "#1F7A3D"
BREACHED = "#C12F35"
WINDOW = "#3C45A5"
LOG_FROM_HOURS = 240  # a bar longer than ten days: the hours axis becomes logarithmic


@dataclass(frozen=True)
class SlaPicture:
    """What one picture shows. Equal pictures (the same bars, windows and title) are drawn once and kept."""

    title: str
    bars: tuple[Resolution, ...]
    windows: tuple[tuple[str, int], ...]  # (label, hours), the critical and major windows
    overall: bool  # label bars with their bounty too

    @classmethod
    def of(
        cls, title: str, resolutions: tuple[Resolution, ...], critical_hours: int, major_hours: int, *, overall: bool
    ) -> SlaPicture:
        # Open bugs' hours grow with the clock: rounded to the hour, so a picture is kept for that hour.
        bars = tuple(r if r.resolved else replace(r, seconds=r.seconds // HOUR * HOUR) for r in resolutions[-MAX_BARS:])
        windows = (("critical", critical_hours), ("major", major_hours))
        return cls(_plain(title), bars, windows, overall)


def height(bars: int) -> int:
    """The picture's height in pixels: room for each bar, within 300–800."""
    return min(800, max(300, TOP + BOTTOM + PER_BAR * bars))


def _label(bar: Resolution, overall: bool) -> str:
    where = f"#{bar.bounty_id} " if overall else ""
    return f"{where}bug {bar.bug_id} · {bar.severity.label}"


def draw_sla(picture: SlaPicture) -> bytes:
    """The picture as PNG bytes, WIDTH × height(bars). CPU-bound: never call it on the event loop."""
    with _lock:
        _first_use()
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        bars = picture.bars
        tall = height(len(bars))
        fig = Figure(figsize=(WIDTH / DPI, tall / DPI), dpi=DPI, facecolor=CARD)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.2, BOTTOM / tall, 0.75, 1 - (TOP + BOTTOM) / tall), facecolor=CARD)
        values = [max(b.seconds / HOUR, 0.05) for b in bars]
        longest = max([*values, *(h for _, h in picture.windows)])
        log = longest > LOG_FROM_HOURS
        for y, (bar, value) in enumerate(zip(bars, values, strict=True)):
            colour = WITHIN if bar.within else BREACHED
            ax.barh(
                y,
                value,
                height=0.6,
                color=colour if bar.resolved else CARD,
                edgecolor=colour,
                linewidth=1.2,
                hatch=None if bar.resolved else "////",
                zorder=3,
            )
            ax.text(
                value * (1.04 if log else 1) + (0 if log else longest * 0.01),
                y,
                f"{value:.1f} h" + ("" if bar.resolved else ", open"),
                color=INK,
                fontsize=7.5,
                va="center",
                zorder=4,
                parse_math=False,
            )
        for (name, window_hours), style in zip(picture.windows, ((0, (4, 2)), (0, (1, 1.5))), strict=True):
            ax.axvline(window_hours, color=WINDOW, linewidth=1.4, linestyle=style, zorder=5)
            ax.text(
                window_hours,
                len(bars) - 0.35,
                f"{window_hours} h {name}",
                color=WINDOW,
                fontsize=8,
                ha="center",
                va="bottom",
                fontweight="bold",
                parse_math=False,
            )
        if log:
            ax.set_xscale("log")
            ax.set_xlim(min([*values, 1.0]) / 1.5, longest * 2.5)
        else:
            ax.set_xlim(0, longest * 1.18)
        ax.set_yticks(range(len(bars)), [_label(b, picture.overall) for b in bars], fontsize=8, color=INK)
        ax.set_ylim(-0.6, len(bars) - 0.4 + 0.5)
        ax.invert_yaxis()  # the oldest at the top, as they were resolved
        ax.set_xlabel("hours the SLA clock ran" + (" (log scale)" if log else ""), fontsize=8, color=MUTED)
        ax.tick_params(colors=MUTED, length=0, labelsize=8)
        ax.grid(axis="x", color=GRID, linewidth=0.8)
        ax.set_axisbelow(True)
        for spine in ax.spines.values():
            spine.set_visible(False)
        fig.text(0.02, 1 - 24 / tall, picture.title, fontsize=11, fontweight="bold", color=INK, parse_math=False)
        legend = [
            Patch(facecolor=WITHIN, label="resolved within SLA"),
            Patch(facecolor=BREACHED, label="resolved, breached"),
            Patch(facecolor=CARD, edgecolor=PLANNED_EDGE, hatch="////", label="still open (so far)"),
            Line2D([0], [0], color=WINDOW, linewidth=1.4, label="SLA windows"),
        ]
        fig.legend(
            handles=legend,
            loc="lower center",
            ncols=4,
            fontsize=7.5,
            frameon=False,
            labelcolor=INK,
            bbox_to_anchor=(0.5, 0.0),
        )
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=DPI, facecolor=CARD, pil_kwargs={"compress_level": 1})
        fig.clear()
        return out.getvalue()

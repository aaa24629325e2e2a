"""The timeline picture `/bounty status` attaches: a Gantt chart of planned against actual per phase.

Drawn with matplotlib, which costs ~0.4 s and ~45 MB to import: it is imported inside the drawing
function, so only the first picture pays for it, and start-up never does. The bot calls it in its drawing
process (bot/charts/process.py), never in its own. The picture is a solid card with dark text so that it
reads the same in Discord's light and dark themes (a transparent one would put dark labels on a dark
background).
"""

from __future__ import annotations

import io
import threading
import time
import unicodedata
import warnings
from dataclasses import dataclass, field
from typing import Any

from bot.domain.models import StatePeriod
from bot.domain.timeline import DAY, Standing, Timeline, TimelineRow

FILENAME = "timeline.png"
WIDTH, HEIGHT, DPI = 960, 480, 120

# A light neutral card: dark text on it has a contrast above 12:1, and it stands apart from both Discord
# backgrounds (white, and #313338) instead of blending into either.
CARD = "#E3E5E8"
INK = "#1E1F22"
MUTED = "#4E5058"
GRID = "#C4C9CE"
PLANNED = "#F8F9F9"
PLANNED_EDGE = "#80848E"
TODAY = "#3C45A5"
ACTUAL = {
    Standing.WITHIN: "#1F7A3D",
    Standing.PAST_LOW: "#A86B00",
    Standing.OVERRUN: "#C12F35",
}

# matplotlib keeps state of its own (fonts, caches) that is not safe to share between threads drawing at
# once; the bot draws one picture at a time anyway (bot/charts/drawings.py), but a test may draw directly.
_lock = threading.Lock()
_ready = False


def _first_use() -> None:
    """Once per process, under the lock: matplotlib, its image-only backend and its warnings."""
    global _ready
    if _ready:
        return
    import matplotlib

    matplotlib.use("Agg")
    # A character the bundled font lacks (a name in a script it does not cover) is drawn as a box; the
    # warning would say only that, once per character. Set once, for good: `catch_warnings` around each
    # drawing would swap the process's filters while another thread (a test's event loop) may use them.
    warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning)
    _ready = True


@dataclass(frozen=True)
class TimelinePicture:
    """What one picture shows, and when it may be shown again.

    Pictures compare equal for the same bounty, state history and hour: the one drawn first in that hour is
    kept and shown again, its today marker at most an hour behind (a day on the chart is ~10 pixels).
    """

    bounty_id: int
    periods: tuple[StatePeriod, ...]
    hour: int
    title: str = field(compare=False)
    timeline: Timeline = field(compare=False)

    @classmethod
    def of(cls, bounty_id: int, title: str, periods: list[StatePeriod], timeline: Timeline) -> TimelinePicture:
        return cls(bounty_id, tuple(periods), timeline.now // 3600, _plain(title), timeline)


def _plain(text: str, limit: int = 60) -> str:
    """A title as typed, drawn as text (no math, no markup), without control characters or the symbols
    (emoji) the bundled font lacks, which would show as empty boxes."""
    clean = "".join(c for c in text if unicodedata.category(c)[0] != "C" and unicodedata.category(c) != "So")
    clean = " ".join(clean.split())
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def _day_label(unix: int) -> str:
    return time.strftime("%d %b", time.gmtime(unix)).lstrip("0")


def _planned_end(row: TimelineRow) -> int:
    return (row.planned_start or 0) + row.target.high * DAY


def draw_timeline(picture: TimelinePicture) -> bytes:
    """The picture as PNG bytes, WIDTH × HEIGHT. CPU-bound (~75 ms; ~0.4 s more the first time, importing
    matplotlib): never call it on the event loop."""
    with _lock:
        _first_use()
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.patches import Patch

        tl = picture.timeline
        fig = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, facecolor=CARD)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.19, 0.15, 0.69, 0.72), facecolor=CARD)
        rows = tl.rows
        # A finished process (approved, cancelled) is drawn as it went, without a year of maintenance after it.
        finished = tl.total.started and not tl.total.ongoing
        ends = [tl.start + tl.total.target.high * DAY] + ([] if finished else [tl.now])
        ends += [_planned_end(r) for r in rows if r.planned_start is not None]
        ends += [end for r in rows for _, end in r.actual]
        left, right = tl.start - DAY, max(ends) + 2 * DAY

        for y, row in zip(range(len(rows) - 1, -1, -1), rows, strict=True):
            _draw_row(ax, row, y, left)
        ax.axhline(0.5, color=PLANNED_EDGE, linewidth=0.8)  # the total below the phases

        if not finished:
            _today(ax, tl.now, len(rows))

        # Weekly ticks, or every few weeks for a long history (a bounty in maintenance): ten at most.
        weeks = max(1, -(-(right - tl.start) // (10 * 7 * DAY)))
        ticks = list(range(tl.start, right, weeks * 7 * DAY))
        ax.set_xticks(ticks, [_day_label(t) for t in ticks], fontsize=8, color=INK)
        ax.set_yticks(
            range(len(rows) - 1, -1, -1),
            [f"{r.title}\n{r.target.text}" for r in rows],
            fontsize=8.5,
            color=INK,
        )
        ax.set_xlim(left, right)
        ax.set_ylim(-0.6, len(rows) - 0.4)
        ax.tick_params(colors=MUTED, length=0)
        ax.grid(axis="x", color=GRID, linewidth=0.8)
        ax.set_axisbelow(True)
        for spine in ax.spines.values():
            spine.set_visible(False)

        fig.text(0.02, 0.94, picture.title, fontsize=11, fontweight="bold", color=INK, parse_math=False)
        fig.text(
            0.98,
            0.94,
            f"{tl.total.spent / DAY:.1f} days {'in all' if finished else 'so far'}",
            fontsize=9,
            color=MUTED,
            ha="right",
            parse_math=False,
        )
        legend = [
            Patch(facecolor=PLANNED, edgecolor=PLANNED_EDGE, label="planned"),
            Patch(facecolor=PLANNED, edgecolor=PLANNED_EDGE, hatch="////", label="lower to upper end"),
            Patch(facecolor=ACTUAL[Standing.WITHIN], label="actual: on target"),
            Patch(facecolor=ACTUAL[Standing.PAST_LOW], label="past lower end"),
            Patch(facecolor=ACTUAL[Standing.OVERRUN], label="overrun"),
        ]
        fig.legend(
            handles=legend,
            loc="lower center",
            ncols=5,
            fontsize=7.5,
            frameon=False,
            labelcolor=INK,
            bbox_to_anchor=(0.5, 0.0),
            handlelength=1.6,
            columnspacing=1.2,
        )
        out = io.BytesIO()
        # The fastest compression: a third of the drawing's time saved for a few more kilobytes.
        fig.savefig(out, format="png", dpi=DPI, facecolor=CARD, pil_kwargs={"compress_level": 1})
        # Emptied here, its artists are freed now by reference counting, not at a later full collection.
        fig.clear()
        return out.getvalue()


def _draw_row(ax: Any, row: TimelineRow, y: int, left: int) -> None:
    if row.planned_start is not None:
        start, low, high = row.planned_start, row.target.low * DAY, row.target.high * DAY
        ax.barh(y, low, left=start, height=0.62, color=PLANNED, edgecolor=PLANNED_EDGE, linewidth=0.8)
        if high > low:
            ax.barh(
                y,
                high - low,
                left=start + low,
                height=0.62,
                color=PLANNED,
                edgecolor=PLANNED_EDGE,
                linewidth=0.8,
                hatch="////",
            )
    if not row.actual:
        text = "not started" if row.planned_start is not None else "not reached"
        where = row.planned_start if row.planned_start is not None else left
        ax.text(where + DAY / 2, y, text, color=MUTED, fontsize=7.5, va="center", style="italic", parse_math=False)
        return
    colour = ACTUAL[row.standing]
    for start, end in row.actual:
        ax.barh(y, max(end - start, DAY // 8), left=start, height=0.3, color=colour, zorder=4)
    state = "ongoing" if row.ongoing else "done"
    ax.text(
        row.actual[-1][1] + DAY / 2,
        y,
        f"{row.spent / DAY:.1f} d, {state}",
        color=INK,
        fontsize=7.5,
        va="center",
        zorder=6,
        parse_math=False,
        # On a patch of card, so that it reads over the hatched part of a planned window too.
        bbox={"boxstyle": "square,pad=0.15", "facecolor": CARD, "edgecolor": "none"},
    )


def _today(ax: Any, now: int, rows: int) -> None:
    ax.axvline(now, color=TODAY, linewidth=1.6, linestyle=(0, (4, 2)), zorder=5)
    ax.text(
        now,
        rows - 0.45,
        "today",
        color=TODAY,
        fontsize=8,
        ha="center",
        va="bottom",
        fontweight="bold",
        parse_math=False,
    )

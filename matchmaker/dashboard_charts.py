"""The dashboard's charts, drawn on the server as SVG from the same tables the page lists.

No script and no chart library (officers' networks block CDNs; the Content-Security-Policy allows
no inline script or style): this module only turns counts into bar geometry, the template draws
it with presentation attributes and CSS classes. Labels sit above their bars, so a chart stays
readable when the SVG is shrunk to a phone's width. Each chart also gives a one-line text for
screen readers; the tables below remain the accessible source of every figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from models import TERMINAL_STAGES, Stage

from .queries.dashboard import Table

WIDTH = 360  # the SVG's user units: close to a phone's CSS width, so text stays near its set size
BAR_AREA = 300  # the longest bar; the rest is room for its value
ROW = 40  # a label line and a bar
ENDED = TERMINAL_STAGES - {Stage.IMPLEMENTED}


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    css: str
    value: int


@dataclass(frozen=True)
class Row:
    label: str
    y: int  # top of the row: label baseline at y + 14, bar from y + 20
    segments: list[Segment]
    total: int
    total_x: float


@dataclass(frozen=True)
class Chart:
    key: str
    title: Any
    description: str
    rows: list[Row]
    legend: list[tuple[Any, str]] = field(default_factory=list)

    @property
    def height(self) -> int:
        return ROW * len(self.rows) + 6


def _comma() -> str:
    return str(_l("、"))


def _rows(items: list[tuple[str, list[tuple[int, str]]]]) -> list[Row]:
    """Rows of (label, [(value, css class)…]) scaled to the largest total."""
    peak = max((sum(v for v, _ in parts) for _, parts in items), default=0) or 1
    rows = []
    for index, (label, parts) in enumerate(items):
        x, segments = 0.0, []
        for value, css in parts:
            width = round(value / peak * BAR_AREA, 1)
            if value:
                segments.append(Segment(x, width, css, value))
            x += width
        rows.append(Row(label, ROW * index, segments, sum(v for v, _ in parts), round(x + 6, 1)))
    return rows


def _stage_class(stage: Stage) -> str:
    if stage is Stage.IMPLEMENTED:
        return "bar bar--ok"
    return "bar bar--muted" if stage in ENDED else "bar"


def stages(table: Table) -> Chart:
    """Projects per stage; ended ones grey, implemented ones green."""
    items = [(str(label), [(int(count), _stage_class(stage))]) for stage, (label, count) in zip(Stage, table.rows)]
    return Chart("stages", table.title, _comma().join(f"{label} {parts[0][0]}" for label, parts in items), _rows(items))


def by_field(table: Table) -> Chart:
    """Projects per field, split into under way / implemented / ended."""
    stage_list = list(Stage)
    items = []
    for row in table.rows:
        counts = dict(zip(stage_list, row[1:1 + len(stage_list)]))
        ongoing = sum(c for s, c in counts.items() if s not in TERMINAL_STAGES)
        items.append((str(row[0]), [(ongoing, "bar"), (counts.get(Stage.IMPLEMENTED, 0), "bar bar--ok"),
                                    (sum(c for s, c in counts.items() if s in ENDED), "bar bar--muted")]))
    legend = [(_l("進行中"), "bar"), (_l("社会実装"), "bar bar--ok"), (_l("終了（辞退・中止など）"), "bar bar--muted")]
    description = _comma().join(f"{label} {sum(v for v, _ in parts)}" for label, parts in items)
    return Chart("by_field", _l("分野別のプロジェクト数"), description, _rows(items), legend)


def conversion(table: Table) -> Chart:
    """The funnel: proposed, reached a pilot, reached implementation."""
    items = [(f"{row[0]}: {row[2]}", [(int(row[1]), css)])
             for row, css in zip(table.rows[:3], ("bar", "bar", "bar bar--ok"))]
    return Chart("conversion", _l("提案から社会実装まで"), _comma().join(label for label, _ in items), _rows(items))


def charts(tables: dict[str, Table]) -> list[Chart]:
    built = []
    if "stages" in tables:
        built.append(stages(tables["stages"]))
    if "by_field" in tables and tables["by_field"].rows:
        built.append(by_field(tables["by_field"]))
    if "conversion" in tables:
        built.append(conversion(tables["conversion"]))
    return built

"""A row of figures (one day × need, or day × need × hour) and its CSV form: the table of the manager's history
export and of `contactpoint figures` (pure). The columns are documented in docs/figures.md."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .model import Outcome

OUTCOMES = tuple(o.value for o in Outcome)
ROW_CHANNELS = ("kiosk", "appointment", "phone", "email", "desk")
ROW_TAP_CHANNELS = ("tablet", "buttons", "phone")
SCORES = (1, 2, 3, 4)


@dataclass(frozen=True, slots=True)
class FigureRow:
    day: str
    need: str  # a need's id, or "all"
    hour: int | None  # the site's local hour (0–23) of the tickets' issue; None: the whole day
    issued: int
    called: int
    served: int
    no_shows: int
    abandoned: int
    transferred: int
    wait_p50_s: float | None
    wait_p90_s: float | None
    wait_max_s: float | None
    service_p50_s: float | None
    service_p90_s: float | None
    service_max_s: float | None
    no_show_rate: float | None
    abandonment: float | None
    service_level: float | None
    first_line_resolution: float | None
    outcomes: dict[str, int]
    referrals_by_kind: dict[str, int]
    channels: dict[str, int]
    taps: dict[int, int]
    csat: float | None
    happy_index: float | None
    response_rate: float | None
    help_alerts: int
    priority: int = 0
    appointments: int = 0
    taps_by_channel: dict[str, int] | None = None


CSV_COLUMNS: tuple[str, ...] = (
    ("day", "need", "hour", "issued", "called", "served", "no_shows", "abandoned", "transferred", "priority",
     "appointments", "wait_p50_s", "wait_p90_s", "wait_max_s", "service_p50_s", "service_p90_s", "service_max_s",
     "no_show_rate", "abandonment", "service_level", "first_line_resolution")
    + tuple(f"outcome_{o}" for o in OUTCOMES)
    + ("referrals_by_kind",)
    + tuple(f"channel_{c}" for c in ROW_CHANNELS)
    + tuple(f"taps_{s}" for s in SCORES)
    + tuple(f"taps_{c}" for c in ROW_TAP_CHANNELS)
    + ("csat", "happy_index", "response_rate", "help_alerts")
)


def _cell(x: object) -> str:
    if x is None:
        return ""
    if isinstance(x, float):
        return f"{round(x, 4):.12g}"
    return str(x)


def row_csv(row: FigureRow) -> list[str]:
    """The row's cells, in the order of CSV_COLUMNS (empty: no value, e.g. a rate over nothing)."""
    tap_channels = row.taps_by_channel or {}
    cells: dict[str, object] = {
        "day": row.day,
        "need": row.need,
        "hour": row.hour,
        "referrals_by_kind": ";".join(f"{k}={v}" for k, v in sorted(row.referrals_by_kind.items())),
    }
    for name in CSV_COLUMNS:
        if name in cells:
            continue
        if name.startswith("outcome_"):
            cells[name] = row.outcomes.get(name.removeprefix("outcome_"), 0)
        elif name.startswith("channel_"):
            cells[name] = row.channels.get(name.removeprefix("channel_"), 0)
        elif name.startswith("taps_"):
            which = name.removeprefix("taps_")
            cells[name] = row.taps.get(int(which), 0) if which.isdigit() else tap_channels.get(which, 0)
        else:
            cells[name] = getattr(row, name)
    return [_cell(cells[name]) for name in CSV_COLUMNS]


def row_dict(row: FigureRow) -> dict[str, Any]:
    """The row as JSON-safe data (taps' scores as string keys)."""
    d = asdict(row)
    d["taps"] = {str(k): v for k, v in row.taps.items()}
    d["taps_by_channel"] = dict(row.taps_by_channel or {})
    return d

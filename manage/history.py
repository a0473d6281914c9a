"""The manager's History page (`/manage/history?from=DAY&to=DAY`): a day, a week or a month of figures per
need and per hour, drawn by uPlot (vendored, manage/static/vendor/) with a text table beside every chart, and
the CSV export of the same table (`/manage/history.csv`): one row per day × need plus an `all` row per day,
with the figures API's `CSV_COLUMNS` (docs/figures.md). A wrong range is a 400 in the manager's language.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Response, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from contactpoint import auth
from contactpoint.box import current_box
from contactpoint.domain.site import Site
from contactpoint.domain.tally import CSV_COLUMNS, row_csv

from . import bp, manager_required
from .names import KINDS, OUTCOMES, SCORES, name_of

#: the longest range one page or export covers (a year: a month is the common case)
MAX_DAYS = 366
RANGE_ERRORS = {
    "bad_day": _l("Give the days as dates (YYYY-MM-DD), for example 2026-11-25."),
    "range_reversed": _l("The first day must not come after the last day."),
    "range_too_long": _l("Choose a range of at most 366 days."),
}


@dataclass(frozen=True, slots=True)
class DayRange:
    first: str
    last: str

    @property
    def days(self) -> int:
        return (date.fromisoformat(self.last) - date.fromisoformat(self.first)).days + 1


class RangeError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

    @property
    def text(self) -> str:
        return str(RANGE_ERRORS[self.key])


def _day(raw: str) -> date:
    if len(raw) != 10:
        raise RangeError("bad_day")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise RangeError("bad_day") from None


def parse_range(args: Any, today: str) -> DayRange:
    """The `from` and `to` of a query (one of them alone: that day; neither: today), validated."""
    raw_from = (args.get("from") or "").strip()
    raw_to = (args.get("to") or "").strip()
    if not raw_from and not raw_to:
        return DayRange(today, today)
    first = _day(raw_from or raw_to)
    last = _day(raw_to or raw_from)
    if first > last:
        raise RangeError("range_reversed")
    if (last - first).days >= MAX_DAYS:
        raise RangeError("range_too_long")
    return DayRange(first.isoformat(), last.isoformat())


def presets(today: str) -> list[tuple[str, str, str]]:
    """The ranges a manager picks most: (label, from, to)."""
    d = date.fromisoformat(today)
    month = d.replace(day=1)
    last_month_end = month - timedelta(days=1)
    return [
        (str(_l("Today")), today, today),
        (str(_l("Yesterday")), (d - timedelta(days=1)).isoformat(), (d - timedelta(days=1)).isoformat()),
        (str(_l("This week")), (d - timedelta(days=d.weekday())).isoformat(), today),
        (str(_l("Last 7 days")), (d - timedelta(days=6)).isoformat(), today),
        (str(_l("This month")), month.isoformat(), today),
        (str(_l("Last month")), last_month_end.replace(day=1).isoformat(), last_month_end.isoformat()),
    ]


def _at(site: Site, day: str, hour: int) -> float:
    return datetime.combine(date.fromisoformat(day), time(hour), tzinfo=site.tz).timestamp()


def _pct(x: float | None) -> float | None:
    return None if x is None else round(100 * x, 1)


def _min(s: float | None) -> float | None:
    return None if s is None else round(s / 60, 1)


def charts(site: Site, by_need: list[Any], by_hour: list[Any], lang: str) -> dict[str, dict[str, Any]]:
    """What each chart draws (history.js): time series over days or hours, or bars over categories."""
    alls = [r for r in by_need if r.need == "all"]
    days = [_at(site, r.day, 12) for r in alls]
    hours = [r for r in by_hour if r.need == "all"]
    level_series = [{"label": str(_l("All services")), "values": [_pct(r.service_level) for r in alls]}]
    for need in site.needs:
        mine = {r.day: r for r in by_need if r.need == need.id}
        values = [_pct(mine[r.day].service_level) if r.day in mine else None for r in alls]
        level_series.append({"label": need.name(lang), "values": values})
    outcomes: dict[str, int] = {}
    kinds: dict[str, int] = {}
    for r in alls:
        for k, v in r.outcomes.items():
            outcomes[k] = outcomes.get(k, 0) + v
        for k, v in r.referrals_by_kind.items():
            kinds[k] = kinds.get(k, 0) + v
    outcome_keys = list(OUTCOMES) + sorted(k for k in outcomes if k not in OUTCOMES)
    kind_keys = sorted(kinds, key=lambda k: (-kinds[k], k))
    return {
        "waits": {
            "type": "time",
            "step": "hour",
            "xLabel": str(_l("Hour")),
            "unit": "min",
            "x": [_at(site, r.day, r.hour) for r in hours],
            "series": [
                {"label": str(_l("Median wait (min)")), "values": [_min(r.wait_p50_s) for r in hours]},
                {"label": str(_l("90th percentile of the wait (min)")), "values": [_min(r.wait_p90_s) for r in hours]},
            ],
        },
        "level": {
            "type": "time",
            "step": "day",
            "xLabel": str(_l("Day")),
            "unit": "%",
            "x": days,
            "series": level_series,
        },
        "outcomes": {
            "type": "bars",
            "xLabel": str(_l("How visits ended")),
            "categories": [name_of(OUTCOMES, k) for k in outcome_keys],  # type: ignore[arg-type]
            "series": [{"label": str(_l("Visits finished")), "values": [outcomes.get(k, 0) for k in outcome_keys]}],
        },
        "referrals": {
            "type": "bars",
            "xLabel": str(_l("Referrals by kind of organisation")),
            "categories": [name_of(KINDS, k) for k in kind_keys],  # type: ignore[arg-type]
            "series": [{"label": str(_l("Referrals")), "values": [kinds[k] for k in kind_keys]}],
        },
        "satisfaction": {
            "type": "time",
            "step": "day",
            "xLabel": str(_l("Day")),
            "unit": "",
            "x": days,
            "series": [
                {"label": str(_l("Satisfied (CSAT, %)")), "values": [_pct(r.csat) for r in alls]},
                {"label": str(_l("Happy Index (−100 to 100)")), "values": [r.happy_index for r in alls]},
            ],
        },
    }


def _render(status: int, rng: DayRange, error: str | None = None) -> Any:
    cp = current_box()
    lang = str(get_locale() or "en")
    today = cp.site.day_of(cp.engine.clock())
    by_need = cp.figures.history(rng.first, rng.last, by="need") if error is None else []
    by_hour = cp.figures.history(rng.first, rng.last, by="hour") if error is None else []
    html = render_template(
        "manage/history.html",
        site=cp.site,
        agent=auth.current_agent(),
        csrf=auth.csrf_token(),
        rng=rng,
        error=error,
        presets=presets(today),
        by_need=by_need,
        by_hour=[r for r in by_hour if r.need == "all"],
        charts=charts(cp.site, by_need, by_hour, lang),
        need_names={n.id: n.name(lang) for n in cp.site.needs},
        outcome_keys=list(OUTCOMES),
        kinds=sorted({k for r in by_need if r.need == "all" for k in r.referrals_by_kind}),
        outcome_name=lambda k: name_of(OUTCOMES, k),  # type: ignore[arg-type]
        kind_name=lambda k: name_of(KINDS, k),  # type: ignore[arg-type]
        scores=[(k, str(v)) for k, v in SCORES.items()],
    )
    return html, status, {"Cache-Control": "no-store"}


@bp.get("/history")
@manager_required
def history() -> Any:
    cp = current_box()
    today = cp.site.day_of(cp.engine.clock())
    try:
        rng = parse_range(request.args, today)
    except RangeError as e:
        return _render(400, DayRange(today, today), e.text)
    return _render(200, rng)


def export_rows(rng: DayRange) -> str:
    """The CSV text of a range: CSV_COLUMNS, then one line per day × need and an `all` line per day."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in current_box().figures.history(rng.first, rng.last, by="need"):
        writer.writerow(row_csv(row))
    return out.getvalue()


@bp.get("/history.csv")
@manager_required
def history_csv() -> Any:
    cp = current_box()
    try:
        rng = parse_range(request.args, cp.site.day_of(cp.engine.clock()))
    except RangeError as e:
        return Response(e.text + "\n", status=400, mimetype="text/plain")
    name = f"figures-{rng.first}-{rng.last}.csv"
    return Response(
        export_rows(rng),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )

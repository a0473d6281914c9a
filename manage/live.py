"""What the manager's Today page shows, as one JSON-safe dict: waiting now per need with the longest wait, the
counters, the day's figures so far (the figures service's live rows) and the alerts, their texts in a language.

Built from the engine's queries and `Box.figures` only (never the engine's state); `today_view` is
language-neutral, `alert_texts` puts its alerts into words in the current locale.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from contactpoint.box import Box
from contactpoint.domain.alerts import FIRST_LINE_DAYS, FIRST_LINE_TARGET, Alert, first_line_alerts, standard_alerts

#: the figures of a row the page shows, as they are in the figures API's FigureRow
ROW_FIELDS = (
    "issued",
    "called",
    "served",
    "no_shows",
    "no_show_rate",
    "abandoned",
    "service_level",
    "first_line_resolution",
    "wait_p50_s",
    "wait_p90_s",
    "wait_max_s",
    "service_p50_s",
    "csat",
    "happy_index",
    "response_rate",
    "taps",
    "help_alerts",
)


def _row(row: Any) -> dict[str, Any]:
    if row is None:  # nothing yet today: no visit counted is 0, a rate over nothing has no value
        counts = ("issued", "called", "served", "no_shows", "abandoned", "help_alerts")
        return {f: None for f in ROW_FIELDS} | {f: 0 for f in counts} | {"taps": {}}
    out = {f: getattr(row, f) for f in ROW_FIELDS}
    out["taps"] = {str(k): v for k, v in (out["taps"] or {}).items()}
    return out


class WeekCache:
    """The past days of the first-line alert's week, read from the figures' history once a day (the log of six
    days is not read again at each push); today's live rows are added at each push."""

    def __init__(self) -> None:
        self.day = ""
        self.past: dict[str, tuple[int, int]] = {}

    def past_days(self, box: Box, today: str) -> dict[str, tuple[int, int]]:
        if today != self.day:
            first = (date.fromisoformat(today) - timedelta(days=FIRST_LINE_DAYS - 1)).isoformat()
            last = (date.fromisoformat(today) - timedelta(days=1)).isoformat()
            past: dict[str, tuple[int, int]] = {}
            for row in box.figures.history(first, last, by="need"):
                if row.need != "all":
                    finished, resolved = past.get(row.need, (0, 0))
                    past[row.need] = (finished + row.served, resolved + int(row.outcomes.get("resolved", 0)))
            self.day, self.past = today, past
        return self.past


def week_first_line(box: Box, today: str, rows: dict[str, Any], cache: WeekCache) -> list[tuple[str, int, int]]:
    """Per need: visits finished and resolved at first line over the last 7 days, today's live figures included."""
    past = cache.past_days(box, today)
    out = []
    for need in box.site.needs:
        finished, resolved = past.get(need.id, (0, 0))
        row = rows.get(need.id)
        if row is not None:
            finished += row.served
            resolved += int(row.outcomes.get("resolved", 0))
        out.append((need.id, finished, resolved))
    return out


def negative_run(box: Box) -> list[Alert]:
    """The satisfaction taps' negative-run alert (`[feedback] negative_run`, e.g. 3 of the last 5 taps unhappy
    within 15 minutes), from the engine's query `negative_alert(now)` (an object with `negative`, the unhappy
    taps of the run, or None)."""
    run = box.engine.negative_alert(box.engine.clock())
    if run is None:
        return []
    return [Alert("negative_run", None, int(run.negative))]


def today_view(box: Box, cache: WeekCache) -> dict[str, Any]:
    """The Today page's figures and alerts now (language-neutral)."""
    engine = box.engine
    now = engine.clock()
    summary = engine.summary()
    today = box.site.day_of(now)
    rows = {r.need: r for r in box.figures.today()}
    needs = []
    for need in box.site.needs:
        s = summary["needs"].get(need.id, {})
        needs.append(
            {
                "id": need.id,
                "waiting": s.get("waiting", 0),
                "longest_wait_s": s.get("longest_wait_s", 0.0),
                "counters": s.get("counters", 0),
                "target_min": need.service_level_minutes,
                "max_wait_min": need.max_wait_minutes,
                "max_service_min": need.max_service_minutes,
            }
            | _row(rows.get(need.id))
        )
    every = {
        "id": "all",
        "waiting": sum(n["waiting"] for n in needs),
        "longest_wait_s": max((n["longest_wait_s"] for n in needs), default=0.0),
        "counters": None,
        "target_min": None,
        "max_wait_min": None,
        "max_service_min": None,
    } | _row(rows.get("all"))
    labels = {c.id: c.label for c in box.site.counters}
    counters = [
        {"id": c.id, "label": labels.get(c.id, c.id), "paused": c.paused, "busy": c.ticket is not None}
        for c in engine.counters()
        if c.open
    ]
    alerts = standard_alerts(engine.tickets(), box.site.needs, now)
    alerts += first_line_alerts(week_first_line(box, today, rows, cache))
    alerts += negative_run(box)
    report = report_view(box, now)
    hub_alert = []
    if report is not None and report["unreachable_since"] is not None:
        hub_alert = [{"kind": "hub_unreachable", "need": None, "count": report["pending"], "worst_s": 0.0,
                      "limit_s": 0.0, "rate": None, "numbers": [], "counters": [],
                      "since": report["unreachable_since"]}]
    return {
        "seq": summary["seq"],
        "at": now,
        "day": today,
        "needs": needs,
        "all": every,
        "counters": counters,
        "open": len(counters),
        "paused": sum(1 for c in counters if c["paused"]),
        "first_line_target": FIRST_LINE_TARGET,
        "alerts": [a.to_dict() for a in alerts] + hub_alert,
        "report": report,
    }


def report_view(box: Box, now: float) -> dict[str, Any] | None:
    """What the upstream reporter says (contactpoint/report/): None when the site does not report. Times are the
    site's local ones, to the minute."""
    if box.reporter is None:
        return None
    h = box.reporter.health()
    st = h.status

    def local(t: float | None) -> str | None:
        return None if t is None else box.site.local(t).strftime("%Y-%m-%d %H:%M")

    return {
        "pending": st.pending,
        "oldest": None if st.oldest_pending is None else st.oldest_pending.replace("T", " "),
        "last_success": local(st.last_success_at),
        "last_error": st.last_error if st.failing_since is not None else None,
        "unreachable_since": local(h.unreachable_since),
    }


def _minutes(seconds: float) -> int:
    return max(1, int(seconds // 60))


def alert_text(alert: dict[str, Any], need_name: str) -> str:
    """One alert in words, in the current locale: what happened, how bad, against which standard."""
    kind, n = alert["kind"], alert["count"]
    if kind == "long_wait":
        return ngettext(
            "%(need)s: %(num)d visitor has waited longer than %(limit)d min (longest %(worst)d min: %(numbers)s).",
            "%(need)s: %(num)d visitors have waited longer than %(limit)d min (longest %(worst)d min: %(numbers)s).",
            n,
            need=need_name,
            limit=_minutes(alert["limit_s"]),
            worst=_minutes(alert["worst_s"]),
            numbers=", ".join(alert["numbers"]),
        )
    if kind == "long_service":
        return ngettext(
            "%(need)s: %(num)d visit has lasted longer than %(limit)d min "
            "(longest %(worst)d min, counter %(counters)s).",
            "%(need)s: %(num)d visits have lasted longer than %(limit)d min "
            "(longest %(worst)d min, counters %(counters)s).",
            n,
            need=need_name,
            limit=_minutes(alert["limit_s"]),
            worst=_minutes(alert["worst_s"]),
            counters=", ".join(alert["counters"]) or "—",
        )
    if kind == "low_first_line":
        return ngettext(
            "%(need)s: only %(rate)d%% resolved at the first line over 7 days (%(num)d visit), below the 60%% target.",
            "%(need)s: only %(rate)d%% resolved at the first line over 7 days (%(num)d visits), below the 60%% target.",
            n,
            need=need_name,
            rate=round(100 * (alert["rate"] or 0.0)),
        )
    if kind == "negative_run":
        return ngettext(
            "Satisfaction: %(num)d unhappy answer in a short time. Go and see what is happening.",
            "Satisfaction: %(num)d unhappy answers in a short time. Go and see what is happening.",
            n,
        )
    if kind == "hub_unreachable":
        return _("The regional hub has not answered since %(since)s. Quarter hours not sent yet: %(n)s.",
                 since=alert["since"], n=n)
    return _("Alert: %(kind)s", kind=kind)


def alert_texts(view: dict[str, Any], box: Box, lang: str) -> list[dict[str, Any]]:
    """The view's alerts with their words in `lang` (the current locale), in the order they were raised."""
    names = {n.id: n.name(lang) for n in box.site.needs}
    out = []
    for a in view["alerts"]:
        need = a["need"]
        out.append(a | {"text": alert_text(a, names.get(need, need or ""))})
    return out

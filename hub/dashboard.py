"""The analysts' pages and the JSON API: login (analyst or admin), every site side by side per regional need code,
per need, hour of day or day; CSV export; /api/v1/figures with its OpenAPI description. Every cell under 5 visits
is "< 5" on the page, in the CSV and in the API alike (hub/figures.py)."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import date, timedelta
from functools import wraps
from typing import Any

import sqlalchemy as sa
from contactpoint.hub import users as hub_users
from contactpoint.hub.db import (
    SUM_COLUMNS,
    daily,
    daily_values,
    hourly,
    hourly_values,
    monthly,
    monthly_values,
    sites,
    windows,
)
from contactpoint.hub.figures import FLR_TARGET, SUPPRESSED, Group, Merged, group_rows, groups_of, shown
from flask import Blueprint, Response, abort, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from contactpoint import regional_needs

bp = Blueprint("dashboard", __name__, template_folder="templates", static_folder="static", static_url_path="/static")
BYS = ("need", "hour", "day", "week", "month")
MAX_DAYS = 400
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)  # a query's dates (the default period fits after both)
FIGURES = ("visits", "issued", "served", "contacts", "wait_p50", "wait_p90", "service_p50", "service_p90",
           "service_level", "no_show_rate", "first_line_resolution", "csat", "happy_index", "response_rate",
           "referrals")  # fmt: skip


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return str(session["csrf"])


def _csrf_ok() -> bool:
    sent = request.form.get("csrf_token", "")
    return bool(sent) and secrets.compare_digest(sent, str(session.get("csrf", "")))


def login_required(view: Any) -> Any:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if session.get("hub_role") not in hub_users.ROLES:
            if request.path.startswith("/api/"):
                return jsonify({"error": "login_required", "message": _("Log in first.")}), 401
            return redirect(url_for("dashboard.login", next=request.full_path))
        return view(*args, **kwargs)

    return wrapped


@bp.get("/login")
def login() -> Any:
    return render_template("hub/login.html", error=None, csrf=csrf_token())


@bp.post("/login")
def login_post() -> Any:
    if not _csrf_ok():
        return render_template("hub/login.html", error=_("The form expired: try again."), csrf=csrf_token()), 403
    hub = current_app.extensions["hub"]
    name = " ".join(request.form.get("name", "")[:240].split())
    address, now = request.remote_addr or "", hub.clock()
    wait = hub.throttle.retry_after(address, name, now)
    if wait > 0:
        error = _("Too many failed logins: try again in %(seconds)d seconds.", seconds=int(wait) + 1)
        return render_template("hub/login.html", error=error, csrf=csrf_token()), 429
    role = hub_users.check(hub.engine, name, request.form.get("password", "")[:200])
    if role is None:
        hub.throttle.failed(address, name, now)
        return render_template("hub/login.html", error=_("Wrong name or password."), csrf=csrf_token()), 401
    hub.throttle.succeeded(address, name, now)
    lang = session.get("lang")
    session.clear()
    session.update(hub_user=name, hub_role=role, csrf=secrets.token_urlsafe(24))
    if lang:
        session["lang"] = lang
    target = request.args.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("dashboard.home"))


@bp.post("/logout")
def logout() -> Any:
    if _csrf_ok():
        session.clear()
    return redirect(url_for("dashboard.login"))


class BadQuery(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def _params() -> tuple[date, date, str, str | None]:
    by = request.args.get("by", "need")
    if by not in BYS:
        raise BadQuery("by", _("“by” must be one of: %(values)s.", values=", ".join(BYS)))
    code = request.args.get("code") or None
    if code is not None and regional_needs.load().get(code) is None:
        raise BadQuery("code", _("Unknown need code: %(code)s.", code=code))
    try:
        day_to = date.fromisoformat(request.args["to"]) if request.args.get("to") else None
        day_from = date.fromisoformat(request.args["from"]) if request.args.get("from") else None
    except ValueError:
        raise BadQuery("from", _("Dates are written YYYY-MM-DD.")) from None
    for field, day in (("from", day_from), ("to", day_to)):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:  # no box reports outside them (and no 500)
            raise BadQuery(field, _("Dates run from %(first)s to %(last)s.", first=FIRST_DAY.isoformat(),
                                    last=LAST_DAY.isoformat()))  # fmt: skip
    if day_to is None:
        with current_app.extensions["hub"].engine.connect() as conn:
            day_to = conn.execute(sa.select(sa.func.max(windows.c.day))).scalar() or date.today()
    if day_from is None:
        day_from = day_to - timedelta(days=6)
    if day_from > day_to or (day_to - day_from).days > MAX_DAYS:
        raise BadQuery("from", _("The period must run forwards, %(days)d days at most.", days=MAX_DAYS))
    return day_from, day_to, by, code


def _whole_months(day_from: date, day_to: date) -> list[str]:
    """The months "YYYY-MM" the period covers from their first day to their last."""
    out, first = [], date(day_from.year, day_from.month, 1)
    if first < day_from:
        first = (first + timedelta(days=32)).replace(day=1)
    while True:
        following = (first + timedelta(days=32)).replace(day=1)
        if following - timedelta(days=1) > day_to:
            return out
        out.append(f"{first.year}-{first.month:02d}")
        first = following


def _groups(day_from: date, day_to: date, by: str, code: str | None) -> tuple[list[Group], dict[str, str]]:
    """The period's cells, summed in SQL from the rollups (hourly per hour; monthly for the whole months of a
    per-month view; else daily): a year of 50 sites never reads the windows."""
    slot = {"need": None, "hour": "hour", "day": "day", "week": "week", "month": "month"}[by]
    months = _whole_months(day_from, day_to) if by == "month" else []
    cells: dict[tuple[str, Any], dict[str, Merged]] = {}

    def cell(r: Any) -> Merged:
        s = r._mapping[slot] if slot else None
        s = s.isoformat() if isinstance(s, date) else s
        return cells.setdefault((r.code, s), {}).setdefault(r.site_id, Merged())

    def read(conn: Any, t: sa.Table, vt: sa.Table, period: Any) -> None:
        keys = [t.c.code, t.c.site_id] + ([t.c[slot]] if slot else [])
        vkeys = [vt.c.code, vt.c.site_id] + ([vt.c[slot]] if slot else [])
        sums = sa.select(*keys, t.c.edges, *[sa.func.sum(t.c[c]).label(c) for c in SUM_COLUMNS]).where(period(t))
        vals = sa.select(*vkeys, vt.c.key, sa.func.sum(vt.c.n).label("n")).where(period(vt))
        if code:
            sums, vals = sums.where(t.c.code == code), vals.where(vt.c.code == code)
        for r in conn.execute(sums.group_by(*keys, t.c.edges)):
            cell(r).add_sums(r._mapping)
        for r in conn.execute(vals.group_by(*vkeys, vt.c.key)):
            cell(r).add_value(r.key, r.n)

    def days(t: sa.Table) -> Any:
        inside = sa.and_(t.c.day >= day_from, t.c.day <= day_to)
        return sa.and_(inside, t.c.month.not_in(months)) if months else inside

    with current_app.extensions["hub"].engine.connect() as conn:
        if by == "hour":
            read(conn, hourly, hourly_values, days)
        else:
            read(conn, daily, daily_values, days)
            if months:
                read(conn, monthly, monthly_values, lambda t: t.c.month.in_(months))
        names = dict(conn.execute(sa.select(sites.c.id, sites.c.name)).all())
    return groups_of(cells), names


def _bad(e: BadQuery, page: bool) -> Any:
    if page:
        return render_template("hub/error.html", message=e.message, csrf=csrf_token()), 400
    return jsonify({"error": "bad_query", "field": e.field, "message": e.message}), 400


def _table(groups: list[Group]) -> list[dict[str, Any]]:
    """Flat rows: one per (group, site) then the group's total (site "all")."""
    out = []
    for g in groups:
        for site_id, f in [*g.sites.items(), ("all", g.total)]:
            out.append({"code": g.code, "slot": g.slot, "site": site_id, **shown(f)})
    return out


def _minutes(bucket: Any) -> float | None:
    """A wait bucket (low, high) in seconds as one point in minutes: its middle (its low edge when open-ended);
    a suppressed ("< 5") or empty cell is None, a gap in the chart."""
    if not isinstance(bucket, tuple):
        return None
    low, high = bucket
    return round((low if high is None else (low + high) / 2) / 60, 2)


def _percent(v: Any) -> float | None:
    return round(v * 100, 1) if isinstance(v, int | float) and not isinstance(v, bool) else None


def charts(groups: list[Group], names: dict[str, str], by: str, code: str | None, lang: str) -> dict[str, Any]:
    """The two charts' data (drawn by static/dashboard.js): the categories along x (the needs, or the slots of the
    chosen need), one series per site and figure. Per hour, day, week or month without a need chosen, the
    slots would mix needs: no chart (the page asks for a need)."""
    if by != "need" and code is None:
        return {}
    codes = regional_needs.load()
    keys = sorted({(g.code if by == "need" else g.slot) for g in groups}, key=lambda k: (str(type(k)), k))

    def label(k: Any) -> str:
        if by == "need":
            need = codes.get(k)
            return need.name(lang) if need else str(k)
        return f"{k:02d}:00" if by == "hour" else str(k)

    at = {k: i for i, k in enumerate(keys)}
    site_ids = sorted({s for g in groups for s in g.sites}, key=lambda s: names.get(s, s))
    cells: dict[str, list[dict[str, Any] | None]] = {s: [None] * len(keys) for s in site_ids}
    for g in groups:
        for s, f in g.sites.items():
            cells[s][at[g.code if by == "need" else g.slot]] = shown(f)

    def series(figure: str, tag: str, convert: Any) -> list[dict[str, Any]]:
        return [{"site": i, "label": f"{names.get(s, s)} · {tag}", "figure": figure,
                 "values": [None if c is None else convert(c[figure]) for c in cells[s]]}
                for i, s in enumerate(site_ids)]  # fmt: skip

    lines = by != "need"
    x = {"need": _("Need"), "hour": _("Hour"), "day": _("Day"), "week": _("Week"), "month": _("Month")}[by]
    return {
        "waits": {"categories": [label(k) for k in keys], "lines": lines, "x": x, "unit": _("min"),
                  "series": [x for pair in zip(series("wait_p50", _("p50"), _minutes),
                                               series("wait_p90", _("p90"), _minutes), strict=True) for x in pair]},
        "levels": {"categories": [label(k) for k in keys], "lines": lines, "x": x, "unit": "%",
                   "target": {"label": _("First-line resolution target"), "value": round(FLR_TARGET * 100)},
                   "series": [x for pair in zip(series("service_level", _("service level"), _percent),
                                                series("first_line_resolution", _("first-line resolution"), _percent),
                                                strict=True) for x in pair]},
    }  # fmt: skip


@bp.get("/")
@login_required
def home() -> Any:
    try:
        day_from, day_to, by, code = _params()
    except BadQuery as e:
        return _bad(e, page=True)
    groups, names = _groups(day_from, day_to, by, code)
    codes = regional_needs.load()
    drawn = charts(groups, names, by, code, str(get_locale() or "en"))
    return render_template(
        "hub/dashboard.html", groups=groups, names=names, codes=codes, by=by, code=code, day_from=day_from,
        charts=drawn,
        day_to=day_to, shown=shown, target=FLR_TARGET, suppressed=SUPPRESSED, csrf=csrf_token(),
        query=request.query_string.decode(),
    )  # fmt: skip


@bp.get("/export.csv")
@login_required
def export_csv() -> Any:
    try:
        day_from, day_to, by, code = _params()
    except BadQuery as e:
        return _bad(e, page=False)
    groups, _names = _groups(day_from, day_to, by, code)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["code", by if by != "need" else "period", "site", *FIGURES])
    for r in _table(groups):
        slot = r["slot"] if by != "need" else f"{day_from}..{day_to}"
        writer.writerow([r["code"], slot, r["site"], *(_csv_cell(r[k]) for k in FIGURES)])
    name = f"hub-{day_from}-{day_to}-{by}.csv"
    disposition = {"Content-Disposition": f"attachment; filename={name}"}
    return Response(buf.getvalue(), mimetype="text/csv", headers=disposition)


def _csv_cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, tuple):
        return f"{v[0]}-{'' if v[1] is None else v[1]}"
    if isinstance(v, dict):
        return ";".join(f"{k}={n}" for k, n in v.items())
    if isinstance(v, float):
        return f"{v:.4f}"
    return v


@bp.get("/api/v1/figures")
@login_required
def api_figures() -> Any:
    try:
        day_from, day_to, by, code = _params()
    except BadQuery as e:
        return _bad(e, page=False)
    groups, _names = _groups(day_from, day_to, by, code)
    rows = [{**r, **{k: _json_cell(r[k]) for k in FIGURES}} for r in _table(groups)]
    return jsonify({"from": str(day_from), "to": str(day_to), "by": by, "suppressed_below": 5, "rows": rows})


def _json_cell(v: Any) -> Any:
    if isinstance(v, tuple):
        return {"low_s": v[0], "high_s": v[1]}
    return v


@bp.get("/api/v1/openapi.json")
def openapi() -> Any:
    from contactpoint.hub.openapi import SPEC

    return jsonify(SPEC)


@bp.get("/lang/<lang>")
def set_lang(lang: str) -> Any:
    if lang not in ("fr", "nl", "en"):
        abort(404)
    session["lang"] = lang
    back = request.args.get("next", "/")
    return redirect(back if back.startswith("/") and not back.startswith("//") else "/")


@bp.get("/sites/<site_id>")
@login_required
def site_view(site_id: str) -> Any:
    """One site's own view: its needs under its own names (in the reader's language when the site has it)."""
    try:
        day_from, day_to, by, _code = _params()
    except BadQuery as e:
        return _bad(e, page=True)
    engine = current_app.extensions["hub"].engine
    with engine.connect() as conn:
        name = conn.execute(sa.select(sites.c.name).where(sites.c.id == site_id)).scalar()
        if name is None:
            abort(404)
        query = sa.select(windows).where(windows.c.site_id == site_id, windows.c.day >= day_from,
                                         windows.c.day <= day_to)  # fmt: skip
        rows = [r._mapping for r in conn.execute(query)]
    names: dict[str, dict[str, str]] = {}
    codes: dict[str, str] = {}
    for r in sorted(rows, key=lambda r: r["start"]):  # the latest names win
        names[r["need"]], codes[r["need"]] = dict(r["names"]), r["code"]
    return render_template(
        "hub/site.html", site_id=site_id, site_name=name, groups=group_rows(rows, by, key="need"), names=names,
        need_codes=codes, codes=regional_needs.load(), by=by, day_from=day_from, day_to=day_to, shown=shown,
        target=FLR_TARGET, csrf=csrf_token(),
    )  # fmt: skip

"""The site file's `[feedback]` (the satisfaction taps' rules) and `[buttons]` (their GPIO push-buttons) tables."""

from __future__ import annotations

from typing import Any

from contactpoint.config_reader import _bool, _Reader
from contactpoint.domain.feedback import RULES, FeedbackSettings, parse_run

FEEDBACK_KEYS = ("tap_window_seconds", "tap_rule", "link_nearest_visit", "negative_run")


def parse_feedback(r: _Reader, data: dict[str, Any]) -> FeedbackSettings:
    f = r.table(data, "feedback", "feedback", required=False)
    for k in f:
        if k not in FEEDBACK_KEYS:
            raise r.fail(f"feedback.{k}", f"unknown key (allowed: {', '.join(FEEDBACK_KEYS)})")
    rule = r.str_(f, "feedback.tap_rule", "tap_rule", "first")
    if rule not in RULES:
        raise r.fail("feedback.tap_rule", f"must be one of {', '.join(RULES)}, got {rule!r}")
    try:
        run = parse_run(r.str_(f, "feedback.negative_run", "negative_run", "3 of 5 within 15 minutes"))
    except ValueError as e:
        raise r.fail("feedback.negative_run", str(e)) from None
    return FeedbackSettings(
        tap_window_s=r.num(f, "feedback.tap_window_seconds", "tap_window_seconds", 5, 0, 600),
        rule=rule,
        link_nearest_visit=_bool(r, f, "feedback.link_nearest_visit", "link_nearest_visit", False),
        negative_run=run,
    )


def parse_buttons(r: _Reader, data: dict[str, Any]) -> Any:
    """The `[buttons]` table (ButtonSettings), or None when the site has no buttons."""
    raw = r.table(data, "buttons", "buttons", required=False)
    if "buttons" not in data:
        return None
    from contactpoint.hardware.buttons.settings import parse_buttons as parse

    try:
        return parse(raw)
    except ValueError as e:  # "buttons.<key>: problem"
        key, _, problem = str(e).partition(": ")
        raise r.fail(key, problem) from None

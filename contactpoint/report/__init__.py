"""The upstream reporter: the site's anonymised figures, per 15-minute window and need, sent to the regional hub.

- `windows.py` (pure): folds the log's events into windows, the same way after a restart as live.
- `outbox.py`: the windows as last computed, with a revision, and what the hub has acknowledged (the box's SQLite).
- `delivery.py`: one signed POST (Standard Webhooks), the retry schedule.
- `service.py`: the box service that runs them, off the ticket path.

docs/reporting.md says what is sent and what never is.
"""

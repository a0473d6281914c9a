"""The site's settings as the box runs them: the site file, with the browser's changes from the log over it.

At start (`init_settings`, from `create_app`) the `settings_changed` events of the log are folded over the
site file's data (`domain/settings.fold`, in log order) and the file's own validator (`config.parse_site`)
builds the Site: every change made in the browser survives a restart. A change from the manager's pages
(`SiteSettings.change`) is checked the same way first, then logged, and the new Site is put in place under the
engine's lock, in the engine, the box and the announcements alike: the next page, snapshot or command sees it.

When the site file is edited after changes were made in the browser, the browser's change wins, key by key:
a key the browser never changed takes the file's new value; a key it changed keeps the browser's. A logged
change the edited file no longer accepts (say the file gave its prefix to another need) is skipped at start,
logged as a warning and listed on the settings page (`skipped`), and the rest apply.
"""

from __future__ import annotations

import json
import logging
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contactpoint.config import SAMPLE_SITE, ConfigError, SiteConfig, parse_site
from contactpoint.domain import settings as core
from contactpoint.domain.site import Site
from contactpoint.toml_writer import dumps

if TYPE_CHECKING:
    from contactpoint.box import Box
    from contactpoint.store import EventStore

log = logging.getLogger(__name__)


def read_site_data(path: str | Path | None) -> tuple[dict[str, Any], str]:
    """The site file's parsed TOML (the sample site without a path), and the path its errors name."""
    p = Path(path) if path else SAMPLE_SITE
    try:
        return tomllib.loads(p.read_bytes().decode("utf-8")), str(p)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(str(p), "file", f"cannot be read ({e})") from None


def logged_changes(store: EventStore) -> list[core.Change]:
    """Every settings change of the log, oldest first (migration 7 indexes them: no walk over the log)."""
    with store.write_lock:
        rows = store.db.execute(
            "SELECT data FROM events WHERE type = 'settings_changed' ORDER BY seq"
        ).fetchall()
    out: list[core.Change] = []
    for (data,) in rows:
        d = json.loads(data)
        out.append((d["section"], d["key"], d.get("value")))
    return out


def build(
    data: dict[str, Any], changes: list[core.Change], path: str
) -> tuple[SiteConfig, list[core.Change], list[core.Change]]:
    """The site of the file with the changes over it, the changes kept and those the file's validator no longer
    accepts (each is tried in turn on top of those kept; usually none)."""
    try:
        return parse_site(core.fold(data, changes), path), changes, []
    except ConfigError:
        pass
    kept: list[core.Change] = []
    skipped: list[core.Change] = []
    for change in changes:
        try:
            parse_site(core.fold(data, [*kept, change]), path)
        except ConfigError as e:
            log.warning("a setting changed in the browser no longer applies to %s: %s (%s)", path, change[:2], e)
            skipped.append(change)
        else:
            kept.append(change)
    return parse_site(core.fold(data, kept), path), kept, skipped


@dataclass(eq=False)
class SiteSettings:
    box: Box
    data: dict[str, Any]  # the site file's TOML, as read at start
    path: str
    changes: list[core.Change] = field(default_factory=list)  # those in force, in log order
    skipped: list[core.Change] = field(default_factory=list)

    def current_data(self) -> dict[str, Any]:
        """The site file's data with every change in force over it: what `config export` writes."""
        return core.fold(self.data, self.changes)

    def check(self, changes: list[core.Change]) -> SiteConfig:
        """The site these changes would give; ConfigError (the file's own words) when the file would refuse it."""
        for section, key, value in changes:
            error = core.shape_error(section, key, value)
            if error is not None:
                raise ConfigError(self.path, f"{section}.{key}", error)
        return parse_site(core.fold(self.data, [*self.changes, *changes]), self.path)

    def change(self, changes: list[core.Change], by: str) -> Site:
        """Check, log and apply changes at once (ConfigError: refused by the validator; CommandError: by the
        rules of the day, e.g. removing a need with tickets today). Nothing changes unless everything does."""
        cp = self.box
        with cp.store.write_lock:  # the engine's lock: no command runs between the check and the swap
            cfg = self.check(changes)
            before = cp.site
            self._swap(cfg)
            try:
                cp.engine.run(core.change_settings, changes=changes, by=by)
            except BaseException:
                self._swap(replace(cp.site_config, site=before))
                raise
            self.changes.extend(changes)
        site: Site = cfg.site
        return site

    def _swap(self, cfg: SiteConfig) -> None:
        cp = self.box
        cp.engine.site = cfg.site
        cp.site = cfg.site
        cp.site_config = replace(cp.site_config, site=cfg.site)
        announcements = getattr(cp, "announcements", None)  # set later while the app is built
        if announcements is not None:
            announcements.site = cfg.site

    def export(self) -> str:
        return export_text(self.current_data(), self.box.site.id)


def export_text(data: dict[str, Any], site_id: str) -> str:
    return dumps(
        data,
        f"The settings of {site_id}: the site file with every change made in the browser (contactpoint config "
        "export).\nCheck it with `contactpoint check-config FILE`; serve it with `contactpoint serve --config FILE`.",
    )


def init_settings(cp: Box, config_path: str | None) -> SiteSettings:
    """Fold the log's settings over the site file and put the result in place (at start, before any service)."""
    data, path = read_site_data(config_path)
    cfg, kept, skipped = build(data, logged_changes(cp.store), path)
    settings = SiteSettings(cp, data, path, kept, skipped)
    settings._swap(replace(cfg, printer=cp.site_config.printer))
    cp.settings = settings
    return settings

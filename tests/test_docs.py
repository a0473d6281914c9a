"""The docs tell the truth: every event, CLI command, setting and habit that exists is documented."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from contactpoint.config import KEYS
from contactpoint.domain.events import EVENT_TYPES

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def read(name: str) -> str:
    return (ROOT / name).read_text()


@pytest.mark.parametrize("event", EVENT_TYPES)
def test_every_event_is_documented(event: str) -> None:
    assert f"| `{event}` |" in read("docs/events.md")


def test_every_event_the_code_appends_is_a_known_type() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "contactpoint" / "domain").glob("*.py"))
    appended = set(re.findall(r'Event\(\s*"([a-z_]+)"', source))
    assert appended and appended <= set(EVENT_TYPES)


def _commands(group: click.Group, prefix: str = "contactpoint") -> list[str]:
    out = []
    for name, cmd in group.commands.items():
        path = f"{prefix} {name}"
        if isinstance(cmd, click.Group):
            out += _commands(cmd, path)
        else:
            out.append(path)
    return out


def test_every_cli_command_is_documented() -> None:
    from contactpoint.provisioning.cli import main

    doc = read("docs/cli.md")
    commands = _commands(main)
    assert len(commands) >= 6
    for path in commands:
        assert f"`{path}" in doc, path


def _sections(doc: str) -> dict[str, str]:
    """The text under each heading `## [table]` (or `[[table]]`), by table name."""
    out: dict[str, str] = {}
    for part in re.split(r"^## ", doc, flags=re.M)[1:]:
        m = re.match(r"`\[\[?([a-z_]+)\]\]?`", part)
        if m:
            out[m.group(1)] = part
    return out


def test_every_site_setting_is_documented_in_its_own_table() -> None:
    doc = read("docs/configuration.md")
    sections = _sections(doc)
    for table, keys in KEYS.items():
        for key in keys:
            if table == "":
                assert key in sections, f"no section for [{key}]"
            elif table == "hours":
                assert f"`{key}`" in sections["hours"], f"hours.{key}"
            else:  # a row of the table's own section: `id` in [site] does not document [[zones]] id
                row = rf"^\| (?:`[a-z_]+`, )*`{key}`(?:, `[a-z_]+`)* \|"
                assert re.search(row, sections[table], re.M), f"{table}.{key}"


def test_every_printer_setting_is_documented() -> None:
    from contactpoint.hardware.printer import registered_transports

    doc = read("docs/printers.md")
    for kind, transport in registered_transports().items():
        assert f'"{kind}"' in doc or f"`{kind}`" in doc
        for key in transport.keys:
            assert f"`{key}`" in doc, f"printer.{key}"


def test_every_registered_transport_is_documented_with_its_own_settings() -> None:
    """docs/printers.md lists each transport as a `type`, and each of its own settings in a row of the settings
    table that names the transport (`| `timeout` | usb | …` or `| `status_query` | usb, network, serial | …`)."""
    from contactpoint.hardware.printer import registered_transports

    sections = re.split(r"(?m)^## ", read("docs/printers.md"))
    table = next(s for s in sections if s.startswith("`[printer]` settings"))
    rows = [[cell.strip() for cell in line.split("|")[1:-1]] for line in table.splitlines() if line.startswith("| `")]
    (type_row,) = [r for r in rows if r[0] == "`type`"]
    for kind, transport in registered_transports().items():
        assert f'"{kind}"' in type_row[3], f"printer.type = {kind!r} is not in the type row"
        for setting in transport.settings:
            named = [r for r in rows if f"`{setting.name}`" in r[0].split(", ") and kind in r[1].split(", ")]
            assert named, f"printer.{setting.name} (type = {kind!r}) has no row naming {kind}"


@pytest.mark.parametrize("target", ["demo", "serve", "test", "lint", "bench", "i18n"])
def test_every_make_habit_is_in_the_readme_and_the_makefile(target: str) -> None:
    assert f"make {target}" in read("README.md")
    assert re.search(rf"^{target}:", read("Makefile"), re.M)


def test_ci_installs_the_system_packages_and_runs_the_readme_test_command() -> None:
    ci = read(".ci/run")
    for package in ("chromium", "espeak-ng", "fonts-dejavu-core", "fonts-noto-core", "zbar-tools"):
        assert package in ci and package in read("README.md")
    assert "make test" in ci and "make test" in read("README.md")


def test_every_environment_variable_the_code_reads_is_documented() -> None:
    source = "\n".join(
        p.read_text()
        for folder in ("contactpoint", "kiosk", "counter", "display", "phone", "manage", "provisioning", "hardware")
        for p in (ROOT / folder).rglob("*.py")
    )
    names = set(re.findall(r'environ(?:\.get)?\(\s*"(CONTACTPOINT_[A-Z_]+|PORT|HOST)"', source))
    names |= set(re.findall(r'environ\["(CONTACTPOINT_[A-Z_]+)"\]', source))
    assert {"CONTACTPOINT_ASYNC", "CONTACTPOINT_PUBLIC_URL"} <= names
    doc = read("docs/configuration.md")
    for name in names:
        assert f"`{name}`" in doc, name

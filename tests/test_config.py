"""Site configuration: a wrong file stops the server with the key and what is wrong."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

from contactpoint.config import SAMPLE_SITE, ConfigError, load_site, parse_site

SAMPLE = tomllib.loads(SAMPLE_SITE.read_text())


def broken(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(SAMPLE)
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        (lambda d: d["site"].pop("id"), "site.id", "missing"),
        (lambda d: d["site"].update(timezone="Europe/Bruxelles"), "site.timezone", "unknown time zone"),
        (lambda d: d["site"].update(languages=["fr", "french"]), "site.languages", "two-letter"),
        (lambda d: d["site"].update(languages=["fr", "gr"]), "site.languages", "'gr' is not a language"),
        (lambda d: d["site"].update(announcement_languages=["jp"]), "site.announcement_languages", "not a language"),
        (lambda d: d["needs"][3].update(pictogram="castle"), "needs[3].pictogram", "no pictogram named 'castle'"),
        (lambda d: d["needs"][3].update(pictogram="../x"), "needs[3].pictogram", "no pictogram named"),
        (lambda d: d.update(zones=[{"id": "up", "needs": [{"a": 1}]}]), "zones[0].needs", "must list needs"),
        (lambda d: d.update(zones=[{"id": "up", "counters": [[1]]}]), "zones[0].counters", "must list counters"),
        (lambda d: d["printer"].update(bogus=1), "printer.bogus", "unknown setting"),
        (lambda d: d.update(printer={"type": "network"}), "printer.host", "missing"),
        (lambda d: d["site"].update(default_language="it"), "site.default_language", "not in site.languages"),
        (lambda d: d["needs"][1].update(prefix="A"), "needs[1].prefix", "already the prefix"),
        (lambda d: d["needs"][0].update(prefix="ab"), "needs[0].prefix", "one capital letter"),
        (lambda d: d["needs"][2]["names"].pop("nl"), "needs[2].names.nl", "missing translation"),
        (lambda d: d["counters"].append({"id": "1"}), "counters[3].id", "used twice"),
        (lambda d: d["hours"].update(mon=["9:00-12:00"]), "hours.mon[0]", "must look like"),
        (lambda d: d["hours"].update(tue=["12:00-09:00"]), "hours.tue[0]", "ends before it starts"),
        (lambda d: d["queue"].update(no_show_grace_minutes=-1), "queue.no_show_grace_minutes", "number from"),
        (lambda d: d["site"].update(colour="blue"), "site.colour", "unknown key"),
        (lambda d: d["printer"].update(type="laser"), "printer.type", "must be one of"),
        (lambda d: d.pop("needs"), "needs", "at least one"),
        (lambda d: d["needs"][1].update(max_wait_minutes=0), "needs[1].max_wait_minutes", "whole number of minutes"),
        (lambda d: d["needs"][1].update(max_service_minutes="20"), "needs[1].max_service_minutes", "from 1 to 480"),
    ],
)
def test_a_wrong_file_names_the_key_and_the_problem(change: Any, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as e:
        parse_site(broken(change), "site.toml")
    assert e.value.key == key
    assert words in str(e.value) and str(e.value).startswith("site.toml: " + key)


def test_the_sample_site_loads() -> None:
    cfg = load_site()
    assert cfg.site.id == "demo-saint-gilles"
    assert [n.prefix for n in cfg.site.needs] == ["A", "B", "C", "D", "E", "F"]
    assert (cfg.site.needs[0].max_wait_minutes, cfg.site.needs[0].max_service_minutes) == (30, 20)
    assert cfg.site.needs[1].max_wait_minutes is None


def test_unreadable_or_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        load_site(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[site\nid=1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_site(bad)


def test_the_server_refuses_to_start_on_a_wrong_file(tmp_path: Path) -> None:
    import subprocess
    import sys

    bad = tmp_path / "site.toml"
    bad.write_text(SAMPLE_SITE.read_text().replace('timezone = "Europe/Brussels"', 'timezone = "Mars/Olympus"'))
    r = subprocess.run(
        [sys.executable, "-m", "contactpoint.provisioning.cli", "serve", "--config", str(bad), "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode != 0
    assert "site.timezone: unknown time zone 'Mars/Olympus'" in r.stderr


def test_check_config_says_what_serve_would_refuse(tmp_path: Path) -> None:
    from click.testing import CliRunner
    from contactpoint.provisioning.cli import main

    path = tmp_path / "site.toml"
    path.write_text(SAMPLE_SITE.read_text().replace("[printer]\n", "[printer]\nbogus = 1\n", 1))
    result = CliRunner().invoke(main, ["check-config", str(path)])
    assert result.exit_code == 1 and "printer.bogus: unknown setting" in result.output
    assert CliRunner().invoke(main, ["check-config", str(SAMPLE_SITE)]).output.startswith("ok: ")


def test_check_config_takes_a_print_mode_per_language_and_refuses_a_bad_one(tmp_path: Path) -> None:
    from click.testing import CliRunner
    from contactpoint.provisioning.cli import main

    path = tmp_path / "site.toml"
    path.write_text(SAMPLE_SITE.read_text().replace("[printer]\n", '[printer]\ntext_mode = { tr = "image" }\n', 1))
    result = CliRunner().invoke(main, ["check-config", str(path)])
    assert result.exit_code == 0 and result.output.startswith("ok: "), result.output
    assert load_site(path).printer["text_mode"] == {"tr": "image"}
    for table, said in (
        ('{ tr = "images" }', "printer.text_mode.tr: 'images' is not one of 'auto', 'text', 'image'"),
        ('{ turkish = "image" }', "printer.text_mode.turkish: not a kiosk language (one of fr, nl, en,"),
        ('"picture"', "printer.text_mode: 'picture' is not one of 'auto', 'text', 'image', nor a table of languages"),
    ):
        path.write_text(SAMPLE_SITE.read_text().replace("[printer]\n", f"[printer]\ntext_mode = {table}\n", 1))
        result = CliRunner().invoke(main, ["check-config", str(path)])
        assert result.exit_code == 1 and said in result.output, result.output

"""The region's code list of needs, and check-config's rule: a site that reports to a hub maps every need."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

from contactpoint import regional_needs
from contactpoint.config import SAMPLE_SITE, ConfigError, parse_site
from contactpoint.report_format import CODE_RE

SAMPLE = tomllib.loads(SAMPLE_SITE.read_text())


def site_with(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(SAMPLE)
    change(data)
    return data


def test_the_code_list_is_valid_and_covers_the_sample_site() -> None:
    codes = regional_needs.load()
    assert codes.version >= 1 and len(codes.needs) >= 8
    assert all(CODE_RE.match(c) for c in codes.codes())
    assert all(n.names["fr"] and n.names["nl"] and n.names["en"] and n.description for n in codes.needs)
    site = parse_site(copy.deepcopy(SAMPLE)).site
    assert {n.id: n.regional_code for n in site.needs} == {
        "moving": "address_change", "documents": "identity_documents", "money": "income_support",
        "housing": "housing", "online": "digital_help", "dont_know": "orientation",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("needs = []", "version"),
        ("version = 1", "no needs"),
        ('version = 1\n[[needs]]\ncode = "Bad"\nnames = {fr="a", nl="b", en="c"}\ndescription="d"', "code"),
        ('version = 1\n[[needs]]\ncode = "a"\nnames = {fr="a", en="c"}\ndescription="d"', "names in fr, nl, en"),
        ('version = 1\n[[needs]]\ncode = "a"\nnames = {fr="a", nl="b", en="c"}', "description"),
    ],
)
def test_a_broken_code_list_is_refused(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        regional_needs.parse(text)


def reporting(d: dict[str, Any]) -> None:
    d["report"] = {"hub_url": "https://hub.region.example/"}


def test_a_reporting_site_with_every_need_mapped_loads() -> None:
    assert parse_site(site_with(reporting)).site.needs[0].regional_code == "address_change"
    local = site_with(lambda d: d.update(report={"hub_url": "http://127.0.0.1:9000"}))
    assert parse_site(local).site.id == SAMPLE["site"]["id"]


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        (lambda d: (reporting(d), d["needs"][2].pop("regional_code")), "needs[2].regional_code", "'money'"),
        (lambda d: d["needs"][0].update(regional_code="moving"), "needs[0].regional_code", "not in the region's"),
        (lambda d: d["needs"][0].update(regional_code=3), "needs[0].regional_code", "not in the region's"),
        (lambda d: d.update(report={"hub_url": "http://hub.region.example"}), "report.hub_url", "https://"),
        (lambda d: d.update(report={"hub_url": 5}), "report.hub_url", "https://"),
        (lambda d: d.update(report={"hub_url": "https://hub", "bogus": 1}), "report.bogus", "unknown key"),
        (lambda d: d.update(report="https://hub"), "report", "table"),
    ],
)
def test_check_config_refuses_an_unmapped_or_unknown_code(change: Any, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as e:
        parse_site(site_with(change))
    assert e.value.key == key and words in e.value.problem, str(e.value)


def test_a_site_that_does_not_report_may_leave_its_needs_unmapped(tmp_path: Path) -> None:
    from click.testing import CliRunner
    from contactpoint.provisioning.cli import main

    text = SAMPLE_SITE.read_text().replace('regional_code = "income_support"\n', "")
    path = tmp_path / "site.toml"
    path.write_text(text)
    assert CliRunner().invoke(main, ["check-config", str(path)]).exit_code == 0
    path.write_text(text + '\n[report]\nhub_url = "https://hub.region.example"\n')
    result = CliRunner().invoke(main, ["check-config", str(path)])
    assert result.exit_code == 1 and "needs[2].regional_code" in result.output, result.output

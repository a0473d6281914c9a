"""`contactpoint hub …` on both engines: sites, keys and their rotation, users; and `hub serve` as a real process
that takes a signed report."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from click.testing import CliRunner
from contactpoint.provisioning.cli import main

from contactpoint import report_format as rf
from tests.hub_support import body, signed
from tests.live_server import ROOT, free_port
from tests.pg_server import db_url, pg_server  # noqa: F401 - fixtures

KEY = re.compile(r"^whsec_[A-Za-z0-9+/]{43}=$", re.M)


def hub(*args: str) -> str:
    result = CliRunner().invoke(main, ["hub", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_sites_keys_and_rotation(db_url: str) -> None:  # noqa: F811
    import base64

    out = hub("site", "add", "Anderlecht Centre", "--db", db_url)
    (key,) = KEY.findall(out)
    assert "'anderlecht-centre'" in out and len(base64.b64decode(key[6:])) == 32
    assert "1 key(s)" in hub("site", "list", "--db", db_url)
    again = CliRunner().invoke(main, ["hub", "site", "add", "Anderlecht Centre", "--db", db_url])
    assert again.exit_code == 1 and "already exists" in again.output
    assert "'gilles'" in hub("site", "add", "Saint-Gilles", "--id", "gilles", "--db", db_url)
    early = CliRunner().invoke(main, ["hub", "site", "retire-key", "gilles", "--db", db_url])
    assert early.exit_code == 1 and "rotate first" in early.output
    (new,) = KEY.findall(hub("site", "rotate", "gilles", "--db", db_url))
    assert new != key and "gilles\tSaint-Gilles\t2 key(s)" in hub("site", "list", "--db", db_url)
    assert "1 old key(s)" in hub("site", "retire-key", "gilles", "--db", db_url)
    assert "gilles\tSaint-Gilles\t1 key(s)" in hub("site", "list", "--db", db_url)
    unknown = CliRunner().invoke(main, ["hub", "site", "rotate", "nowhere", "--db", db_url])
    assert unknown.exit_code == 1 and "no site 'nowhere'" in unknown.output


def test_users_get_a_password_once(db_url: str) -> None:  # noqa: F811
    from contactpoint.hub.db import engine_for
    from contactpoint.hub.users import check

    out = hub("user", "add", "Ana Lyst", "--role", "analyst", "--db", db_url)
    password = out.rsplit(": ", 1)[1].strip()
    engine = engine_for(db_url)
    assert check(engine, "Ana Lyst", password) == "analyst"
    assert check(engine, "Ana Lyst", password + "x") is None and check(engine, "nobody", password) is None
    out = hub("user", "add", "Ana Lyst", "--role", "admin", "--db", db_url)
    assert check(engine, "Ana Lyst", out.rsplit(": ", 1)[1].strip()) == "admin"
    assert check(engine, "Ana Lyst", password) is None  # the old password is gone
    engine.dispose()


def test_the_default_database_is_a_sqlite_file_in_the_data_folder(tmp_path: Path) -> None:
    hub("site", "add", "Forest", "--data", str(tmp_path / "hubdata"))
    assert (tmp_path / "hubdata" / "hub.sqlite").is_file()


def test_hub_serve_takes_a_signed_report(db_url: str, tmp_path: Path) -> None:  # noqa: F811
    (key,) = KEY.findall(hub("site", "add", "Anderlecht", "--db", db_url))
    port = free_port()
    log = open(tmp_path / "hub.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "contactpoint.provisioning.cli", "hub", "serve", "--db", db_url, "--port", str(port)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                urllib.request.urlopen(url + "/health", timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, (tmp_path / "hub.log").read_text()
                time.sleep(0.05)
        payload = rf.encode(body())
        headers = signed(key, payload, int(time.time()))
        req = urllib.request.Request(url + "/ingest/v1/anderlecht", data=payload, headers=headers, method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.status == 200 and json.load(r)["changed"] == 1
        try:
            urllib.request.urlopen(urllib.request.Request(req.full_url, payload, headers, method="POST"), timeout=10)
            raise AssertionError("a replay was accepted")
        except urllib.error.HTTPError as e:
            assert e.code == 409 and json.load(e)["error"] == "replayed"
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()
    assert "1 windows" in hub("site", "list", "--db", db_url)

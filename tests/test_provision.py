"""`contactpoint provision` and install.sh, rendered into a folder (--root): every unit passes systemd-analyze
verify, the udev rule gives the printer alone, the firewall parses, every path a file names is made by the install,
a second run changes nothing, --dry-run writes nothing, a bad site file is refused. The real install, in a Debian
chroot, is tests/test_provision_chroot.py (make test-provision)."""

from __future__ import annotations

import http.server
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from contactpoint.provisioning import provision_files as pf
from contactpoint.provisioning.cli import main
from contactpoint.provisioning.provision import Change, activate

from tests.conftest import require_tool
from tests.live_server import ROOT, free_port

SAMPLE = (ROOT / "contactpoint" / "sample_site.toml").read_text()
UNITS = ("contactpoint.service", "contactpoint-backup.service", "contactpoint-backup.timer",
         "contactpoint-screen.service")


def site(tmp_path: Path, extra: str = "", name: str = "site.toml", printer: str = "") -> str:
    path = tmp_path / name
    text = SAMPLE.replace('[printer]\ntype = "fake"\n', printer) if printer else SAMPLE
    assert printer in text
    path.write_text(text + extra)
    return str(path)


KIOSK = '\n[screen]\npage = "kiosk"\n\n[server]\nport = 8123\n'


def provision(*args: str) -> Result:
    return CliRunner().invoke(main, ["provision", *args], catch_exceptions=False)


@pytest.fixture
def rendered(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    root.mkdir()
    result = provision("--site", site(tmp_path, KIOSK), "--root", str(root))
    assert result.exit_code == 0, result.output
    return root


def test_it_writes_every_file_then_a_second_run_changes_nothing(rendered: Path, tmp_path: Path) -> None:
    before = {p: (p.read_bytes() if p.is_file() else None, p.lstat().st_mtime_ns) for p in rendered.rglob("*")}
    assert len([p for p in before if p.is_file() and not p.is_symlink()]) == 9
    again = provision("--site", str(tmp_path / "site.toml"), "--root", str(rendered))
    assert again.exit_code == 0
    lines = again.output.splitlines()
    assert lines[-1] == "nothing changed" and all(line.startswith("unchanged: ") for line in lines[:-1])
    assert {p: (p.read_bytes() if p.is_file() else None, p.lstat().st_mtime_ns) for p in rendered.rglob("*")} == before


def test_dry_run_lists_what_would_change_and_writes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    result = provision("--site", site(tmp_path, KIOSK), "--root", str(root), "--dry-run")
    assert result.exit_code == 0
    assert "would create: /etc/systemd/system/contactpoint.service (the server)" in result.output
    assert result.output.rstrip().endswith("would change")
    assert list(root.iterdir()) == []


def test_a_change_of_the_site_file_is_said_and_an_unwanted_screen_removed(rendered: Path, tmp_path: Path) -> None:
    key = (rendered / "var/lib/contactpoint/secret_key").read_text()
    result = provision("--site", site(tmp_path, '\n[server]\nport = 8124\n', "other.toml"), "--root", str(rendered))
    assert "changed: /etc/contactpoint/site.toml" in result.output
    assert "changed: /etc/nftables.conf" in result.output
    assert "removed: /etc/systemd/system/contactpoint-screen.service" in result.output
    assert "removed: /etc/systemd/system/multi-user.target.wants/contactpoint-screen.service" in result.output
    assert not (rendered / "etc/systemd/system/contactpoint-screen.service").exists()
    assert (rendered / "var/lib/contactpoint/secret_key").read_text() == key  # the key is never replaced


@pytest.mark.parametrize(
    "extra, problem",
    [
        ('\n[screen]\npage = "tv"\n', "screen.page: must be one of none, kiosk, display, got 'tv'"),
        ("\n[server]\nport = 80\n", "server.port: must be a whole number from 1024 to 65535, got 80"),
        ("\n[screen]\nsize = 3\n", "screen.size: unknown key"),
        ("\n[site\n", "is not valid TOML"),
    ],
)
def test_a_bad_site_file_is_refused_with_its_key_and_nothing_is_written(
    tmp_path: Path, extra: str, problem: str
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    result = CliRunner().invoke(main, ["provision", "--site", site(tmp_path, extra), "--root", str(root)])
    assert result.exit_code == 1 and "the site file is refused" in result.output and problem in result.output
    assert list(root.iterdir()) == []


def test_a_missing_site_file_or_root_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["provision", "--site", str(tmp_path / "none.toml"), "--root", str(tmp_path)])
    assert result.exit_code == 1 and "cannot be read" in result.output
    result = CliRunner().invoke(main, ["provision", "--site", site(tmp_path), "--root", str(tmp_path / "nowhere")])
    assert result.exit_code == 1 and "no such folder" in result.output


def _fixed_units(rendered: Path, into: Path) -> list[str]:
    """The units with the release's command pointed at this checkout's own (the install's /opt does not exist
    here): systemd-analyze verify checks every command it names exists and is executable."""
    ours = str(Path(sys.executable).parent / "contactpoint")  # this environment's own entry point
    into.mkdir()
    names = []
    for name in UNITS:
        text = (rendered / "etc/systemd/system" / name).read_text()
        (into / name).write_text(text.replace(pf.BIN, ours))
        names.append(str(into / name))
    return names


def test_every_unit_passes_systemd_analyze_verify(rendered: Path, tmp_path: Path) -> None:
    require_tool("systemd-analyze", "systemd")
    require_tool("cage", "cage")
    units = _fixed_units(rendered, tmp_path / "units")
    done = subprocess.run(["systemd-analyze", "verify", *units], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout + done.stderr == "", done.stdout + done.stderr


def test_the_server_unit_is_watched_hardened_and_allowed_the_printer_alone(rendered: Path) -> None:
    unit = (rendered / "etc/systemd/system/contactpoint.service").read_text()
    for line in ("Type=notify", "WatchdogSec=30", "Restart=on-failure", "NoNewPrivileges=yes", "ProtectSystem=strict",
                 "PrivateTmp=yes", "ProtectHome=yes", "StateDirectory=contactpoint", "User=contactpoint",
                 "DevicePolicy=closed", "DeviceAllow=char-usb_device rw",
                 f"ExecStart={pf.BIN} serve --config /etc/contactpoint/site.toml --data /var/lib/contactpoint "
                 "--host 0.0.0.0 --port 8123"):
        assert f"\n{line}\n" in unit, line
    screen = (rendered / "etc/systemd/system/contactpoint-screen.service").read_text()
    assert "http://127.0.0.1:8123/kiosk/" in screen and "Restart=always" in screen
    assert "wait-ready --url http://127.0.0.1:8123/api/health" in screen
    assert "After=contactpoint.service time-sync.target" in screen and "systemd-time-wait-sync.service" in screen
    for flag in ("--kiosk", "--noerrdialogs", "--disable-translate", "--disable-pinch",
                 "--autoplay-policy=no-user-gesture-required", "--user-data-dir=%S/contactpoint-screen/chromium"):
        assert flag in screen
    timer = (rendered / "etc/systemd/system/contactpoint-backup.timer").read_text()
    assert "Persistent=true" in timer and "Europe/Brussels" in timer
    backup = (rendered / "etc/systemd/system/contactpoint-backup.service").read_text()
    assert f"ExecStart={pf.BIN} backup --data /var/lib/contactpoint\n" in backup


RULE_TOKEN = re.compile(r'\s*([A-Z_]+)(?:\{([A-Za-z_]+)\})?(==|!=|\+=|:=|=)"([^"]*)"\s*(?:,|$)')
MATCH_KEYS = {"SUBSYSTEM", "ENV", "ATTR", "ATTRS", "KERNEL"}


def udev_rules(text: str) -> list[list[tuple[str, str | None, str, str]]]:
    """Each rule a list of (key, attribute, operator, value), as udev(7) reads them; a malformed line fails."""
    rules = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        tokens = [m.groups() for m in RULE_TOKEN.finditer(line)]
        assert "".join(m.group(0) for m in RULE_TOKEN.finditer(line)) == line, f"cannot parse: {line}"
        rules.append(tokens)
    return rules


@pytest.mark.parametrize(
    "printer, match",
    [
        ("", ("ENV", "ID_USB_INTERFACES", "==", "*:07????:*")),
        ('[printer]\ntype = "usb"\nvendor_id = "0x04b8"\nproduct_id = 3605\n', ("ATTR", "idVendor", "==", "04b8")),
    ],
)
def test_the_udev_rule_gives_the_group_the_printer_and_nothing_else(tmp_path: Path, printer: str, match: tuple) -> None:
    root = tmp_path / "root"
    root.mkdir()
    result = provision("--site", site(tmp_path, printer=printer), "--root", str(root))
    assert result.exit_code == 0, result.output
    text = (root / "etc/udev/rules.d/70-contactpoint-printer.rules").read_text()
    rules = udev_rules(text)
    assert len(rules) == 2 and match in rules[0]
    for rule in rules:
        matches = [t for t in rule if t[2] in ("==", "!=")]
        assigns = {t[0]: t[3] for t in rule if t[2] not in ("==", "!=")}
        assert {t[0] for t in matches} <= MATCH_KEYS and assigns == {"GROUP": "contactpoint", "MODE": "0660"}
        # a USB device only when it is the printer (its ids or a printer interface); an lp node is a printer
        assert ("SUBSYSTEM", None, "==", "usbmisc") in rule and ("KERNEL", None, "==", "lp[0-9]*") in rule or (
            ("SUBSYSTEM", None, "==", "usb") in rule and len(matches) >= 3)
    if "vendor_id" in printer:
        assert ("ATTR", "idProduct", "==", "0e15") in rules[0] and ("ATTRS", "idVendor", "==", "04b8") in rules[1]
    if shutil.which("udevadm") and subprocess.run(["udevadm", "verify", "--help"], capture_output=True).returncode == 0:
        rule_file = str(root / "etc/udev/rules.d/70-contactpoint-printer.rules")
        assert subprocess.run(["udevadm", "verify", rule_file], capture_output=True).returncode == 0


def test_the_firewall_parses_and_opens_the_port_and_ssh_to_the_lan_alone(rendered: Path) -> None:
    require_tool("nft", "nftables")
    conf = rendered / "etc/nftables.conf"
    done = subprocess.run(["nft", "-c", "-f", str(conf)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    text = conf.read_text()
    assert "policy drop;" in text and "ip saddr @lan4 tcp dport { 22, 8123 } accept" in text
    assert [line for line in text.splitlines() if "dport" in line and "accept" in line] == [
        "\t\tip6 saddr fe80::/10 udp dport 546 accept",  # DHCPv6 answers from the router
        "\t\tip saddr @lan4 tcp dport { 22, 8123 } accept",
        "\t\tip6 saddr @lan6 tcp dport { 22, 8123 } accept",
    ]


PATH_RE = re.compile(r"(?<![\w.:/%])(?:%S|/(?:etc|var|opt|usr|lib|dev|run|sys))(?:/[\w.@%-]+)+")


def test_every_path_a_file_names_is_made_by_the_install(rendered: Path) -> None:
    made = {"/" + str(p.relative_to(rendered)) for p in rendered.rglob("*")}
    texts = ["\n".join(line for line in p.read_text().splitlines() if not line.lstrip().startswith("#"))
             for p in rendered.rglob("*") if p.is_file() and not p.is_symlink() and p.name != "secret_key"]
    links = [str(Path(p).readlink()) for p in rendered.rglob("*") if p.is_symlink()]
    state = {f"/var/lib/{d}" for t in texts for d in re.findall(r"^StateDirectory=(\S+)$", t, re.M)}
    state |= {f"/var/cache/{d}" for t in texts for d in re.findall(r"^CacheDirectory=(\S+)$", t, re.M)}
    named = {m.replace("%S", "/var/lib") for t in texts for m in PATH_RE.findall(t)} | set(links)
    assert len(named) > 10
    for path in named:
        ok = path in made or path in pf.EXTERNAL or any(path == s or path.startswith(s + "/") for s in state)
        assert ok, f"{path} is named by a rendered file but made by nothing"
    install = (ROOT / "provisioning/install.sh").read_text()
    for why in pf.EXTERNAL.values():  # what the install makes otherwise is made by install.sh
        package = re.match(r"Debian package (\S+)", why)
        assert package is None or re.search(rf"\b{package.group(1)}\b", install), why


def test_the_secret_key_is_the_servers_alone_and_the_app_uses_it(rendered: Path) -> None:
    from contactpoint.app import _secret_key

    key = rendered / "var/lib/contactpoint/secret_key"
    assert key.stat().st_mode & 0o777 == 0o600 and len(key.read_text().strip()) == 64
    assert _secret_key(key.parent) == key.read_text().strip()
    assert (rendered / "etc/contactpoint/site.toml").stat().st_mode & 0o777 == 0o640


def test_a_running_box_restarts_what_changed_and_nothing_when_nothing_did() -> None:
    ran: list[list[str]] = []
    assert activate([Change("unchanged", pf.SITE_FILE)], lambda cmd: ran.append(cmd) or 0) == [] and ran == []
    done = activate([Change("changed", pf.SITE_FILE), Change("created", "/etc/nftables.conf")],
                    lambda cmd: ran.append(cmd) or 0)
    assert ["systemctl", "restart", "contactpoint.service"] in ran
    assert ["systemctl", "restart", "nftables.service"] in ran and done[0] == "systemctl daemon-reload"
    ran.clear()
    activate([Change("removed", f"{pf.UNITS}/contactpoint-screen.service")], lambda cmd: ran.append(cmd) or 0)
    assert ["systemctl", "stop", "contactpoint-screen.service"] in ran
    assert ["systemctl", "restart", "contactpoint.service"] not in ran


def test_install_sh_renders_into_a_folder_and_refuses_bad_arguments(tmp_path: Path) -> None:
    script = str(ROOT / "provisioning/install.sh")
    assert subprocess.run(["sh", "-n", script]).returncode == 0
    assert subprocess.run(["sh", script], capture_output=True).returncode == 2  # no --site: the usage
    missing = subprocess.run(["sh", script, "--site", str(tmp_path / "no.toml")], capture_output=True, text=True)
    assert missing.returncode == 1 and "no site file" in missing.stderr
    root = tmp_path / "root"
    root.mkdir()
    done = subprocess.run(["sh", script, "--site", site(tmp_path), "--root", str(root)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "created: /etc/systemd/system/contactpoint.service" in done.stdout
    assert (root / "etc/systemd/system/contactpoint.service").is_file()


@pytest.fixture
def answering() -> Iterator[int]:
    class Busy(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(503)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Busy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_wait_ready_returns_once_the_server_answers_whatever_it_says(answering: int) -> None:
    url = f"http://127.0.0.1:{answering}/api/health"
    result = CliRunner().invoke(main, ["wait-ready", "--url", url, "--timeout", "30"])
    assert result.exit_code == 0 and f"{url} answered 503" in result.output
    closed = f"http://127.0.0.1:{free_port()}/api/health"
    result = CliRunner().invoke(main, ["wait-ready", "--url", closed, "--timeout", "0"])
    assert result.exit_code == 1 and "no answer from" in result.output

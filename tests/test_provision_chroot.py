"""`make test-provision`: install.sh run for real, twice, in a Debian bookworm (amd64, minbase) that the test
makes itself with debootstrap. systemd cannot run as PID 1 in a chroot, so the units are verified and their
enabling links checked, not started (docs/technician.md says how long it takes)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from contactpoint.provisioning import provision_files as pf

pytestmark = pytest.mark.provision
ROOT = Path(__file__).resolve().parent.parent
MIRROR = os.environ.get("CONTACTPOINT_DEBIAN_MIRROR", "http://deb.debian.org/debian")
# the packages debootstrap downloads, kept between runs on this machine (--make-tarball); the chroot itself is
# made afresh each run, so a stale tarball only means apt-get upgrades a little more
CACHE = Path("/var/cache/contactpoint-test/bookworm-minbase-amd64.tgz")
SITE = """
[site]
id = "chroot-test"
name = "Chroot test"
timezone = "Europe/Brussels"
languages = ["fr", "nl"]

[hours]
mon = ["09:00-12:00"]

[[needs]]
id = "general"
prefix = "A"
names = { fr = "Général", nl = "Algemeen" }

[[counters]]
id = "1"
label = "1"

[screen]
page = "display"

[server]
port = 8081

[buttons]
"""


def _run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def chroot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if os.geteuid() != 0 or shutil.which("debootstrap") is None:
        message = "needs root and debootstrap (apt-get install debootstrap)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    target = tmp_path_factory.mktemp("bookworm") / "root"
    args = ["debootstrap", "--variant=minbase", "--arch=amd64"]
    if not CACHE.exists():
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        _run([*args, f"--make-tarball={CACHE}.part", "bookworm", str(target), MIRROR])
        os.replace(f"{CACHE}.part", CACHE)
        shutil.rmtree(target, ignore_errors=True)  # what --make-tarball left
    _run([*args, f"--unpack-tarball={CACHE}", "bookworm", str(target), MIRROR])
    # no daemon starts inside (policy-rc.d), the host's resolver, /proc and /dev for apt and pip
    (target / "usr/sbin/policy-rc.d").write_text("#!/bin/sh\nexit 101\n")
    (target / "usr/sbin/policy-rc.d").chmod(0o755)
    shutil.copy("/etc/resolv.conf", target / "etc/resolv.conf")
    # this machine's certificate authorities, for pip (a network that inspects TLS has its own)
    shutil.copy("/etc/ssl/certs/ca-certificates.crt", target / "root/host-ca.crt")
    mounts = [target / "proc", target / "dev", target / "dev/pts"]
    _run(["mount", "-t", "proc", "proc", str(mounts[0])])
    _run(["mount", "--bind", "/dev", str(mounts[1])])
    _run(["mount", "--bind", "/dev/pts", str(mounts[2])])
    try:
        files = _run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT).stdout.split("\n")
        dest = target / "root/contactpoint"
        for name in filter(None, files):
            if (ROOT / name).is_file():
                (dest / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, dest / name)
        (target / "root/site.toml").write_text(SITE)
        yield target
    finally:
        for m in reversed(mounts):
            subprocess.run(["umount", "-l", str(m)], check=False)


def inside(root: Path, *cmd: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
           "DEBIAN_FRONTEND": "noninteractive", "HOME": "/root", "PIP_CERT": "/root/host-ca.crt"}
    env |= {k: v for k, v in os.environ.items() if k.lower() in ("http_proxy", "https_proxy", "no_proxy")}
    return subprocess.run(["chroot", str(root), *cmd], text=True, capture_output=True, env=env, check=False)


@pytest.fixture(scope="module")
def installed(chroot: Path) -> tuple[Path, str, str]:
    first = inside(chroot, "/bin/sh", "/root/contactpoint/provisioning/install.sh", "--site", "/root/site.toml")
    assert first.returncode == 0, first.stdout + first.stderr
    second = inside(chroot, "/bin/sh", "/root/contactpoint/provisioning/install.sh", "--site", "/root/site.toml")
    assert second.returncode == 0, second.stdout + second.stderr
    return chroot, first.stdout, second.stdout


def test_the_second_install_changes_nothing_and_says_so(installed: tuple[Path, str, str]) -> None:
    _, first, second = installed
    assert "installing Debian packages" in first and "created: /etc/systemd/system/contactpoint.service" in first
    assert second.rstrip().endswith("nothing changed"), second
    for line in second.splitlines():
        assert line.startswith(("unchanged:", "install: unchanged:", "ok: Chroot test", "nothing changed")), line


def test_the_users_the_release_and_the_command(installed: tuple[Path, str, str]) -> None:
    root, _, _ = installed
    passwd = (root / "etc/passwd").read_text()
    assert "\ncontactpoint:" in passwd and "\ncontactpoint-screen:" in passwd
    version = inside(root, "contactpoint", "--version")
    assert version.returncode == 0 and "0." in version.stdout, version.stderr
    assert os.readlink(root / "opt/contactpoint/current").startswith("/opt/contactpoint/releases/")
    checked = inside(root, "/opt/contactpoint/current/bin/contactpoint", "check-config", "/etc/contactpoint/site.toml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # runtime dependencies only: no test, lint or client library in the box's venv
    freeze = inside(root, "/opt/contactpoint/current/bin/pip", "freeze").stdout.lower()
    assert "flask" in freeze and "gevent" in freeze and "gpiozero" in freeze  # the site has [buttons]
    for dev in ("pytest", "playwright", "mypy", "ruff", "sqlalchemy"):
        assert dev not in freeze
    assert inside(root, "sh", "-c", "command -v gcc cc").stdout == ""  # no compiler came along
    # the translations are where contactpoint/i18n.py looks for them, compiled
    code = "from contactpoint.i18n import LOCALES; print(sorted(p.parts[-3] for p in LOCALES.glob('*/*/*.mo')))"
    found = inside(root, "/opt/contactpoint/current/bin/python", "-c", code)
    assert found.stdout.strip() == "['ar', 'de', 'en', 'es', 'fr', 'nl', 'pl', 'pt', 'ro', 'tr']", found.stderr
    # what the install downloaded and wrote, for docs/technician.md (tests/artifacts/, not committed)
    sizes = inside(root, "du", "-sm", "/var/cache/apt/archives", "/opt/contactpoint/releases").stdout
    (ROOT / "tests/artifacts").mkdir(exist_ok=True)
    (ROOT / "tests/artifacts/provision-sizes.txt").write_text(sizes)


def test_the_files_their_owners_and_the_links(installed: tuple[Path, str, str]) -> None:
    root, _, _ = installed
    uid = int(inside(root, "id", "-u", "contactpoint").stdout)
    key = (root / "var/lib/contactpoint/secret_key").stat()
    assert (key.st_mode & 0o777, key.st_uid) == (0o600, uid)
    site = (root / "etc/contactpoint/site.toml").stat()
    assert site.st_mode & 0o777 == 0o640 and site.st_uid == 0
    for unit, target in [("contactpoint.service", "multi-user.target"), ("contactpoint-backup.timer", "timers.target"),
                         ("contactpoint-screen.service", "multi-user.target"), ("nftables.service", "sysinit.target")]:
        link = root / f"etc/systemd/system/{target}.wants/{unit}"
        assert (root / os.readlink(link).lstrip("/")).is_file(), link  # enabled: the link resolves in the box
    for path in pf.EXTERNAL:  # every path a rendered file names that the install makes otherwise
        assert inside(root, "test", "-e", path).returncode == 0, path  # links resolved in the box


def test_the_units_verify_inside_the_box(installed: tuple[Path, str, str]) -> None:
    root, _, _ = installed
    units = [f"/etc/systemd/system/{u}" for u in ("contactpoint.service", "contactpoint-backup.service",
                                                  "contactpoint-backup.timer", "contactpoint-screen.service")]
    verified = inside(root, "systemd-analyze", "verify", *units)
    assert verified.returncode == 0 and verified.stdout + verified.stderr == "", verified.stdout + verified.stderr
    nft = inside(root, "nft", "-c", "-f", "/etc/nftables.conf")
    assert nft.returncode == 0, nft.stderr


def test_a_dry_run_on_the_installed_box_says_what_would_change_and_writes_nothing(
    installed: tuple[Path, str, str],
) -> None:
    root, _, _ = installed
    site = root / "root/site.toml"
    site.write_text(SITE.replace("port = 8081", "port = 8082"))
    try:
        dry = inside(root, "/bin/sh", "/root/contactpoint/provisioning/install.sh", "--site", "/root/site.toml",
                     "--dry-run")
    finally:
        site.write_text(SITE)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "would change: /etc/contactpoint/site.toml" in dry.stdout
    assert "would change: /etc/nftables.conf" in dry.stdout
    assert "8082" not in (root / "etc/contactpoint/site.toml").read_text()  # nothing was written

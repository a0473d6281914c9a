"""Every file `contactpoint provision` writes on a box, rendered from the site file: the systemd units, the udev
rule, journald's limits, the firewall (docs/technician.md, "What the install writes"). Pure: text in, text out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contactpoint.config import SiteConfig

USER = "contactpoint"  # the server's system user and group (install.sh creates them)
SCREEN_USER = "contactpoint-screen"  # Chromium's own user: it cannot read the database or the secret key
OPT = "/opt/contactpoint"
BIN = f"{OPT}/current/bin/contactpoint"
ETC = "/etc/contactpoint"
SITE_FILE = f"{ETC}/site.toml"
DATA = "/var/lib/contactpoint"
UNITS = "/etc/systemd/system"
# the paths the rendered files name that the install makes otherwise: install.sh (the venv, the users) or the
# Debian packages it installs; tests/test_provision.py checks every path a file names is here or rendered
EXTERNAL = {
    BIN: "install.sh: the release's venv",
    "/usr/bin/cage": "Debian package cage (a box with a screen)",
    "/usr/bin/chromium": "Debian package chromium (a box with a screen)",
    "/usr/sbin/nft": "Debian package nftables",
    "/lib/systemd/system/nftables.service": "Debian package nftables",
    "/dev/tty0": "the kernel (a box with a screen)",
    "/dev/tty1": "the kernel (a box with a screen)",
}


@dataclass(frozen=True)
class File:
    path: str  # absolute, on the box
    text: str | None = None  # None: a symlink to `link`
    mode: int = 0o644
    owner: str = "root"
    group: str = "root"
    link: str | None = None
    keep: bool = False  # written once, never replaced (the secret key)
    why: str = ""


@dataclass(frozen=True)
class Dir:
    path: str
    mode: int = 0o755
    owner: str = "root"
    group: str = "root"
    why: str = ""


HARDENING = """NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RemoveIPC=yes
CapabilityBoundingSet=
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM
UMask=0027"""


def server_unit(site: SiteConfig) -> str:
    port = site.box.port
    return f"""# written by `contactpoint provision` from {SITE_FILE}: run it again after changing the site file
[Unit]
Description=contactpoint server (kiosk, display, counter and manager pages)
Documentation=https://github.com/contactpoint/contactpoint/blob/main/docs/technician.md
After=network.target
# restart as often as it fails: the box has nobody to start it by hand
StartLimitIntervalSec=0

[Service]
Type=notify
NotifyAccess=main
User={USER}
Group={USER}
ExecStart={BIN} serve --config {SITE_FILE} --data {DATA} --host 0.0.0.0 --port {port}
WorkingDirectory={DATA}
StateDirectory=contactpoint
StateDirectoryMode=0750
CacheDirectory=contactpoint
Environment=HOME={DATA} XDG_CACHE_HOME=/var/cache/contactpoint PYTHONDONTWRITEBYTECODE=1
Restart=on-failure
RestartSec=5
# a Pi 4 starts the server in a few seconds; the first start after an update migrates the database
TimeoutStartSec=180
TimeoutStopSec=30
# the server pings every 15 s from its event loop (contactpoint/sd_notify.py): a stuck loop is restarted
WatchdogSec=30
{HARDENING}
# the network: IPv4/IPv6 for the pages and the hub, AF_UNIX for systemd, AF_NETLINK for libusb's hotplug
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
# no /dev but the printer's: USB (libusb's /dev/bus/usb, the usblp /dev/usb/lp*), USB serial and the GPIO
# buttons; the udev rule gives the {USER} group the printer alone
DevicePolicy=closed
DeviceAllow=char-usb_device rw
DeviceAllow=char-usb rw
DeviceAllow=char-ttyUSB rw
DeviceAllow=char-ttyACM rw
DeviceAllow=char-gpiochip rw

[Install]
WantedBy=multi-user.target
"""


def backup_service() -> str:
    return f"""# written by `contactpoint provision`; contactpoint-backup.timer starts it every night
[Unit]
Description=contactpoint nightly backup of the event log

[Service]
Type=oneshot
User={USER}
Group={USER}
ExecStart={BIN} backup --data {DATA}
StateDirectory=contactpoint
StateDirectoryMode=0750
Environment=HOME={DATA} PYTHONDONTWRITEBYTECODE=1
Nice=10
IOSchedulingClass=idle
{HARDENING}
PrivateNetwork=yes
PrivateDevices=yes
RestrictAddressFamilies=AF_UNIX
"""


def backup_timer(site: SiteConfig) -> str:
    return f"""# written by `contactpoint provision`
[Unit]
Description=contactpoint nightly backup (after closing time, in the site's time zone)

[Timer]
OnCalendar=*-*-* 03:15:00 {site.site.tz.key}
RandomizedDelaySec=15min
# a box that was off at 03:15 backs up when it starts
Persistent=true

[Install]
WantedBy=timers.target
"""


CHROMIUM_FLAGS = (
    "--kiosk --noerrdialogs --disable-translate --disable-features=Translate,TranslateUI --disable-pinch "
    "--overscroll-history-navigation=0 --autoplay-policy=no-user-gesture-required --no-first-run "
    "--no-default-browser-check --disable-session-crashed-bubble --disable-infobars --disable-sync "
    "--disable-background-networking --disable-component-update --disable-breakpad --password-store=basic "
    "--touch-events=enabled --ozone-platform=wayland"
)


def screen_unit(site: SiteConfig) -> str:
    port, page = site.box.port, site.box.screen
    return f"""# written by `contactpoint provision`: the box's own screen ([screen] page = "{page}" in {SITE_FILE})
[Unit]
Description=contactpoint screen: Chromium in kiosk mode on the {page} page (cage, Wayland)
ConditionPathExists=/dev/tty0
# the clock first (a Pi has no battery clock: the page shows the time), then the server
Wants=contactpoint.service systemd-time-wait-sync.service
After=contactpoint.service time-sync.target systemd-user-sessions.service systemd-logind.service getty@tty1.service
Conflicts=getty@tty1.service
# relaunched however often it dies
StartLimitIntervalSec=0

[Service]
Type=simple
User={SCREEN_USER}
PAMName=login
TTYPath=/dev/tty1
TTYReset=yes
TTYVHangup=yes
TTYVTDisallocate=yes
StandardInput=tty-fail
StandardOutput=journal
StandardError=journal
UtmpIdentifier=tty1
UtmpMode=user
StateDirectory=contactpoint-screen
Environment=HOME=%S/contactpoint-screen XDG_SESSION_TYPE=wayland
# the server answers /api/health first (whatever it says: the page itself shows what is wrong)
ExecStartPre={BIN} wait-ready --url http://127.0.0.1:{port}/api/health --timeout 600
ExecStart=/usr/bin/cage -s -- /usr/bin/chromium {CHROMIUM_FLAGS} --user-data-dir=%S/contactpoint-screen/chromium \\
  http://127.0.0.1:{port}/{page}/
Restart=always
RestartSec=3
# lighter than the server's: cage needs its session's /run/user/<uid> writable, which ProtectHome= and
# ProtectSystem=strict would hide or make read-only; the screen's user owns nothing else
NoNewPrivileges=yes
ProtectSystem=full
PrivateTmp=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes

[Install]
WantedBy=multi-user.target
"""


def _usb_id(value: Any) -> str:
    n = int(value, 0) if isinstance(value, str) else int(value)
    return f"{n:04x}"


def udev_rule(site: SiteConfig) -> str:
    p = site.printer
    head = f"# written by `contactpoint provision`: the group {USER} gets the USB ticket printer, and nothing else\n"
    if p.get("type") == "usb" and "vendor_id" in p and "product_id" in p:
        v, d = _usb_id(p["vendor_id"]), _usb_id(p["product_id"])
        return head + (
            f"# the site's printer ([printer] vendor_id {v}, product_id {d})\n"
            f'SUBSYSTEM=="usb", ENV{{DEVTYPE}}=="usb_device", ATTR{{idVendor}}=="{v}", ATTR{{idProduct}}=="{d}", '
            f'GROUP="{USER}", MODE="0660"\n'
            f'SUBSYSTEM=="usbmisc", KERNEL=="lp[0-9]*", ATTRS{{idVendor}}=="{v}", ATTRS{{idProduct}}=="{d}", '
            f'GROUP="{USER}", MODE="0660"\n'
        )
    return head + (
        "# no printer ids in the site file: any USB device with a printer interface (class 07)\n"
        f'SUBSYSTEM=="usb", ENV{{DEVTYPE}}=="usb_device", ENV{{ID_USB_INTERFACES}}=="*:07????:*", '
        f'GROUP="{USER}", MODE="0660"\n'
        f'SUBSYSTEM=="usbmisc", KERNEL=="lp[0-9]*", GROUP="{USER}", MODE="0660"\n'
    )


JOURNALD = """# written by `contactpoint provision`: the logs survive a restart, and never fill the SD card
[Journal]
Storage=persistent
SystemMaxUse=200M
SystemKeepFree=1G
SystemMaxFileSize=20M
RuntimeMaxUse=50M
MaxRetentionSec=3month
"""

LAN4 = "10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 169.254.0.0/16"
LAN6 = "fc00::/7, fe80::/10"


def nftables(site: SiteConfig) -> str:
    port = site.box.port
    return f"""#!/usr/sbin/nft -f
# written by `contactpoint provision`: from the LAN, the box's port ({port}) and ssh (22); nothing from elsewhere
flush ruleset

table inet contactpoint {{
	set lan4 {{
		type ipv4_addr
		flags interval
		elements = {{ {LAN4} }}
	}}
	set lan6 {{
		type ipv6_addr
		flags interval
		elements = {{ {LAN6} }}
	}}

	chain input {{
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		ct state invalid drop
		iif "lo" accept
		meta l4proto {{ icmp, icmpv6 }} accept
		ip6 saddr fe80::/10 udp dport 546 accept
		ip saddr @lan4 tcp dport {{ 22, {port} }} accept
		ip6 saddr @lan6 tcp dport {{ 22, {port} }} accept
	}}

	chain forward {{
		type filter hook forward priority filter; policy drop;
	}}

	chain output {{
		type filter hook output priority filter; policy accept;
	}}
}}
"""


def wants(target: str, unit: str, source: str) -> File:
    """What `systemctl enable` makes: a link in the target's .wants folder."""
    return File(f"{UNITS}/{target}.wants/{unit}", link=source, why=f"enables {unit} ({target})")


def render(site: SiteConfig, site_text: str, extra: dict[str, bytes], secret: str) -> tuple[list[Dir], list[File]]:
    """Every folder and file of the box, for this site file (its text, and the files it names beside it)."""
    dirs = [
        Dir(ETC, why="the site file"),
        Dir(DATA, 0o750, USER, USER, "the database and the secret key (the unit's StateDirectory)"),
        Dir(f"{DATA}/backups", 0o750, USER, USER, "the nightly backups of contactpoint backup"),
    ]
    files = [
        File(SITE_FILE, site_text, 0o640, group=USER, why="the site file, checked by check-config"),
        File(f"{DATA}/secret_key", secret + "\n", 0o600, USER, USER, keep=True, why="the session key, the server's"),
        File(f"{UNITS}/contactpoint.service", server_unit(site), why="the server"),
        wants("multi-user.target", "contactpoint.service", f"{UNITS}/contactpoint.service"),
        File(f"{UNITS}/contactpoint-backup.service", backup_service(), why="the backup"),
        File(f"{UNITS}/contactpoint-backup.timer", backup_timer(site), why="starts the backup every night"),
        wants("timers.target", "contactpoint-backup.timer", f"{UNITS}/contactpoint-backup.timer"),
        File("/etc/udev/rules.d/70-contactpoint-printer.rules", udev_rule(site), why="the printer for the server"),
        File("/etc/systemd/journald.conf.d/contactpoint.conf", JOURNALD, why="journald's size limits"),
        File("/etc/nftables.conf", nftables(site), 0o755, why="the firewall"),
        wants("sysinit.target", "nftables.service", "/lib/systemd/system/nftables.service"),
    ]
    files += [File(f"{ETC}/{name}", data.decode(), 0o640, group=USER,
                   why="a file the site file names") for name, data in extra.items()]
    if site.box.screen != "none":
        files += [
            File(f"{UNITS}/contactpoint-screen.service", screen_unit(site), why=f"the screen, on {site.box.screen}"),
            wants("multi-user.target", "contactpoint-screen.service", f"{UNITS}/contactpoint-screen.service"),
        ]
    return dirs, files


# written only when the site has a screen: provision removes them when it no longer has one
OPTIONAL = (f"{UNITS}/contactpoint-screen.service", f"{UNITS}/multi-user.target.wants/contactpoint-screen.service")

#!/bin/sh
# Install a contactpoint box on Debian 12 / Raspberry Pi OS (bookworm), from a clone or a release tarball:
#   sudo provisioning/install.sh --site site.toml [--root DIR] [--dry-run]
# Debian packages (no compiler), the users, /opt/contactpoint/releases/<version> (a venv of the runtime
# dependencies only), then `contactpoint provision`, which writes every other file. Running it again changes
# nothing and says so. docs/technician.md ("Install a box", "What the install writes") says it all.
set -eu

usage() { echo "usage: sudo $0 --site site.toml [--root DIR] [--dry-run]" >&2; exit 2; }
die() { echo "install: $*" >&2; exit 1; }
say() { echo "install: $*"; }

SITE= ROOT=/ DRY=
while [ $# -gt 0 ]; do
  case "$1" in
    --site) [ $# -ge 2 ] || usage; SITE=$2; shift 2 ;;
    --root) [ $# -ge 2 ] || usage; ROOT=$2; shift 2 ;;
    --dry-run) DRY=--dry-run; shift ;;
    -h|--help) usage ;;
    *) echo "install: unknown argument $1" >&2; usage ;;
  esac
done
[ -n "$SITE" ] || usage
[ -f "$SITE" ] || die "no site file $SITE"
SITE=$(cd "$(dirname "$SITE")" && pwd)/$(basename "$SITE")
SRC=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$SRC/pyproject.toml" ] || die "run me from a clone or a release tarball ($SRC has no pyproject.toml)"

OPT=/opt/contactpoint
INSTALLED=$OPT/current/bin/contactpoint

if [ "$ROOT" != / ]; then
  # render into a folder (tests, review): no packages, no users, no venv; the files only
  for cp in "$INSTALLED" "$SRC/.venv/bin/contactpoint" "$(command -v contactpoint || true)"; do
    [ -n "$cp" ] && [ -x "$cp" ] && exec "$cp" provision --site "$SITE" --root "$ROOT" $DRY
  done
  die "--root needs contactpoint installed here (make setup, or install the box first)"
fi
[ "$(id -u)" = 0 ] || die "run me as root: sudo $0 --site $SITE"

# -- Debian packages: Python and its venv, espeak-ng (the announcements), the ticket fonts (Arabic too), raqm and
# fribidi (Arabic shaping), libusb (the USB printer), nftables (the firewall), systemd and udev; a box with a screen
# adds cage and chromium. No compiler: every Python dependency comes as a wheel.
BASE="python3 python3-venv espeak-ng fonts-dejavu-core fonts-noto-core libraqm0 libfribidi0 libusb-1.0-0 nftables
systemd udev ca-certificates"
missing() {
  for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
  done
}
packages() {
  # shellcheck disable=SC2086,SC2046 # word splitting of the package lists is wanted
  m=$(missing "$@" | tr '\n' ' ')
  if [ -z "$m" ]; then say "unchanged: Debian packages $(echo "$@")"; return; fi
  if [ -n "$DRY" ]; then say "would install Debian packages: $m"; return; fi
  say "installing Debian packages: $m"
  apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $m >/dev/null
}
# shellcheck disable=SC2086
packages $BASE

command -v python3 >/dev/null || die "python3 is missing (the dry run installs nothing)"
PAGE=$(python3 -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb")).get("screen", {}).get("page", "none"))' "$SITE") \
  || die "$SITE is not a readable TOML file"
BUTTONS=$(python3 -c 'import sys, tomllib; print("buttons" in tomllib.load(open(sys.argv[1], "rb")))' "$SITE")
VERSION=$(python3 -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["version"])' "$SRC/pyproject.toml")
if [ "$PAGE" = kiosk ] || [ "$PAGE" = display ]; then
  packages cage chromium
fi

# -- users: the server's, and the screen's own (Chromium never reads the database or the key)
user() {  # NAME HOME [GROUPS]
  if id "$1" >/dev/null 2>&1; then say "unchanged: user $1"; return; fi
  if [ -n "$DRY" ]; then say "would create user $1"; return; fi
  useradd --system --user-group --home-dir "$2" --no-create-home --shell /usr/sbin/nologin "$1"
  say "created: user $1"
}
user contactpoint /var/lib/contactpoint
if [ "$PAGE" != none ]; then
  user contactpoint-screen /var/lib/contactpoint-screen
  for g in video render input audio; do  # the screen, the GPU, the touch screen, the chime
    getent group "$g" >/dev/null && [ -z "$DRY" ] && usermod -a -G "$g" contactpoint-screen
  done
fi

# -- the release: a venv of the runtime dependencies only, from PyPI (wheels only), at install time alone
REL=$OPT/releases/$VERSION
EXTRA=  # a site with [buttons] needs gpiozero, the `buttons` extra (pyproject.toml)
[ "$BUTTONS" = True ] && EXTRA="[buttons]"
complete() {
  [ -f "$REL/.installed" ] && "$REL/bin/contactpoint" --version >/dev/null 2>&1 \
    && { [ -z "$EXTRA" ] || "$REL/bin/python" -c 'import gpiozero' 2>/dev/null; }
}
if complete; then
  say "unchanged: $REL"
elif [ -n "$DRY" ]; then
  say "would install contactpoint $VERSION into $REL"
else
  say "installing contactpoint $VERSION into $REL (Python packages from PyPI)"
  rm -rf "$REL"
  mkdir -p "$OPT/releases"
  python3 -m venv "$REL"
  TMP=$(mktemp -d)
  trap 'rm -rf "$TMP"' EXIT
  mkdir "$TMP/src"
  tar -C "$SRC" --exclude=./.git --exclude='./.venv*' --exclude=./data --exclude=./build -cf - . | tar -C "$TMP/src" -xf -
  "$REL/bin/pip" install -q --disable-pip-version-check --no-cache-dir --upgrade pip
  "$REL/bin/pip" wheel -q --disable-pip-version-check --no-cache-dir --no-deps -w "$TMP/wheel" "$TMP/src"
  "$REL/bin/pip" install -q --disable-pip-version-check --no-cache-dir --only-binary=:all: "$(echo "$TMP"/wheel/contactpoint-*.whl)$EXTRA"
  # the translations: the wheel carries the catalogues (contactpoint.locales); compiled here once, so the server
  # does not compile them at every start (contactpoint/i18n.py)
  LOCALES=$("$REL/bin/python" -c 'from contactpoint.i18n import LOCALES; print(LOCALES)')
  "$REL/bin/pybabel" -q compile -f -d "$LOCALES" -D messages
  "$REL/bin/contactpoint" --version >/dev/null
  touch "$REL/.installed"
  rm -rf "$TMP"
  trap - EXIT
  say "created: $REL"
fi

# -- current (and previous, for `contactpoint rollback`), and the command on the PATH
link() {  # TARGET LINK
  if [ "$(readlink "$2" 2>/dev/null || true)" = "$1" ]; then say "unchanged: $2 -> $1"; return; fi
  if [ -n "$DRY" ]; then say "would link $2 -> $1"; return; fi
  ln -sfn "$1" "$2"
  say "linked: $2 -> $1"
}
OLD=$(readlink "$OPT/current" 2>/dev/null || true)
if [ -n "$OLD" ] && [ "$OLD" != "$REL" ]; then link "$OLD" "$OPT/previous"; fi
link "$REL" "$OPT/current"
link "$INSTALLED" /usr/local/bin/contactpoint

if [ -n "$DRY" ] && [ ! -x "$INSTALLED" ]; then
  say "then contactpoint provision writes the box's files (dry run: nothing is installed yet to list them)"
  exit 0
fi
"$INSTALLED" check-config "$SITE"
exec "$INSTALLED" provision --site "$SITE" $DRY

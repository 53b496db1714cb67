#!/usr/bin/env bash
# Parley bootstrap: system packages, the .venv and the Python dependencies.
#
# Idempotent and fast when everything is already in place:
#   - installs only the Debian packages that are missing (apt-get update only then);
#   - creates .venv from Debian's /usr/bin/python3, which can load SQLite extensions
#     (SpatiaLite); a pyenv/Homebrew-style python3 often cannot;
#   - runs `pip install -r requirements.lock` only when requirements.lock changed since
#     the last successful install (stamp file inside .venv).
#
# Usage: scripts/bootstrap.sh [--browser] [--postgres] [--redis] [--no-system]
#   --browser    also Debian's chromium (browser end-to-end tests)
#   --postgres   also postgresql-15-postgis-3 (PostgreSQL + PostGIS for the second test half)
#   --redis      also redis-server
#   --no-system  skip the Debian package step entirely (you manage system packages yourself)
# Environment: PARLEY_PYTHON=/path/to/python3 to build the venv from another interpreter
# (it must be Python 3.11 with sqlite3 extension loading).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="$ROOT/.venv"
LOCK="$ROOT/requirements.lock"
STAMP="$VENV/.requirements.lock.sha256"
BASE_PYTHON="${PARLEY_PYTHON:-/usr/bin/python3}"

say()  { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
ok()   { printf '    \033[32mok\033[0m %s\n' "$*"; }
die()  { printf '\033[1;31mbootstrap: %s\033[0m\n' "$*" >&2; exit 1; }

WANT_BROWSER=0 WANT_POSTGRES=0 WANT_REDIS=0 SYSTEM=1
for arg in "$@"; do
    case "$arg" in
        --browser)   WANT_BROWSER=1 ;;
        --postgres)  WANT_POSTGRES=1 ;;
        --redis)     WANT_REDIS=1 ;;
        --no-system) SYSTEM=0 ;;
        -h|--help)   sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option: $arg (see --help)" ;;
    esac
done

# --- 1. Debian packages -------------------------------------------------------------------
packages=(binutils libgdal32 libsqlite3-mod-spatialite gettext fonts-dejavu-core python3 python3-venv)
(( WANT_BROWSER ))  && packages+=(chromium)
(( WANT_POSTGRES )) && packages+=(postgresql-15-postgis-3)
(( WANT_REDIS ))    && packages+=(redis-server)

is_installed() {
    [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

if (( SYSTEM )); then
    say "Checking system packages: ${packages[*]}"
    if ! command -v dpkg-query >/dev/null 2>&1; then
        echo "    dpkg not found: not a Debian/Ubuntu system. Install the equivalents of"
        echo "    ${packages[*]} yourself, then re-run with --no-system."
        exit 1
    fi
    missing=()
    for p in "${packages[@]}"; do
        is_installed "$p" || missing+=("$p")
    done
    if (( ${#missing[@]} )); then
        SUDO=()
        if (( EUID != 0 )); then
            command -v sudo >/dev/null 2>&1 \
                || die "missing packages (${missing[*]}) and not root and no sudo; run as root: apt-get install ${missing[*]}"
            SUDO=(sudo)
        fi
        say "Installing missing packages: ${missing[*]}"
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends "${missing[@]}"
        ok "installed ${missing[*]}"
    else
        ok "all present"
    fi
fi

# --- 2. The virtual environment -----------------------------------------------------------
# Can this interpreter load SQLite extensions, and mod_spatialite in particular?
spatialite_probe='
import sqlite3, sys
c = sqlite3.connect(":memory:")
if not hasattr(c, "enable_load_extension"):
    sys.exit("this Python was built without sqlite3 extension loading")
c.enable_load_extension(True)
try:
    c.load_extension("mod_spatialite")
except Exception as e:
    sys.exit(f"cannot load mod_spatialite: {e} (is libsqlite3-mod-spatialite installed?)")
print("SQLite", sqlite3.sqlite_version, "+ SpatiaLite", c.execute("select spatialite_version()").fetchone()[0])
'

venv_ok() {
    [[ -x "$VENV/bin/python" ]] || return 1
    "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null || return 1
    "$VENV/bin/python" -c "$spatialite_probe" >/dev/null 2>&1
}

say "Checking the virtual environment (.venv)"
if ! venv_ok; then
    if [[ -e "$VENV" ]]; then
        echo "    .venv exists but is unusable (wrong Python version, or no SQLite extension"
        echo "    loading, e.g. it was made with a pyenv python3): recreating it"
        rm -rf "$VENV"
    fi
    [[ -x "$BASE_PYTHON" ]] || die "$BASE_PYTHON not found (apt-get install python3 python3-venv, or set PARLEY_PYTHON)"
    "$BASE_PYTHON" -c "$spatialite_probe" >/dev/null \
        || die "$BASE_PYTHON cannot load SpatiaLite; see docs/development.md (troubleshooting)"
    say "Creating .venv from $BASE_PYTHON ($("$BASE_PYTHON" -V 2>&1))"
    "$BASE_PYTHON" -m venv "$VENV" || die "python3 -m venv failed (is python3-venv installed?)"
    ok "created"
fi
ok "$("$VENV/bin/python" -V 2>&1), $("$VENV/bin/python" -c "$spatialite_probe")"

# --- 3. Python dependencies ---------------------------------------------------------------
[[ -f "$LOCK" ]] || die "requirements.lock not found in $ROOT"
want_hash="$(sha256sum "$LOCK" | cut -d' ' -f1)"
have_hash="$(cat "$STAMP" 2>/dev/null || true)"
say "Checking Python dependencies (requirements.lock)"
if [[ "$want_hash" != "$have_hash" ]]; then
    say "Installing Python dependencies (requirements.lock changed or never installed)"
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$LOCK" \
        || die "pip install -r requirements.lock failed"
    echo "$want_hash" > "$STAMP"
    ok "installed"
else
    ok "up to date"
fi

say "Bootstrap done"

#!/usr/bin/env bash
# Installs everything losi needs on a fresh Debian machine: Debian's Chromium (Playwright cannot download
# its own browser here), Java for the Nu HTML Checker, PostgreSQL and Redis for the store and distributed tests,
# the Python venv, and the vendored JavaScript/Java checkers (axe-core, vnu) from the npm registry.
# Idempotent: a second run only checks.
# LOSI_SETUP=worker (the worker image, deploy/Dockerfile): the distributed extra instead of the dev one, and no
# PostgreSQL or Redis servers (those run elsewhere).
set -euo pipefail
cd "$(dirname "$0")/.."

AXE_VERSION=4.14.1
VNU_VERSION=26.9.27
PY=${PYTHON:-python3}

say() { printf '[setup] %s\n' "$*"; }

need_apt=()
have_browser=0
for b in /usr/lib/chromium/chromium-headless-shell /usr/bin/chromium-headless-shell /usr/bin/chromium; do
  [ -x "$b" ] && have_browser=1
done
[ -n "${LOSI_CHROMIUM:-}" ] && have_browser=1
[ "$have_browser" = 1 ] || need_apt+=(chromium chromium-headless-shell)
# the other engines of LOSI #201: Firefox (WebDriver BiDi) and WebKitGTK (WebKitWebDriver, needs a display)
command -v firefox-esr >/dev/null || command -v firefox >/dev/null || need_apt+=(firefox-esr)
command -v WebKitWebDriver >/dev/null || need_apt+=(webkit2gtk-driver)
command -v Xvfb >/dev/null || need_apt+=(xvfb)
command -v java >/dev/null || need_apt+=(default-jre-headless)
EXTRAS=dev
if [ "${LOSI_SETUP:-}" = worker ]; then
  EXTRAS=distributed
else  # the tests start their own PostgreSQL and Redis servers on 127.0.0.1, at free ports
  { command -v pg_ctl >/dev/null || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; } || need_apt+=(postgresql)
  command -v redis-server >/dev/null || need_apt+=(redis-server)
fi
command -v npm >/dev/null || need_apt+=(npm)
fonts_ok=$(fc-list 2>/dev/null | grep -ci "dejavu\|noto" || true)
[ "${fonts_ok:-0}" -gt 0 ] || need_apt+=(fonts-dejavu-core)

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    say "apt-get install ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -q --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    say "missing system packages: ${need_apt[*]} (run as root, or: sudo apt-get install ${need_apt[*]})"
  fi
fi

if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.losi-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  say "installing Python packages"
  .venv/bin/pip install -q -U pip 2>&1 | grep -v "is ignored" || true
  .venv/bin/pip install -q -e ".[$EXTRAS]" 2>&1 | grep -v "is ignored" || true
  .venv/bin/python -c "import scrapy, playwright, scrapy_playwright, warcio, sqlalchemy, pandas, openpyxl, celery, redis, psycopg"
  touch "$stamp"
fi

mkdir -p vendor
fetch_npm() {  # fetch_npm PACKAGE VERSION FILE-IN-PACKAGE DEST
  local tmp; tmp=$(mktemp -d)
  (cd "$tmp" && npm pack "$1@$2" --silent >/dev/null 2>&1 && tar xzf ./*.tgz)
  cp "$tmp/package/$3" "$4"
  rm -rf "$tmp"
}
if ! head -c 60 vendor/axe.min.js 2>/dev/null | grep -q "axe v$AXE_VERSION"; then
  say "fetching axe-core $AXE_VERSION"
  fetch_npm axe-core "$AXE_VERSION" axe.min.js vendor/axe.min.js
  fetch_npm axe-core "$AXE_VERSION" LICENSE vendor/axe-core.LICENSE
fi
if [ ! -f vendor/vnu.jar ]; then
  say "fetching the Nu HTML Checker (vnu-jar $VNU_VERSION)"
  fetch_npm vnu-jar "$VNU_VERSION" build/dist/vnu.jar vendor/vnu.jar || \
    say "could not fetch vnu-jar $VNU_VERSION; markup/CSS validity will be not_assessed"
fi
say "ready: $(.venv/bin/python --version), browser: $(.venv/bin/python -c 'from losi.browser import find_chromium; print(find_chromium())' 2>&1)"

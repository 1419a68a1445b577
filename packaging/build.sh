#!/usr/bin/env bash
# Builds the desktop bundle from a clean virtualenv of its own (build/venv), never the development
# one, so that the bundle holds exactly what pyproject.toml declares and nothing a developer
# happened to install. Result: dist/event-composer/ (one folder; the default) or, with
# EVENT_COMPOSER_ONEFILE=1, dist/event-composer-onefile (a single executable).
#
#   bash packaging/build.sh            # or: make package
#   EVENT_COMPOSER_ONEFILE=1 bash packaging/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV="build/venv"
STAMP="$VENV/.deps-installed"

"$PYTHON" -c 'import sys; assert (3, 11) <= sys.version_info[:2] < (3, 14), "Python 3.11 to 3.13 is needed, found " + sys.version.split()[0]'
# PyInstaller bundles libpython; an interpreter built without it cannot be frozen.
"$PYTHON" -c 'import sysconfig, sys; sys.exit(0 if sysconfig.get_config_var("Py_ENABLE_SHARED") or sys.platform != "linux" else "This Python has no shared libpython (build it with --enable-shared, or use Debian'"'"'s python3)")'

if [ ! -x "$VENV/bin/python" ]; then
  echo "== creating the build virtualenv $VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -qq --upgrade pip
fi
# Dependencies are installed once per change of pyproject.toml; the app itself every time,
# so the bundle always holds the current source.
if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
  echo "== installing the app's dependencies and PyInstaller into $VENV"
  "$VENV/bin/python" -m pip install -qq '.[package]'
  touch "$STAMP"
fi
echo "== installing the app from this source tree into $VENV"
# setuptools builds in build/lib and never removes files deleted from the source since the last
# build; a clean start keeps a deleted module out of the bundle.
rm -rf build/lib build/bdist.*
"$VENV/bin/python" -m pip install -qq --no-deps --force-reinstall .

echo "== freezing with PyInstaller"
# Run from build/ so that nothing in the source tree (an editable install's .egg-info, the
# composer/ folder) can shadow what the build virtualenv holds.
root="$PWD"
(cd build && "$root/$VENV/bin/python" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$root/dist" --workpath "$root/build/pyinstaller" "$root/packaging/event-composer.spec")

if [ "${EVENT_COMPOSER_ONEFILE:-0}" = "1" ]; then
  out="dist/event-composer-onefile"
else
  out="dist/event-composer"
  # The folder installs itself into a Linux desktop: ./install-desktop.sh (see README).
  [ "$(uname -s)" = "Linux" ] && install -m 755 packaging/install-desktop.sh "$out/install-desktop.sh"
fi
echo "== built $out ($(du -sh "$out" | cut -f1))"

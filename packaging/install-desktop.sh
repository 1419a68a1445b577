#!/usr/bin/env bash
# Installs Event Composer into the current user's desktop (no root needed): the packaged folder,
# a launcher in the application menu, and the icon in every size.
#
#   bash packaging/install-desktop.sh              # or: make install-desktop
#   bash packaging/install-desktop.sh --uninstall
#   ./install-desktop.sh                           # from inside a packaged folder (a copy of
#                                                  # this script is put there by the build)
#
# What goes where (PREFIX defaults to ~/.local, the XDG user prefix):
#   dist/event-composer/      -> $PREFIX/lib/event-composer/        (the packaged app)
#   event-composer            -> $PREFIX/bin/event-composer         (a symlink, for the terminal)
#   event-composer.desktop    -> $PREFIX/share/applications/
#   icons                     -> $PREFIX/share/icons/hicolor/<N>x<N>/apps/event-composer.png
#                                and scalable/apps/event-composer.svg
# Without a packaged folder (no `make package` yet) the launcher runs the development
# install (.venv/bin/event-composer) instead.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ -x "$here/event-composer" ] && [ -d "$here/_internal/resources" ]; then
  # Run from inside a packaged folder: install that folder, with the resources it carries.
  DIST="${DIST:-$here}"
  RES="$here/_internal/resources"
else
  cd "$here/.."
  DIST="${DIST:-dist/event-composer}"
  RES="resources"
fi

PREFIX="${PREFIX:-$HOME/.local}"
APP_DIR="$PREFIX/lib/event-composer"
BIN_LINK="$PREFIX/bin/event-composer"
APPS="$PREFIX/share/applications"
ICON_ROOT="$PREFIX/share/icons/hicolor"
SIZES=(16 32 48 64 128 256)

refresh_caches() {
  # Menus and icon themes pick the change up on their own; these just make it immediate.
  if command -v update-desktop-database >/dev/null; then update-desktop-database -q "$APPS" || true; fi
  if command -v gtk-update-icon-cache >/dev/null && [ -f "$ICON_ROOT/index.theme" ]; then
    gtk-update-icon-cache -q -t "$ICON_ROOT" || true
  fi
}

if [ "${1:-}" = "--uninstall" ]; then
  rm -rf "$APP_DIR"
  [ -L "$BIN_LINK" ] && rm -f "$BIN_LINK"
  rm -f "$APPS/event-composer.desktop" "$ICON_ROOT/scalable/apps/event-composer.svg"
  for s in "${SIZES[@]}"; do rm -f "$ICON_ROOT/${s}x${s}/apps/event-composer.png"; done
  refresh_caches
  echo "Removed Event Composer from $PREFIX"
  exit 0
fi

if [ -x "$DIST/event-composer" ]; then
  if [ "$(cd "$DIST" && pwd -P)" != "$(mkdir -p "$APP_DIR" && cd "$APP_DIR" && pwd -P)" ]; then
    echo "== installing the packaged app into $APP_DIR"
    rm -rf "$APP_DIR.new"
    cp -a "$DIST" "$APP_DIR.new"
    rm -rf "$APP_DIR"
    mv "$APP_DIR.new" "$APP_DIR"
  fi
  exe="$APP_DIR/event-composer"
  mkdir -p "$(dirname "$BIN_LINK")"
  ln -sfn "$exe" "$BIN_LINK"
elif [ -x ".venv/bin/event-composer" ]; then
  exe="$PWD/.venv/bin/event-composer"
  echo "== no packaged app in $DIST (run 'make package' for one): the launcher runs $exe"
else
  echo "Nothing to install: build the app first with 'make package' (or 'make run')." >&2
  exit 1
fi

echo "== installing the launcher and the icons under $PREFIX/share"
mkdir -p "$APPS"
# Absolute paths: a menu entry must not depend on the PATH of the session that starts it.
sed -e "s|^Exec=event-composer |Exec=$exe |" -e "s|^TryExec=event-composer$|TryExec=$exe|" \
  "$RES/event-composer.desktop" > "$APPS/event-composer.desktop"
for s in "${SIZES[@]}"; do
  install -D -m 644 "$RES/icons/event-composer-$s.png" "$ICON_ROOT/${s}x${s}/apps/event-composer.png"
done
install -D -m 644 "$RES/icons/event-composer.svg" "$ICON_ROOT/scalable/apps/event-composer.svg"
refresh_caches
echo "Installed: 'Event Composer' is in the application menu; $APPS/event-composer.desktop"

#!/bin/sh
# One backup of the portal's instance, then keep only the newest PORTAL_BACKUPS_KEEP of them.
# Run by portal-backup.service; by hand: PORTAL_INSTANCE=... PORTAL_BACKUPS=... deploy/backup.sh
set -eu
cd "$(dirname "$0")/.."
dest=${PORTAL_BACKUPS:-/var/backups/portal}
keep=${PORTAL_BACKUPS_KEEP:-30}
mkdir -p "$dest"
.venv/bin/flask --app portal backup --out "$dest/portal-$(date +%Y-%m-%d-%H%M%S).zip"
# Older copies go only once today's was written (set -e stops before this otherwise).
ls -1t "$dest"/portal-*.zip | tail -n +"$((keep + 1))" | while read -r old; do rm -f -- "$old"; done

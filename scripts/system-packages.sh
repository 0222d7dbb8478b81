#!/usr/bin/env bash
# Install the Debian packages the portal and its tests need, or say exactly which are missing.
set -euo pipefail
packages=("$@")
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "Instalando paquetes del sistema: ${missing[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Faltan paquetes del sistema: ${missing[*]}" >&2
  echo "Instálelos con: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi

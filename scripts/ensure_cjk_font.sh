#!/usr/bin/env bash
# Make sure a CJK font is installed, so Chinese labels in figures render (never SimHei: Noto Sans CJK, OFL).
# Installs Debian's fonts-noto-cjk when none is found and we may; otherwise says what to install.
set -euo pipefail
if fc-list :lang=zh 2>/dev/null | grep -q .; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "no CJK font found: installing fonts-noto-cjk" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk fontconfig >/dev/null
  fc-cache -f >/dev/null
  exit 0
fi
echo "no CJK font found and cannot install one: install fonts-noto-cjk (Debian/Ubuntu) or Noto Sans CJK SC" >&2
exit 1

#!/usr/bin/env bash
# Make sure a CJK font is installed, so Chinese labels in figures render (never SimHei: Noto Sans CJK, OFL), and
# the PDF fixtures' font (WenQuanYi Micro Hei, Apache 2.0/GPLv3), so the tests can regenerate those fixtures.
# Installs Debian's packages where one is missing and we may; otherwise says what to install.
set -euo pipefail
FIXTURE_FONT=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc
missing=()
fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-noto-cjk)
[ -f "$FIXTURE_FONT" ] || missing+=(fonts-wqy-microhei)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" fontconfig >/dev/null
  fc-cache -f >/dev/null
  exit 0
fi
if [[ " ${missing[*]} " == *" fonts-noto-cjk "* ]]; then
  echo "no CJK font found and cannot install one: install fonts-noto-cjk (Debian/Ubuntu) or Noto Sans CJK SC" >&2
  exit 1
fi
echo "fonts-wqy-microhei is not installed: the PDF fixture regeneration tests will skip" >&2

#!/usr/bin/env bash
# Debian's Chromium, ChromeDriver and a Chinese font (WenQuanYi Zen Hei) for the browser tests (tests/test_browser.py), installed from
# Debian's packages: Playwright's or Selenium's own browser downloads are not used (they fetch from
# hosts other than the package registries). Run by the README's test command and so by .ci/run.
#
# Already there: nothing to do. Not root and no sudo: say how to install, exit 0, and the browser
# tests skip saying why. Root and the install fails: exit 1, so CI fails instead of skipping.
set -euo pipefail
FONT=/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc  # without it the screenshots show boxes for Chinese
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] && [ -f "$FONT" ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  run=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  run=(sudo -n)
else
  echo "tests/browser/install-chromium.sh: Chromium is not installed and this user cannot install it;" >&2
  echo "  run 'sudo apt-get install chromium chromium-driver fonts-wqy-zenhei' for the browser tests (they skip until then)." >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
"${run[@]}" apt-get update -qq
"${run[@]}" apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-wqy-zenhei >/dev/null
/usr/bin/chromium --version

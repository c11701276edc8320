#!/usr/bin/env bash
# Install Virtuoso Open Source 7.2.5 from Debian, for benchmarks/scale.py (the "virtuoso" backend).
#
# Why only virtuoso-opensource-7-bin: it holds what the benchmark runs -- the server (virtuoso-t) and
# its SQL client (isql-vt) -- and nothing else. The metapackage virtuoso-opensource would also set up
# a system service with its own database under /var/lib, ask for a DBA password through debconf and
# start a server listening on every interface (ports 1111 and 8890). The benchmark needs none of
# that: it writes its own virtuoso.ini in a temporary folder and starts virtuoso-t bound to
# 127.0.0.1 on free ports, then stops it and removes the folder.
#
#   sudo bash benchmarks/install-virtuoso.sh      # or as root
#   python benchmarks/scale.py --backends virtuoso --sizes 1,10
set -euo pipefail

PACKAGE=virtuoso-opensource-7-bin

if command -v virtuoso-t >/dev/null 2>&1 && command -v isql-vt >/dev/null 2>&1; then
    echo "Virtuoso is installed: $(command -v virtuoso-t), $(command -v isql-vt)"
    virtuoso-t -? 2>&1 | head -n 3 || true
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    cat >&2 <<EOF
Virtuoso is not installed, and installing it needs root. Run one of:
    sudo bash $0
    sudo apt-get update && sudo apt-get install -y --no-install-recommends $PACKAGE
Until then benchmarks/scale.py reports the virtuoso backend as "not installed".
EOF
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "$PACKAGE"
echo "installed: $(command -v virtuoso-t), $(command -v isql-vt)"

#!/usr/bin/env bash
# Best effort: puts promtool (from Debian's prometheus package, unpacked, nothing installed or
# started) in ~/.cache/mgw-tools and prints its path; prints nothing when it cannot. Tests use
# it, through PROMTOOL, to hold /metrics to `promtool check metrics`; without it they check the
# format themselves.
set -uo pipefail

if command -v promtool >/dev/null 2>&1; then
    command -v promtool
    exit 0
fi
dir="${XDG_CACHE_HOME:-$HOME/.cache}/mgw-tools"
if [ -x "$dir/promtool" ]; then
    echo "$dir/promtool"
    exit 0
fi
command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1 || exit 0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && timeout 60 apt-get download prometheus >/dev/null 2>&1) || exit 0
dpkg-deb -x "$work"/prometheus_*.deb "$work/x" 2>/dev/null || exit 0
mkdir -p "$dir" && cp "$work/x/usr/bin/promtool" "$dir/promtool" && echo "$dir/promtool"
exit 0

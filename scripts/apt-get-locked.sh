#!/usr/bin/env bash
# apt-get with its arguments, one at a time among this project's scripts: scripts/test.sh runs
# scripts/fuzz.sh beside scripts/build-python.sh, both install packages, and an apt-get started
# while another holds apt's lock fails at once. Waits up to 20 minutes for the other.
set -euo pipefail
mkdir -p /run/lock
exec flock --wait 1200 /run/lock/patchstreaming-apt-get.lock apt-get "$@"

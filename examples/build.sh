#!/usr/bin/env bash
# Rebuilds the example archives from examples/splunk-apps/ (deterministic: sorted names, fixed mtime).
set -euo pipefail
cd "$(dirname "$0")/splunk-apps"
tar --sort=name --mtime='2026-11-01 00:00Z' --owner=0 --group=0 --numeric-owner -czf ../splunk-apps.tgz ./*
rm -f ../splunk-apps.zip
find . -type f | sort | TZ=UTC xargs touch -d '2026-11-01 00:00:00'
find . -type f | sort | sed 's|^\./||' | zip -q -X ../splunk-apps.zip -@

#!/usr/bin/env bash
# Language runtime: the distribution's Python 3 (3.12 on Ubuntu 24.04) with venv
# and what wheels without a binary build need (psycopg, for instance).
set -euxo pipefail

apt-get install -y --no-install-recommends \
  python3 python3-venv python3-dev build-essential libpq-dev

python3 -m venv /opt/flightdeck/venv
/opt/flightdeck/venv/bin/pip install --no-cache-dir --upgrade pip wheel

#!/usr/bin/env bash
# Application install from the artifact (a .tar.gz of the application at the
# image's commit, with a pinned requirements.txt at its root). The code is
# owned by root and read-only to the service user; state lives in
# /var/lib/flightdeck.
set -euxo pipefail

: "${FLIGHTDECK_ARTIFACT:?the artifact path is not set}"
: "${FLIGHTDECK_FILES:?the uploaded files folder is not set}"

id flightdeck >/dev/null 2>&1 ||
  useradd --system --home-dir /var/lib/flightdeck --shell /usr/sbin/nologin flightdeck
install -d -m 0750 -o flightdeck -g flightdeck /var/lib/flightdeck
install -d -m 0755 /opt/flightdeck/app /opt/flightdeck/lib

tar -xzf "$FLIGHTDECK_ARTIFACT" -C /opt/flightdeck/app --no-same-owner
chown -R root:root /opt/flightdeck/app
test -f /opt/flightdeck/app/requirements.txt
/opt/flightdeck/venv/bin/pip install --no-cache-dir -r /opt/flightdeck/app/requirements.txt

install -m 0644 "$FLIGHTDECK_FILES/flightdeck_wsgi.py" /opt/flightdeck/lib/flightdeck_wsgi.py
printf '%s\n' "$FLIGHTDECK_IMAGE_COMMIT" >/opt/flightdeck/COMMIT

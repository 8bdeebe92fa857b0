#!/usr/bin/env bash
# systemd units for every role, and the bootstrap that picks one at boot.
# Only the bootstrap is enabled: no role runs until user-data says which.
set -euxo pipefail

: "${FLIGHTDECK_FILES:?the uploaded files folder is not set}"

readonly ROLE_UNITS=(
  flightdeck-app.service
  flightdeck-worker.service
  flightdeck-worker-drain.service
  flightdeck-scheduler.service
  flightdeck-content.service
  flightdeck-release.service
  flightdeck-preview-data.service
)

for unit in flightdeck-bootstrap.service "${ROLE_UNITS[@]}"; do
  install -m 0644 "$FLIGHTDECK_FILES/$unit" "/etc/systemd/system/$unit"
done
for script in flightdeck-bootstrap flightdeck-release flightdeck-preview-data flightdeck-worker-drain; do
  install -m 0755 "$FLIGHTDECK_FILES/$script" "/usr/local/sbin/$script"
done

systemctl daemon-reload
# The packages started their own services on install; the all-in-one role
# starts them when it is chosen, nothing else runs them.
systemctl disable --now postgresql.service redis-server.service
systemctl disable "${ROLE_UNITS[@]}"
systemctl enable flightdeck-bootstrap.service

#!/usr/bin/env bash
# Cleanup: nothing of the build machine in the image (caches, logs, keys,
# machine identity, the uploaded files), so every instance starts fresh.
set -euxo pipefail

apt-get -y autoremove --purge
apt-get clean
rm -rf /var/lib/apt/lists/* /root/.cache /tmp/flightdeck
rm -f /etc/flightdeck/environment /etc/flightdeck/role /etc/flightdeck/secrets.env
find /var/log -type f -exec truncate -s 0 {} +
rm -f /etc/ssh/ssh_host_*
truncate -s 0 /etc/machine-id
cloud-init clean --logs

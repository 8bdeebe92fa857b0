#!/usr/bin/env bash
# Hardening: SSH with keys only and no root, no login passwords, and a host
# firewall that admits only the application port. Port 22 stays closed on the
# host (operators use SSM Session Manager); the firewall is switched on for
# the next boot only, so this build's own SSH session is not cut.
set -euxo pipefail

: "${FLIGHTDECK_FILES:?the uploaded files folder is not set}"

# sshd keeps the first value it reads and reads sshd_config.d/ in name order,
# so 00- wins over cloud-init's 50-cloud-init.conf.
install -m 0644 "$FLIGHTDECK_FILES/00-flightdeck-sshd.conf" /etc/ssh/sshd_config.d/00-flightdeck.conf
sshd -t

# Lock every password (the build user logs in with a key; so will operators, if ever).
while IFS=: read -r user _ uid _; do
  if [[ "$uid" -eq 0 || "$uid" -ge 1000 ]] && [[ "$user" != nobody ]]; then
    passwd -l "$user"
  fi
done </etc/passwd

# Host firewall: deny inbound except the app port (app, content, all-in-one all listen on 8000).
ufw --force reset
ufw default deny incoming
ufw default allow outgoing
ufw allow 8000/tcp comment 'flightdeck http (load balancer)'
sed -i 's/^ENABLED=.*/ENABLED=yes/' /etc/ufw/ufw.conf
systemctl enable ufw.service

# Security updates keep installing on long-lived machines.
systemctl enable unattended-upgrades.service

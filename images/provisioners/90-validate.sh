#!/usr/bin/env bash
# Validation: fail the build when anything the roles need is missing. Every
# problem is listed, then the script exits non-zero so no image is registered.
set -uo pipefail

problems=()
need() {
  local what="$1"
  shift
  "$@" >/dev/null 2>&1 || problems+=("$what")
}

for unit in flightdeck-bootstrap flightdeck-app flightdeck-worker flightdeck-worker-drain \
  flightdeck-scheduler flightdeck-content flightdeck-release flightdeck-preview-data; do
  need "unit $unit.service installed" test -f "/etc/systemd/system/$unit.service"
  need "unit $unit.service valid" systemd-analyze verify "/etc/systemd/system/$unit.service"
done
for script in flightdeck-bootstrap flightdeck-release flightdeck-preview-data flightdeck-worker-drain; do
  need "script /usr/local/sbin/$script executable" test -x "/usr/local/sbin/$script"
done

need "bootstrap enabled" systemctl is-enabled --quiet flightdeck-bootstrap.service
for unit in flightdeck-app flightdeck-worker flightdeck-worker-drain flightdeck-scheduler \
  flightdeck-content flightdeck-release flightdeck-preview-data postgresql redis-server; do
  # Enabled in the image means running before the role is known: never.
  need "$unit.service disabled until a role asks for it" bash -c "! systemctl is-enabled --quiet $unit.service"
done

need "image.env written" test -s /etc/flightdeck/image.env
need "no environment baked in" test ! -e /etc/flightdeck/environment
need "service user flightdeck" id flightdeck
need "application installed" test -f /opt/flightdeck/app/requirements.txt
need "health wrapper installed" test -f /opt/flightdeck/lib/flightdeck_wsgi.py
need "gunicorn in the virtualenv" test -x /opt/flightdeck/venv/bin/gunicorn
need "celery in the virtualenv" test -x /opt/flightdeck/venv/bin/celery
need "python imports the health wrapper's dependencies" /opt/flightdeck/venv/bin/python -c "import json, importlib"
need "postgres installed" command -v psql
need "redis installed" command -v redis-server
need "aws cli installed" command -v aws
need "curl installed" command -v curl
# 50-cleanup removed the host keys (each instance makes its own); sshd -T needs one.
hostkey_dir="$(mktemp -d)"
ssh-keygen -q -t ed25519 -N '' -f "$hostkey_dir/key"
sshd_effective="$(sshd -T -h "$hostkey_dir/key" 2>/dev/null)"
rm -rf "$hostkey_dir"
need "ssh refuses passwords" grep -qx 'passwordauthentication no' <<<"$sshd_effective"
need "ssh refuses keyboard-interactive" grep -qx 'kbdinteractiveauthentication no' <<<"$sshd_effective"
need "ssh refuses root" grep -qx 'permitrootlogin no' <<<"$sshd_effective"
need "firewall enabled for boot" grep -qx 'ENABLED=yes' /etc/ufw/ufw.conf
need "ssm agent present" bash -c "snap list amazon-ssm-agent || systemctl cat amazon-ssm-agent.service"

if [[ ${#problems[@]} -gt 0 ]]; then
  printf 'flightdeck image validation failed; missing:\n' >&2
  printf '  - %s\n' "${problems[@]}" >&2
  exit 1
fi
echo "flightdeck image validation passed"

#!/usr/bin/env bash
# Base packages: OS updates, the tools every role needs, the local Postgres and
# Redis the all-in-one role uses (installed here, disabled in 30), and the AWS
# CLI (release status to SSM, preview dumps from S3). Records the base image.
set -euxo pipefail

# cloud-init may still be updating apt sources on a fresh machine.
cloud-init status --wait >/dev/null || true

apt-get update
apt-get -y -o Dpkg::Options::=--force-confold upgrade
apt-get install -y --no-install-recommends \
  ca-certificates curl gzip jq tar unzip ufw unattended-upgrades \
  postgresql postgresql-client redis-server

# AWS CLI v2 from AWS's own installer (Ubuntu 24.04 packages none): a plain
# binary in /usr/local/bin that works under the units' sandboxing.
if ! command -v aws >/dev/null; then
  curl -fsSL "https://awscli.amazonaws.com/awscli-exe-linux-$(uname -m).zip" -o /tmp/awscliv2.zip
  unzip -q /tmp/awscliv2.zip -d /tmp/awscliv2
  /tmp/awscliv2/aws/install --bin-dir /usr/local/bin --install-dir /usr/local/aws-cli
  rm -rf /tmp/awscliv2 /tmp/awscliv2.zip
fi

# The exact base this image was built from, for the record (IMDSv2).
token="$(curl -fsS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token)"
base_ami="$(curl -fsS -H "X-aws-ec2-metadata-token: $token" http://169.254.169.254/latest/meta-data/ami-id)"

# Double-quoted the way systemd's EnvironmentFile= and bash both read back
# literally (the release command is free text).
quote() {
  local v="$1"
  v="${v//\\/\\\\}"
  v="${v//\"/\\\"}"
  v="${v//\$/\\\$}"
  v="${v//\`/\\\`}"
  printf '"%s"' "$v"
}

install -d -m 0755 /etc/flightdeck
{
  echo "# What this image is, written at build time; read by every flightdeck unit."
  echo "FLIGHTDECK_IMAGE_COMMIT=$(quote "$FLIGHTDECK_IMAGE_COMMIT")"
  echo "FLIGHTDECK_IMAGE_BRANCH=$(quote "$FLIGHTDECK_IMAGE_BRANCH")"
  echo "FLIGHTDECK_IMAGE_BUILT_AT=$(quote "$FLIGHTDECK_IMAGE_BUILT_AT")"
  echo "FLIGHTDECK_BASE_AMI=$(quote "$base_ami")"
  echo "FLIGHTDECK_WSGI_APP=$(quote "$FLIGHTDECK_WSGI_APP")"
  echo "FLIGHTDECK_CELERY_APP=$(quote "$FLIGHTDECK_CELERY_APP")"
  echo "FLIGHTDECK_RELEASE_COMMAND=$(quote "$FLIGHTDECK_RELEASE_COMMAND")"
} >/etc/flightdeck/image.env
chmod 0644 /etc/flightdeck/image.env

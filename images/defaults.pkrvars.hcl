# Default values of the template's variables. Every build passes this file
# (`-var-file=defaults.pkrvars.hcl`) and then overrides per build: `commit` is
# always given on the command line; `npm run image:build` also sets `branch`
# and `artifact_path`.

branch        = "unknown"
region        = "us-east-1"
architecture  = "arm64"
instance_type = "t4g.small"
volume_gb     = 8

# The application artifact: a .tar.gz of the application at `commit`, with a
# pinned requirements.txt at its root (see images/README.md).
artifact_path = "../dist/app.tar.gz"

# Base image: Ubuntu 24.04 LTS (noble) from Canonical's own account. The name
# pins the release; the newest serial of it is used and recorded in the image
# (FLIGHTDECK_BASE_AMI in /etc/flightdeck/image.env). Set a full serial, such as
# ...-server-20250115, to pin one exact base.
base_ami_name  = "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-{arch}-server-*"
base_ami_owner = "099720109477"
ssh_username   = "ubuntu"

# How the application is run (baked into /etc/flightdeck/image.env).
wsgi_app        = "config.wsgi:application"
celery_app      = "config"
release_command = "python manage.py migrate --noinput"

# flightdeck's universal machine image: one image per commit, every role in it,
# the role chosen at boot from user-data (files/flightdeck-bootstrap).
#
# Validate with Debian's Packer 1.6.6 (from this folder; see check.sh):
#   packer validate -var-file=defaults.pkrvars.hcl -var commit=<40 hex> flightdeck.pkr.hcl
# Build with a modern Packer (>= 1.10; see build.ts, `npm run image:build`):
#   packer init . && packer build -var-file=defaults.pkrvars.hcl -var commit=<sha> .
#
# Written for both: no `packer {}` block here (plugins.pkr.hcl), and no syntax
# newer than 1.6.6 (so no `metadata_options`; IMDSv2 is enforced by the launch
# templates `infra/` creates, and the bootstrap only ever uses IMDSv2).

variable "commit" {
  type        = string
  description = "Full 40-character commit SHA the image is built from."
  validation {
    # Packer 1.6.6 has no regex() while validating variables; trim() removing
    # every hex digit and leaving nothing is the same test.
    condition     = length(var.commit) == 40 && trim(var.commit, "0123456789abcdef") == ""
    error_message = "The commit variable must be a full 40-character lower-case hex commit SHA."
  }
}

variable "branch" {
  type        = string
  description = "Branch the commit was built from (a tag, informational)."
}

variable "region" {
  type        = string
  description = "AWS region the image is built in and registered to."
}

variable "architecture" {
  type        = string
  description = "CPU architecture of the base and the image: arm64 (Graviton: t4g, m7g, c7g) or x86_64."
  validation {
    condition     = var.architecture == "arm64" || var.architecture == "x86_64"
    error_message = "The architecture variable must be arm64 or x86_64."
  }
}

variable "instance_type" {
  type        = string
  description = "Instance type of the temporary build machine; must match the architecture."
}

variable "volume_gb" {
  type        = number
  description = "Root volume size of the image, in GiB."
}

variable "artifact_path" {
  type        = string
  description = "Path of the application artifact (.tar.gz), relative to this folder or absolute."
}

variable "base_ami_name" {
  type        = string
  description = "Name filter of the base AMI; {arch} is replaced by the Ubuntu spelling of the architecture."
}

variable "base_ami_owner" {
  type        = string
  description = "AWS account that owns the base AMI (Canonical: 099720109477)."
}

variable "ssh_username" {
  type        = string
  description = "Login user of the base AMI while building."
}

variable "wsgi_app" {
  type        = string
  description = "The application's WSGI callable, module:attribute."
}

variable "celery_app" {
  type        = string
  description = "The application's Celery app, as given to celery -A."
}

variable "release_command" {
  type        = string
  description = "Command the release role runs once (database migrations), from the application folder."
}

locals {
  # The tag keys are defined once, in image-tags.json; infra/ looks images up
  # by the same file (infra/image-tags.ts). test/images proves they agree.
  tag_keys = jsondecode(file("${path.root}/image-tags.json"))
  project  = "flightdeck"

  built_at = timestamp()
  stamp    = formatdate("YYYYMMDDhhmmss", local.built_at)
  sha7     = substr(var.commit, 0, 7)
  ami_name = "flightdeck-${local.sha7}-${local.stamp}"

  # Ubuntu names its images amd64/arm64; EC2 says x86_64/arm64.
  ubuntu_arch = var.architecture == "x86_64" ? "amd64" : "arm64"

  ami_tags = {
    (local.tag_keys.commit)  = var.commit
    (local.tag_keys.branch)  = var.branch
    (local.tag_keys.builtAt) = local.built_at
    (local.tag_keys.project) = local.project
  }

  files = "${path.root}/files"
}

source "amazon-ebs" "universal" {
  region          = var.region
  instance_type   = var.instance_type
  ssh_username    = var.ssh_username
  ami_name        = local.ami_name
  ami_description = "flightdeck universal image for commit ${var.commit}"

  source_ami_filter {
    filters = {
      name                = replace(var.base_ami_name, "{arch}", local.ubuntu_arch)
      architecture        = var.architecture
      root-device-type    = "ebs"
      virtualization-type = "hvm"
    }
    owners      = [var.base_ami_owner]
    most_recent = true
  }

  ena_support  = true
  encrypt_boot = true

  launch_block_device_mappings {
    device_name           = "/dev/sda1"
    volume_size           = var.volume_gb
    volume_type           = "gp3"
    iops                  = 3000
    throughput            = 125
    delete_on_termination = true
  }

  tags          = local.ami_tags
  snapshot_tags = local.ami_tags
  run_tags      = merge(local.ami_tags, { Name = "packer-${local.ami_name}" })
}

build {
  sources = ["source.amazon-ebs.universal"]

  # Everything the provisioners install, uploaded once.
  provisioner "shell" {
    inline = ["mkdir -p /tmp/flightdeck"]
  }

  provisioner "file" {
    source      = "${local.files}/"
    destination = "/tmp/flightdeck"
  }

  provisioner "file" {
    source      = var.artifact_path
    destination = "/tmp/flightdeck/app.tar.gz"
  }

  # One job per script, in order; 90-validate fails the build when anything is missing.
  provisioner "shell" {
    execute_command = "sudo -E bash '{{ .Path }}'"
    environment_vars = [
      "DEBIAN_FRONTEND=noninteractive",
      "FLIGHTDECK_FILES=/tmp/flightdeck",
      "FLIGHTDECK_ARTIFACT=/tmp/flightdeck/app.tar.gz",
      "FLIGHTDECK_IMAGE_COMMIT=${var.commit}",
      "FLIGHTDECK_IMAGE_BRANCH=${var.branch}",
      "FLIGHTDECK_IMAGE_BUILT_AT=${local.built_at}",
      "FLIGHTDECK_WSGI_APP=${var.wsgi_app}",
      "FLIGHTDECK_CELERY_APP=${var.celery_app}",
      "FLIGHTDECK_RELEASE_COMMAND=${var.release_command}",
    ]
    scripts = [
      "${path.root}/provisioners/00-base-packages.sh",
      "${path.root}/provisioners/10-python-runtime.sh",
      "${path.root}/provisioners/20-app-install.sh",
      "${path.root}/provisioners/30-systemd-units.sh",
      "${path.root}/provisioners/40-hardening.sh",
      "${path.root}/provisioners/50-cleanup.sh",
      "${path.root}/provisioners/90-validate.sh",
    ]
  }

  post-processor "manifest" {
    output     = "${path.root}/.build/manifest.json"
    strip_path = true
  }
}

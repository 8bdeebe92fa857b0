# Plugins for a modern Packer (>= 1.10), installed by `packer init images/`.
#
# Kept in its own file on purpose: Debian's Packer 1.6.6 (the one `npm run
# image:check` uses) predates `required_plugins` and rejects this block, so it
# validates `flightdeck.pkr.hcl` alone while a modern Packer reads the whole
# folder. Nothing else belongs here.
packer {
  required_version = ">= 1.10.0"
  required_plugins {
    amazon = {
      source  = "github.com/hashicorp/amazon"
      version = "~> 1.3"
    }
  }
}

#!/usr/bin/env bash
# npm run image:check: the checks that need no AWS account.
#   1. packer validate of the template (a dummy commit and artifact), and a
#      bad commit SHA must be refused;
#   2. packer fmt -check on every HCL file;
#   3. shellcheck on every script: provisioners, the scripts installed on
#      the image (bootstrap, release, preview-data, worker-drain) and this file.
# Works with Debian's Packer 1.6.6 (apt-get install packer shellcheck) and any
# newer Packer. Every failure is reported; the exit status is non-zero if any.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

readonly DUMMY_COMMIT="0123456789abcdef0123456789abcdef01234567"
failures=()

fail() {
  printf 'image:check: FAILED: %s\n' "$*" >&2
  failures+=("$*")
}

require_tools() {
  local missing=()
  command -v packer >/dev/null 2>&1 || missing+=(packer)
  command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
  if [[ ${#missing[@]} -gt 0 ]]; then
    printf 'image:check: %s not found on PATH.\n' "${missing[*]}" >&2
    printf '  Install them (Debian/Ubuntu): sudo apt-get update && sudo apt-get install -y packer shellcheck\n' >&2
    exit 2
  fi
}

# Validate flightdeck.pkr.hcl alone: Packer 1.6.6 rejects plugins.pkr.hcl's
# required_plugins, so the folder itself is only validated by a modern Packer
# (after packer init). validate only checks that the artifact exists, so an
# empty stand-in file is enough here.
check_validate() {
  local artifact
  artifact="$(mktemp --suffix=.tar.gz)"
  echo "image:check: packer validate ($(packer version | head -n 1))"
  packer validate -var-file=defaults.pkrvars.hcl -var "commit=$DUMMY_COMMIT" \
    -var "artifact_path=$artifact" flightdeck.pkr.hcl ||
    fail "packer validate flightdeck.pkr.hcl"
  if packer validate -var-file=defaults.pkrvars.hcl -var "commit=not-a-sha" \
    -var "artifact_path=$artifact" flightdeck.pkr.hcl >/dev/null 2>&1; then
    fail "packer validate accepted commit=not-a-sha: the commit variable's validation is broken"
  fi
  rm -f "$artifact"
}

check_fmt() {
  echo "image:check: packer fmt -check"
  packer fmt -check . || fail "packer fmt -check (run: cd images && packer fmt .)"
}

check_scripts() {
  local scripts=(check.sh provisioners/*.sh) file
  # Every script installed on the image: files/flightdeck-* that are not units.
  for file in files/flightdeck-*; do
    [[ "$file" == *.service ]] || scripts+=("$file")
  done
  echo "image:check: shellcheck ${scripts[*]}"
  shellcheck --shell=bash "${scripts[@]}" || fail "shellcheck"
}

require_tools
check_validate
check_fmt
check_scripts

if [[ ${#failures[@]} -gt 0 ]]; then
  printf 'image:check: %d check(s) failed:\n' "${#failures[@]}" >&2
  printf '  - %s\n' "${failures[@]}" >&2
  exit 1
fi
echo "image:check: all image checks passed"

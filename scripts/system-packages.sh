#!/usr/bin/env bash
# The Debian packages isolated-pymcp needs, in one place: `make setup` and the Containerfile both
# run this script, so the machine a developer tests on and the image that ships cannot drift.
#
#   scripts/system-packages.sh list SET      print SET's packages, one a line
#   scripts/system-packages.sh missing SET   print SET's packages whose probe fails
#   scripts/system-packages.sh install SET   apt-get install the missing ones (root), or print
#                                            the command and exit 1
#
# SET: runtime (what the server and its sandboxes use), test (runtime plus what only the tests
# use), or test-only.
set -euo pipefail

# package|probe: the probe succeeds when the package's job is done on this machine, so a host
# with the tool from elsewhere (bwrap built from source, say) is not asked to install it again.
RUNTIME=(
  'bubblewrap|command -v bwrap'
  'python3|test -x /usr/bin/python3'
  'python3-numpy|/usr/bin/python3 -c "import numpy"'
  'python3-matplotlib|/usr/bin/python3 -c "import matplotlib"'
  'python3-pil|/usr/bin/python3 -c "import PIL"'
  'python3-pandas|/usr/bin/python3 -c "import pandas"'
  'python3-pylsp|/usr/bin/python3 -c "import pylsp"'
  'python3-pyflakes|/usr/bin/python3 -c "import pyflakes"'
)
TEST_ONLY=(
  # the HTML report's browser test
  'chromium|test -x /usr/bin/chromium'
  # test/integration/seccomp-profile.test.ts loads the Kubernetes seccomp profile with libseccomp
  'python3-seccomp|/usr/bin/python3 -c "import seccomp"'
  # test/integration/kubernetes-nginx.test.ts runs the router's and the sidecar's configurations
  'nginx|test -x /usr/sbin/nginx'
)

entries() {
  case "$1" in
    runtime) printf '%s\n' "${RUNTIME[@]}" ;;
    test) printf '%s\n' "${RUNTIME[@]}" "${TEST_ONLY[@]}" ;;
    test-only) printf '%s\n' "${TEST_ONLY[@]}" ;;
    *) echo "unknown package set: $1 (runtime, test, test-only)" >&2; exit 2 ;;
  esac
}

missing() {
  local entry
  while IFS= read -r entry; do
    bash -c "${entry#*|}" >/dev/null 2>&1 || echo "${entry%%|*}"
  done < <(entries "$1")
}

[ $# -eq 2 ] || { sed -n '5,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
case "$1" in
  list) entries "$2" | cut -d'|' -f1 ;;
  missing) missing "$2" ;;
  install)
    mapfile -t packages < <(missing "$2")
    [ ${#packages[@]} -eq 0 ] && exit 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "installing: ${packages[*]}"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
    else
      echo "missing system packages: ${packages[*]}"
      echo "install them with: sudo apt-get install -y ${packages[*]}"
      exit 1
    fi
    ;;
  *) echo "unknown command: $1 (list, missing, install)" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Installs the Debian 12 (bookworm) packages carehub needs.
#
#   scripts/install-deps.sh            build + test toolchain and libraries, PostgreSQL server for tests
#   scripts/install-deps.sh --runtime  only the shared libraries the release binary loads (Docker image)
#   scripts/install-deps.sh --list     print the package list and exit (add --runtime for that list)
#
# Outside CI, when every package is already installed, nothing is done (no apt-get update): a
# second `bash scripts/serve.sh` starts quickly. CI=true always runs apt-get update + install, and
# so does CAREHUB_FORCE_DEPS=1. CAREHUB_SKIP_DEPS=1 skips everything (offline machines that
# installed the packages another way); it is ignored in CI.
set -euo pipefail

readonly BUILD_PACKAGES=(
  build-essential g++ cmake ninja-build pkg-config git
  libboost1.81-dev nlohmann-json3-dev libfmt-dev libsqlite3-dev libpq-dev libssl-dev libcli11-dev libargon2-dev
  libdcmtk-dev dcmtk python3-pydicom libopenjp2-7-dev libturbojpeg0-dev libpng-dev
  # References for the rendering tests: pydicom decodes with numpy, Pillow (JPEG, JPEG 2000) and GDCM
  # (JPEG lossless, JPEG-LS).
  python3-numpy python3-pil python3-gdcm
  # The study ZIP test checks the archive with Info-ZIP's own tester.
  unzip
  # The mail tests deliver to a real SMTP server on loopback.
  python3-aiosmtpd
  catch2
  clang-14 libclang-rt-14-dev
  postgresql
  curl ca-certificates python3 sqlite3
  testssl.sh
)
readonly RUNTIME_PACKAGES=(libsqlite3-0 libpq5 libssl3 libfmt9 libargon2-1 libdcmtk17 libopenjp2-7 libturbojpeg0 libpng16-16 ca-certificates)

usage() {
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
}

mode=build
list_only=0
for arg in "$@"; do
  case "$arg" in
    --runtime) mode=runtime ;;
    --list) list_only=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install-deps.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

if [[ $mode == runtime ]]; then
  packages=("${RUNTIME_PACKAGES[@]}")
else
  packages=("${BUILD_PACKAGES[@]}")
fi

# node: the console and test peers ---------------------------------------------------------
# The web console (web/: Preact, bundled by esbuild when the binary is built) and the tests' real
# npm peers, each pinned by its committed package-lock.json: an OpenID provider (tests/oidc:
# oidc-provider), a DICOMweb client (tests/dicomweb: dicomweb-client) and the browser tests'
# driver (tests/browser: playwright-core driving Debian's chromium, and axe-core). Build mode
# only: Debian's nodejs and npm when no node is on PATH, then `npm ci` in each folder once the
# packages are in (skipped while its node_modules is newer than its lock file, except in CI or
# with CAREHUB_FORCE_DEPS=1). Folders that are absent are skipped (the Docker build stage copies
# web/ and this script only).
root_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tests_dir=$root_dir/tests
node_package_dirs=()
for dir in "$root_dir/web" "$tests_dir/oidc" "$tests_dir/dicomweb" "$tests_dir/browser"; do
  [[ -f $dir/package-lock.json ]] && node_package_dirs+=("$dir")
done
if [[ $mode == build && ${#node_package_dirs[@]} -gt 0 ]] && ! command -v node >/dev/null; then
  packages+=(nodejs npm)
fi
# The browser tests' Chromium: Debian's, never a download by the test tool.
if [[ $mode == build && -f $tests_dir/browser/package-lock.json ]]; then
  packages+=(chromium)
fi
install_node_packages() {
  [[ $mode == build ]] || return 0
  local dir installed
  for dir in "${node_package_dirs[@]}"; do
    installed=$dir/node_modules/.package-lock.json
    if ((!in_ci)) && [[ ${CAREHUB_FORCE_DEPS:-} != 1 && $installed -nt $dir/package-lock.json ]]; then
      echo "install-deps: ${dir#"$root_dir"/} node packages already installed"
      continue
    fi
    echo "install-deps: npm ci --prefix ${dir#"$root_dir"/}"
    npm ci --prefix "$dir" --no-audit --no-fund
  done
}
# end node: the console and test peers --------------------------------------------------------------------

if ((list_only)); then
  printf '%s\n' "${packages[@]}"
  exit 0
fi

in_ci=0
[[ ${CI:-} == true || ${CI:-} == 1 ]] && in_ci=1

if ((!in_ci)) && [[ ${CAREHUB_SKIP_DEPS:-} == 1 ]]; then
  echo "install-deps: CAREHUB_SKIP_DEPS=1, not installing anything"
  exit 0
fi

all_installed() {
  local pkg status
  for pkg in "$@"; do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
    [[ $status == ii* ]] || return 1
  done
}

if ((!in_ci)) && [[ ${CAREHUB_FORCE_DEPS:-} != 1 ]] && all_installed "${packages[@]}"; then
  echo "install-deps: all ${#packages[@]} $mode packages already installed"
  install_node_packages # node: the console and test peers
  exit 0
fi

if ! command -v apt-get >/dev/null; then
  echo "install-deps: apt-get not found; this script targets Debian 12 (bookworm)." >&2
  echo "install-deps: install these packages by hand: ${packages[*]}" >&2
  exit 1
fi

as_root=()
if ((EUID != 0)); then
  if command -v sudo >/dev/null; then
    as_root=(sudo)
  else
    echo "install-deps: installing packages needs root, and sudo is not installed." >&2
    echo "install-deps: run this script as root (e.g. 'su -c \"bash scripts/install-deps.sh\"')," >&2
    echo "install-deps: or install by hand: apt-get install ${packages[*]}" >&2
    exit 1
  fi
fi

apt_get() {
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" </dev/null
}

echo "install-deps: apt-get update"
apt_get update
echo "install-deps: apt-get install ${packages[*]}"
apt_get install -y --no-install-recommends "${packages[@]}"
install_node_packages # node: the console and test peers
echo "install-deps: done"

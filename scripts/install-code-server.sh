#!/usr/bin/env bash
# Installs code-server (VS Code OSS: server + web workbench, from the npm registry) into
# .vscode-test/code-server/, the offline host for the integration tests (see test/integration/run.mjs).
# It is a cache, not a dependency of the extension. Idempotent: a marker file records what is installed,
# and a second run with the same code-server version and Node ABI does nothing.
#
# Needs only the npm registry and Debian apt; the recipe is the design note TEST-HOST.md
# (code-server 4.100.3 declares Node 20). Each step below says why it is there.
#
# Environment:
#   TRAINDX_CODE_SERVER_DIR  where to install (default: <repo>/.vscode-test/code-server)
#   TRAINDX_VERBOSE=1        stream npm's output instead of writing it to the install log only
set -euo pipefail

VERSION=4.100.3
RIPGREP_PKG_VERSION=1.15.11   # @vscode/ripgrep pinned by code-server 4.100.3's lib/vscode shrinkwrap
RIPGREP_ASSET_VERSION=v13.0.0-10

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEST=${TRAINDX_CODE_SERVER_DIR:-$ROOT/.vscode-test/code-server}
MARKER=$DEST/.traindx-installed
ENTRY=$DEST/node_modules/code-server/out/node/entry.js
LOG=$DEST/install.log

say() { echo "[install-code-server] $*"; }
die() { echo "[install-code-server] ERROR: $*" >&2; exit 1; }

command -v node >/dev/null || die "node is not on PATH"
command -v npm >/dev/null || die "npm is not on PATH"
NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')
NODE_ABI=$(node -p 'process.versions.modules')
NODE_ARCH=$(node -p 'process.arch')
WANT="code-server@$VERSION node-abi=$NODE_ABI arch=$NODE_ARCH"

if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$WANT" ] && [ -f "$ENTRY" ]; then
  say "$WANT already installed in $DEST"
  exit 0
fi

[ "$NODE_MAJOR" = 20 ] || die "code-server $VERSION requires Node 20; this is Node $(node -v)"

mkdir -p "$DEST"
# One installer at a time (two test runs may start together).
if command -v flock >/dev/null; then
  exec 9>"$DEST.lock"
  say "taking the install lock $DEST.lock"
  flock 9
  if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$WANT" ] && [ -f "$ENTRY" ]; then
    say "$WANT was installed by another run meanwhile"
    exit 0
  fi
fi

START=$(date +%s)
say "installing $WANT into $DEST (about 3 minutes)"

# --- 1. System packages: libkrb5-dev (kerberos native module), ripgrep (see step 3), a C++ toolchain.
missing=()
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
command -v rg >/dev/null || missing+=(ripgrep)
command -v make >/dev/null || missing+=(make)
command -v g++ >/dev/null || missing+=(g++)
command -v python3 >/dev/null || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    die "missing system packages: ${missing[*]} (install them, e.g. sudo apt-get install ${missing[*]})"
  fi
fi

# --- 2. Native builds must not download Node headers (nodejs.org is unreachable): point node-gyp at
# the headers installed next to this node when they match its version. A `nodedir` from ~/.npmrc is kept
# when it matches, and overridden (env beats .npmrc) when it does not.
NODE_VERSION=$(node -p 'process.versions.node')
headers_version() {
  local h=$1/include/node/node_version.h
  [ -f "$h" ] || return 1
  awk '/define NODE_MAJOR_VERSION/{a=$3} /define NODE_MINOR_VERSION/{b=$3} /define NODE_PATCH_VERSION/{c=$3}
       END{ if (a=="") exit 1; print a"."b"."c }' "$h"
}
NODE_PREFIX=$(node -p 'require("path").resolve(process.execPath, "../..")')
CURRENT_NODEDIR=${npm_config_nodedir:-$(npm config get nodedir 2>/dev/null || true)}
[ "$CURRENT_NODEDIR" = undefined ] || [ "$CURRENT_NODEDIR" = null ] && CURRENT_NODEDIR=
if [ -n "$CURRENT_NODEDIR" ] && [ "$(headers_version "$CURRENT_NODEDIR" || true)" = "$NODE_VERSION" ]; then
  export npm_config_nodedir=$CURRENT_NODEDIR
  say "node-gyp uses the Node $NODE_VERSION headers in $CURRENT_NODEDIR (nodedir)"
elif [ "$(headers_version "$NODE_PREFIX" || true)" = "$NODE_VERSION" ]; then
  export npm_config_nodedir=$NODE_PREFIX
  say "node-gyp uses the Node $NODE_VERSION headers in $NODE_PREFIX${CURRENT_NODEDIR:+ (nodedir $CURRENT_NODEDIR does not match, overridden)}"
else
  say "warning: no local Node $NODE_VERSION headers found${CURRENT_NODEDIR:+ (nodedir $CURRENT_NODEDIR holds $(headers_version "$CURRENT_NODEDIR" || echo none))}; node-gyp may try to download them"
fi

# --- 3. @vscode/ripgrep's postinstall downloads rg from GitHub unless its cache has the tarball.
case "$NODE_ARCH" in
  x64) RG_TARGET=x86_64-unknown-linux-musl ;;
  arm64) RG_TARGET=aarch64-unknown-linux-musl ;;
  *) die "unsupported architecture $NODE_ARCH" ;;
esac
TMP=${TMPDIR:-/tmp}
RG_CACHE=$TMP/vscode-ripgrep-cache-$RIPGREP_PKG_VERSION
RG_TARBALL=$RG_CACHE/ripgrep-$RIPGREP_ASSET_VERSION-$RG_TARGET.tar.gz
if [ ! -s "$RG_TARBALL" ]; then
  RG=$(command -v rg)
  mkdir -p "$RG_CACHE"
  tar czf "$RG_TARBALL.tmp" -C "$(dirname "$(readlink -f "$RG")")" "$(basename "$(readlink -f "$RG")")"
  mv "$RG_TARBALL.tmp" "$RG_TARBALL"
  say "put $(readlink -f "$RG") into the ripgrep cache $RG_TARBALL"
fi

# --- 4. npm install. These settings are inherited by the nested `npm install`s that code-server's
# postinstall runs in lib/vscode and lib/vscode/extensions.
export npm_config_unsafe_perm=true   # code-server's postinstall refuses to run as root otherwise
export npm_config_yes=true           # a nested `npx node-gyp` would otherwise abort (and ~/.npmrc may say yes=false)
export npm_config_ignore_scripts=false
export npm_config_foreground_scripts=true
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
export npm_config_strict_allow_scripts=false
NPM_MAJOR=$(npm -v | cut -d. -f1)
if [ "$NPM_MAJOR" -ge 11 ]; then
  # npm 11 gates dependency install scripts behind the `allowScripts` policy ("install scripts not yet
  # covered by allowScripts"): a warning by default, an error with strict-allow-scripts, and perhaps a
  # block in later versions. code-server needs its postinstall AND the install scripts of VS Code's own
  # native dependencies (node-pty, kerberos, @parcel/watcher, spdlog, ripgrep, ...), which its postinstall
  # installs with nested `npm install`s in folders whose package.json we do not control. An allowScripts
  # list in our package.json would cover only the top level, so allow all scripts for this pinned package,
  # through the environment so that the nested installs inherit it. npm 10 has no such gate.
  export npm_config_dangerously_allow_all_scripts=true
fi

# A fresh tree each time (a half-finished earlier install is not trusted).
rm -rf "$DEST/node_modules" "$DEST/package-lock.json" "$MARKER"
cat >"$DEST/package.json" <<EOF
{
  "name": "traindx-code-server-host",
  "private": true,
  "description": "code-server for TrainDx's integration tests; written by scripts/install-code-server.sh",
  "dependencies": { "code-server": "$VERSION" },
  "allowScripts": { "code-server": true }
}
EOF

say "npm $(npm -v) install code-server@$VERSION (log: $LOG)"
set +e
if [ "${TRAINDX_VERBOSE:-}" = 1 ]; then
  (cd "$DEST" && npm install --no-package-lock --loglevel=warn 2>&1) | tee "$LOG"
  status=${PIPESTATUS[0]}
else
  (cd "$DEST" && npm install --no-package-lock --loglevel=warn >"$LOG" 2>&1) &
  npm_pid=$!
  while kill -0 "$npm_pid" 2>/dev/null; do
    sleep 20
    kill -0 "$npm_pid" 2>/dev/null && say "... still installing ($(( $(date +%s) - START ))s): $(grep -E '^> |^Installing|^added|^User agent' "$LOG" | tail -n 1)"
  done
  wait "$npm_pid"
  status=$?
fi
set -e
if [ "$status" != 0 ] || [ ! -f "$ENTRY" ]; then
  [ "${TRAINDX_VERBOSE:-}" = 1 ] || tail -n 60 "$LOG" >&2
  die "npm install of code-server@$VERSION failed (status $status); full log: $LOG"
fi

# --- 5. Check that the postinstall really ran: the native modules load and rg is in place.
say "checking the install"
VSCODE=$DEST/node_modules/code-server/lib/vscode
[ -x "$VSCODE/node_modules/@vscode/ripgrep/bin/rg" ] || die "ripgrep missing in $VSCODE (postinstall did not run?); log: $LOG"
(cd "$VSCODE" && node -e '
  for (const m of ["node-pty", "@parcel/watcher", "@vscode/spdlog", "native-watchdog", "kerberos"]) {
    try { require(m); } catch (e) { console.error(`cannot load ${m}: ${e.message}`); process.exit(1); }
  }') || die "native modules of VS Code did not build; log: $LOG"
(cd "$DEST/node_modules/code-server" && node -e 'require("argon2")') || die "argon2 did not build; log: $LOG"
# code-server writes a config file and logs under $XDG_CONFIG_HOME and $XDG_DATA_HOME even for --version:
# keep them out of $HOME.
XDG_TMP=$(mktemp -d)
CS_VERSION=$(XDG_CONFIG_HOME=$XDG_TMP/config XDG_DATA_HOME=$XDG_TMP/data node "$ENTRY" --version | tail -n 1) ||
  { rm -rf "$XDG_TMP"; die "code-server does not start; log: $LOG"; }
rm -rf "$XDG_TMP"

echo "$WANT" >"$MARKER"
say "installed $WANT in $(( $(date +%s) - START ))s: $CS_VERSION"

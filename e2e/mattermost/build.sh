#!/usr/bin/env bash
# Builds the Mattermost server pinned in e2e/mattermost/server/go.mod and
# caches it by version, together with the i18n/, templates/ and fonts/
# directories the server reads from its working directory.
#
# Usage: e2e/mattermost/build.sh
# The last line of stdout is the cache directory holding ./mattermost.
# LEITSTELLE_CACHE overrides the cache root (default ~/.cache/leitstelle).
set -euo pipefail

readonly pkg=github.com/mattermost/mattermost/server/v8
readonly module_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/server" && pwd)"
readonly cache_root="${LEITSTELLE_CACHE:-$HOME/.cache/leitstelle}"

log() { echo "build.sh: $*" >&2; }

cd "$module_dir"

# Only this module's go.mod decides the version, never a go.work above.
export GOWORK=off

version="$(go list -m -f '{{.Version}}' "$pkg")"
dest="$cache_root/mattermost-$version"

if [[ -x "$dest/mattermost" ]]; then
	log "cached server found"
	echo "$dest"
	exit 0
fi

# Test binaries of several packages may run this script at the same time,
# so the lock makes sure that only one of them builds.
mkdir -p "$cache_root"
exec 9>"$cache_root/.mattermost-$version.lock"
flock 9
if [[ -x "$dest/mattermost" ]]; then
	log "server built by another run"
	echo "$dest"
	exit 0
fi

log "downloading modules of $pkg@$version"
go mod download

src="$(go list -m -f '{{.Dir}}' "$pkg")"
stage="$(mktemp -d "$cache_root/.mattermost-$version.XXXXXX")"
trap 'rm -rf "$stage"' EXIT

log "building $pkg/cmd/mattermost (about two minutes when cold)"
go build -trimpath -o "$stage/mattermost" "$pkg/cmd/mattermost"

# Files in the module cache are read-only. Make the copies writable so
# that the cache directory can be removed like any other.
for name in i18n templates fonts; do
	cp -R "$src/$name" "$stage/$name"
done
chmod -R u+w "$stage"
chmod 755 "$stage"

rm -rf "$dest"
mv -T "$stage" "$dest"
echo "$dest"

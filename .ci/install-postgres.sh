#!/usr/bin/env bash
# Installs PostgreSQL 15 (Debian package postgresql) for the end-to-end
# tests, unless its initdb is already there. Safe to run again.
set -euo pipefail

readonly initdb=/usr/lib/postgresql/15/bin/initdb

if [[ -x "$initdb" ]]; then
	echo "install-postgres.sh: $initdb found, nothing to do"
	exit 0
fi

sudo=()
if [[ "$(id -u)" != 0 ]]; then
	sudo=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends postgresql

if [[ ! -x "$initdb" ]]; then
	echo "install-postgres.sh: package postgresql installed, but $initdb is missing," \
		"so this distribution ships another major version: set LEITSTELLE_PG_BINDIR to its bin directory" >&2
	exit 1
fi
echo "install-postgres.sh: installed $("$initdb" --version)"

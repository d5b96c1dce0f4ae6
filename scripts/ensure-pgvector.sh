#!/usr/bin/env bash
# Makes the pgvector extension available to the local PostgreSQL server.
# pgvector is not packaged for Debian bookworm, so when the server lacks it we build it from Debian's own
# source package (trixie) against the server's development headers. Idempotent: a no-op once installed.
set -euo pipefail

pg_major=$(pg_config --version 2>/dev/null | sed -E 's/[^0-9]*([0-9]+).*/\1/' || true)
if [ -z "${pg_major}" ]; then
  pg_major=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)
fi
[ -n "${pg_major}" ] || { echo "ensure-pgvector: no local PostgreSQL installation found" >&2; exit 1; }
ext_dir="/usr/share/postgresql/${pg_major}/extension"

if [ -f "${ext_dir}/vector.control" ]; then
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "ensure-pgvector: the 'vector' extension is missing and installing it needs root (apt-get, make install)." >&2
  exit 1
fi

echo "ensure-pgvector: building pgvector for PostgreSQL ${pg_major} from Debian's source package (about a minute)"
export DEBIAN_FRONTEND=noninteractive
if ! grep -rqs 'deb-src .* trixie main' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo 'deb-src http://deb.debian.org/debian trixie main' > /etc/apt/sources.list.d/groundwork-trixie-src.list
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "postgresql-server-dev-${pg_major}" build-essential dpkg-dev >/dev/null

work=$(mktemp -d)
trap 'rm -rf "${work}"' EXIT
cd "${work}"
apt-get source -qq pgvector >/dev/null 2>&1 || apt-get source pgvector
src=$(find . -maxdepth 1 -type d -name 'pgvector-*' | head -1)
cd "${src}"
make -s PG_CONFIG="/usr/lib/postgresql/${pg_major}/bin/pg_config" OPTFLAGS="" >/dev/null
make -s PG_CONFIG="/usr/lib/postgresql/${pg_major}/bin/pg_config" install >/dev/null
echo "ensure-pgvector: installed $(grep default_version "${ext_dir}/vector.control")"

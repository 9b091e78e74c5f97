#!/usr/bin/env bash
# Fetches etcd-server and etcd-client VERSION (default 3.5.30) from Debian sid into .cache/etcd-VERSION/
# for the e2e tests (ETCDTOP_TEST_ETCD_DIR=.cache/etcd-VERSION/usr/bin). It never installs them: apt reads
# a private sources list and keeps its lists and cache under the cache dir, and `dpkg-deb -x` unpacks the
# packages there, so the system's own etcd (bookworm's 3.4) stays as it is. Skips when already there.
# Prints the bin directory on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

version="${1:-3.5.30}"
suite="${ETCDTOP_ETCD_SUITE:-sid}"
root="$PWD/.cache/etcd-$version"
bin="$root/usr/bin"

# Whether $1 is etcd $version. Not `etcd --version | grep -q`: under pipefail that fails now and then (19 of
# 100 here), as grep exits at the first line and etcd, writing its next line, dies of SIGPIPE: the cache
# was fetched again, and a failed last check left the caller's ETCDTOP_TEST_ETCD_DIR empty (the system's etcd).
is_version() {
	local out
	out="$("$1" --version 2>/dev/null)" || return 1
	[[ $'\n'"$out"$'\n' == *$'\n'"etcd Version: $version"$'\n'* ]]
}

if [ -x "$bin/etcd" ] && [ -x "$bin/etcdctl" ] && [ -x "$bin/etcdutl" ] && is_version "$bin/etcd"; then
	echo "$bin"
	exit 0
fi

# The mirror this machine already uses (deb822 .sources first, then a one-line sources.list), else Debian's.
mirror=""
for file in /etc/apt/sources.list.d/*.sources; do
	[ -r "$file" ] || continue
	mirror="$(awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$file")"
	[ -n "$mirror" ] && break
done
if [ -z "$mirror" ] && [ -r /etc/apt/sources.list ]; then
	mirror="$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/ && $i !~ /security/) { print $i; exit } }' /etc/apt/sources.list)"
fi
mirror="${mirror:-http://deb.debian.org/debian}"

apt_dir="$root/apt"
rm -rf "$apt_dir"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/parts" "$apt_dir/preferences.d" "$apt_dir/debs"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
echo "deb [signed-by=$keyring] $mirror $suite main" >"$apt_dir/sources.list"
apt_options=(
	-o "Dir::Etc::SourceList=$apt_dir/sources.list"
	-o "Dir::Etc::SourceParts=$apt_dir/parts"
	-o "Dir::Etc::Preferences=$apt_dir/preferences"
	-o "Dir::Etc::PreferencesParts=$apt_dir/preferences.d"
	-o "Dir::State::Lists=$apt_dir/lists"
	-o "Dir::Cache=$apt_dir/cache"
	-o "APT::Sandbox::User=root"
	-o "Acquire::Languages=none"
)
echo "fetching etcd $version from $mirror $suite into $root" >&2
apt-get "${apt_options[@]}" -qq update >&2
# Debian revisions (3.5.30-2): take whichever revision of this upstream version the suite has.
pick() {
	apt-cache "${apt_options[@]}" madison "$1" | awk -v v="$version" '{ split($3, parts, "-"); if (parts[1] == v) { print $3; exit } }'
}
server="$(pick etcd-server)"
client="$(pick etcd-client)"
if [ -z "$server" ] || [ -z "$client" ]; then
	echo "Debian $suite has no etcd-server/etcd-client $version (apt-cache madison etcd-server shows what it has)" >&2
	exit 1
fi
(cd "$apt_dir/debs" && apt-get "${apt_options[@]}" -qq download "etcd-server=$server" "etcd-client=$client" >&2)
for deb in "$apt_dir"/debs/*.deb; do
	dpkg-deb -x "$deb" "$root"
done
rm -rf "$apt_dir"
if ! is_version "$bin/etcd"; then
	echo "the etcd unpacked into $bin is not $version: $("$bin/etcd" --version 2>&1 | tr '\n' ' ')" >&2
	exit 1
fi
echo "$bin"

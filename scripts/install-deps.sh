#!/usr/bin/env bash
# Installs what etcdtop's demo and tests need on Debian/Ubuntu, skipping what is already there:
# etcd and etcdctl, tmux (console tests), OpenSSH (SSH tests), openssl (test certificates), age
# (encrypted snapshot tests), strace (the slow-disk test delays one member's fdatasync), ps (the demo test
# finds etcd among the console's processes; a minimal Debian image has no procps), etcd 3.5.30 from Debian
# sid unpacked into .cache/ for the e2e tests (never installed; see fetch-etcd.sh), then the npm packages
# from the lockfile. A test whose tool is missing skips itself, so what it checks would go unchecked.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v etcd >/dev/null 2>&1 || need+=(etcd-server)
command -v etcdctl >/dev/null 2>&1 || need+=(etcd-client)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v age >/dev/null 2>&1 || need+=(age)
command -v strace >/dev/null 2>&1 || need+=(strace)
command -v ps >/dev/null 2>&1 || need+=(procps)

if [ ${#need[@]} -gt 0 ]; then
	sudo=()
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	echo "installing: ${need[*]}"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! bash scripts/fetch-etcd.sh 3.5.30 >/dev/null; then
	echo "warning: etcd 3.5.30 could not be fetched; the e2e tests on etcd 3.5 (.ci/run) need it" >&2
fi

if ! command -v node >/dev/null 2>&1; then
	echo "Node.js 20 or newer is needed: https://nodejs.org or your distribution's nodejs package" >&2
	exit 1
fi
npm ci --no-audit --no-fund
npm run build

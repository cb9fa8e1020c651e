#!/bin/sh
# Installs, when missing, every Debian package the real-client (e2e) tests
# need, and downloads the guest kernel package into the VM cache. Run as
# root; it is idempotent and runs "apt-get update" at most once.
#
#   sh test/install-deps.sh && go test -tags e2e -count=1 -p 1 -timeout 30m ./test/...
set -eu

PACKAGES="qemu-system-x86 busybox-static xz-utils util-linux iproute2
nfs-ganesha nfs-ganesha-vfs rpcbind nfs-common nftables libnfs-utils
samba-testsuite"

# "sh test/install-deps.sh smbd" also installs Samba's smbd, the reference
# server of make bench-smb (not needed by make test).
if [ "${1:-}" = smbd ]; then
	PACKAGES="$PACKAGES samba samba-vfs-modules libnss-wrapper smbclient"
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: run as root" >&2
	exit 1
fi

updated=no
update_once() {
	if [ "$updated" = no ]; then
		apt-get update -qq
		updated=yes
	fi
}

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q ' installed$'; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
	update_once
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi

# The guest kernel: downloaded (not installed) into the harness cache, where
# test/vm looks for it first.
cache="${DITTOFS_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dittofs-vm}/kernel"
mkdir -p "$cache"
if ! ls "$cache"/linux-image-*.deb >/dev/null 2>&1; then
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
	if [ -z "$pkg" ]; then
		update_once
		pkg=$(apt-cache depends linux-image-amd64 | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
	fi
	tmp=$(mktemp -d "$cache/download-XXXXXX")
	chmod 777 "$tmp"
	(cd "$tmp" && apt-get download -qq "$pkg")
	mv "$tmp"/"$pkg"_*.deb "$cache"/
	rm -rf "$tmp"
fi
echo "install-deps.sh: all e2e dependencies present"

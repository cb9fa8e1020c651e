#!/bin/sh
# /init of the harness initramfs (busybox sh). The per-run archive adds
# /run/config (shell assignments, see config.go) and /run/script.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /dev/shm
chmod 1777 /tmp
stty -F /dev/ttyS1 raw -echo
stty -F /dev/ttyS2 raw -echo
. /run/config

status() {
	echo "$*" >/dev/ttyS2
	sync
	poweroff -f
}

echo "init: start at $(cut -d" " -f1 /proc/uptime)s"
for m in $(cat /lib/modules/load-order); do
	insmod "/lib/modules/$m.ko" || status "EXIT=-1 stage=insmod module=$m"
done

hostname "$VM_HOSTNAME"
ip link set lo up
ip link set eth0 up || status "EXIT=-1 stage=network"
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2

if [ "$VM_MOUNT_FSTYPE" = cifs ]; then
	for m in $(cat /lib/modules/cifs-order); do
		insmod "/lib/modules/$m.ko" || status "EXIT=-1 stage=insmod module=$m"
	done
fi

# NFS module parameters must be set before the first mount.
echo "$VM_UNIQUE_ID" >/sys/module/nfs/parameters/nfs4_unique_id
if [ -n "$VM_CALLBACK_PORT" ]; then
	echo "$VM_CALLBACK_PORT" >/sys/module/nfs/parameters/callback_tcpport
fi
# waitrpc PROG VERS STAGE waits (bounded; no signal exists) until the
# guest's rpcbind answers for PROG.
waitrpc() {
	n=0
	until vmhelper rpcping 127.0.0.1:111 "$1" "$2" >/dev/null 2>&1; do
		n=$((n + 1))
		[ $n -lt 100 ] || status "EXIT=-1 stage=$3 reason=not-registered"
		sleep 0.1
	done
}

if [ -n "$VM_LOCKD_PORT" ]; then
	# NLM: lockd on a fixed port (read when lockd starts, at the first
	# mount; the parameter takes no trailing newline), rpcbind for the
	# kernel to find statd, statd on a fixed port. Both log to the console.
	printf %s "$VM_LOCKD_PORT" >/sys/module/lockd/parameters/nlm_tcpport || status "EXIT=-1 stage=lockd"
	printf %s "$VM_LOCKD_PORT" >/sys/module/lockd/parameters/nlm_udpport || status "EXIT=-1 stage=lockd"
	mkdir -p /run/rpcbind /var/lib/nfs/sm /var/lib/nfs/sm.bak
	rpcbind -f -w &
	waitrpc 100000 2 rpcbind
	rpc.statd -F -d -L -p "$VM_STATD_PORT" &
	waitrpc 100024 1 statd
	# The server's GRANTED callbacks and SM_NOTIFY come in through QEMU's
	# hostfwd, which delivers them from its host address 10.0.2.2, while
	# the guest mounted the server as 10.0.2.100; the kernel accepts a
	# GRANTED only from the server's address (nlmclnt_grant compares
	# them). Source NAT on input makes those connections come from
	# 10.0.2.100, as they would on a real network.
	for m in $(cat /lib/modules/lock-order); do
		insmod "/lib/modules/$m.ko" || status "EXIT=-1 stage=insmod module=$m"
	done
	nft -f /dev/stdin <<EOF || status "EXIT=-1 stage=nft"
table ip vmlock {
	chain in {
		type nat hook input priority 100; policy accept;
		ip saddr 10.0.2.2 tcp dport { $VM_LOCKD_PORT, $VM_STATD_PORT } snat to 10.0.2.100
		ip saddr 10.0.2.2 udp dport { $VM_LOCKD_PORT, $VM_STATD_PORT } snat to 10.0.2.100
	}
}
EOF
fi

# A server that is not there would leave the mount retrying until the
# timeout: ask each RPC program for a NULL reply first.
set -- $VM_RPC_PING
while [ $# -ge 3 ]; do
	vmhelper rpcping "$1" "$2" "$3" || status "EXIT=-1 stage=mount reason=no-rpc-reply program=$2"
	shift 3
done

mkdir -p "$VM_MOUNT_DIR"
echo "mount -t $VM_MOUNT_FSTYPE $VM_MOUNT_SOURCE $VM_MOUNT_DIR -o $(echo "$VM_MOUNT_OPTIONS" | sed 's/password=[^,]*/password=***/')"
if ! vmhelper mount "$VM_MOUNT_SOURCE" "$VM_MOUNT_DIR" "$VM_MOUNT_FSTYPE" "$VM_MOUNT_OPTIONS"; then
	status "EXIT=-1 stage=mount"
fi
echo "init: mounted at $(cut -d" " -f1 /proc/uptime)s"
cd "$VM_MOUNT_DIR"
sh /run/script </dev/null >/dev/ttyS1 2>&1
rc=$?
cd /
sync
if umount "$VM_MOUNT_DIR"; then um=ok; else um=failed; fi
status "EXIT=$rc stage=done umount=$um"

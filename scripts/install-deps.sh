#!/bin/sh
# Installs, when missing, the Debian packages the test suite needs: those of
# the unit and integration tests here, then those of the real-client suites
# (test/install-deps.sh). apt-get update runs only when something is
# missing. Package scripts are kept from starting daemons while this runs:
# Debian's rpcbind and nfs-ganesha would otherwise take ports 111 and 2049.
# Without root it only reports what is missing.
set -eu
cd "$(dirname "$0")/.."

# command:package pairs the unit and integration tests use.
need="rpcinfo:rpcbind unshare:util-linux smbclient:smbclient"

missing=""
for pair in $need; do
	cmd=${pair%%:*}
	pkg=${pair#*:}
	if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$cmd" ] && [ ! -x "/sbin/$cmd" ]; then
		missing="$missing $pkg"
	fi
done
# PostgreSQL's server binaries (store/postgres tests start their own
# server) are not on PATH: Debian puts them in /usr/lib/postgresql/N/bin.
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
	missing="$missing postgresql"
fi

# versitygw, the real S3 server of store/s3's integration tests, built once
# per machine into the user's cache directory where store/s3/s3test looks
# for it (s3test builds it on demand too; doing it here keeps the two-minute
# first build out of the test run). Not root-only: it is a Go build.
vgw_version=$(sed -n 's/^const VersitygwVersion = "\(.*\)"$/\1/p' store/s3/s3test/s3test.go)
vgw_dir="${XDG_CACHE_HOME:-$HOME/.cache}/dittofs/versitygw-$vgw_version"
if [ -n "$vgw_version" ] && [ -z "${DITTOFS_VERSITYGW:-}" ] && [ ! -x "$vgw_dir/versitygw" ] && command -v go >/dev/null 2>&1; then
	echo "install-deps: building versitygw $vgw_version into $vgw_dir" >&2
	GOBIN="$vgw_dir" GOFLAGS=-buildvcs=false go install "github.com/versity/versitygw/cmd/versitygw@$vgw_version" ||
		echo "install-deps: building versitygw failed; store/s3's tests will try again" >&2
fi

if [ "$(id -u)" != 0 ]; then
	[ -n "$missing" ] && echo "install-deps: missing Debian packages:$missing (run as root to install them)" >&2
	exit 0
fi

policy=/usr/sbin/policy-rc.d
created=""
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod +x "$policy"
	created=1
fi
cleanup() { if [ -n "$created" ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
if [ -n "$missing" ]; then
	echo "install-deps: installing$missing" >&2
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
fi
if [ -f test/install-deps.sh ]; then
	sh test/install-deps.sh
fi

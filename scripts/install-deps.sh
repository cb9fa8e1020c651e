#!/bin/sh
# Installs, when missing, the Debian packages the test suite needs. Runs
# apt-get update at most once, installs without recommended packages, and
# keeps package scripts from starting daemons (rpcbind would otherwise take
# port 111). Without root it only reports what is missing.
set -eu

# command:package pairs the unit and integration tests use.
need="rpcinfo:rpcbind"
# The real-client (e2e) suite lists its own in test/install-deps.sh.

missing=""
for pair in $need; do
	cmd=${pair%%:*}
	pkg=${pair#*:}
	if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$cmd" ] && [ ! -x "/sbin/$cmd" ]; then
		missing="$missing $pkg"
	fi
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "install-deps: missing Debian packages:$missing (run as root to install them)" >&2
	else
		echo "install-deps: installing$missing" >&2
		policy=/usr/sbin/policy-rc.d
		created=""
		if [ ! -e "$policy" ]; then
			printf '#!/bin/sh\nexit 101\n' >"$policy"
			chmod +x "$policy"
			created=1
		fi
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		# shellcheck disable=SC2086
		apt-get install -y -qq --no-install-recommends $missing
		[ -n "$created" ] && rm -f "$policy"
	fi
fi
exit 0

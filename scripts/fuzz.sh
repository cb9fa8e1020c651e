#!/bin/sh
# Runs every fuzz target in the module for a short time each
# (FUZZTIME, default 5s). Crashers are written to testdata/fuzz/ by go test
# and then fail the ordinary test run until fixed.
set -eu
fuzztime=${FUZZTIME:-5s}
status=0
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	targets=$(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u || true)
	for t in $targets; do
		echo "fuzz: $pkg $t ($fuzztime)"
		if ! go test -run '^$' -fuzz "^$t\$" -fuzztime "$fuzztime" "$pkg" >/tmp/fuzz.$$.log 2>&1; then
			cat /tmp/fuzz.$$.log
			status=1
		fi
	done
done
rm -f /tmp/fuzz.$$.log
exit $status

# DittoFS. `make test` is the whole suite: what CI runs (.ci/run) and what
# the README tells you to run. It installs the Debian packages it needs when
# run as root.

GO       ?= go
FUZZTIME ?= 5s
export FUZZTIME

.PHONY: test deps lint generate generate-check unit e2e e2e-smb bench bench-nfs3 bench-nfs4 bench-nfs-disk bench-host bench-smb fuzz soak

test: deps lint generate-check unit e2e

deps:
	./scripts/install-deps.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags e2e ./test/...
	$(GO) vet -tags bench ./test/...
	$(GO) vet -tags soak ./test/hostile/

generate:
	$(GO) generate ./...

# The generated code is committed; regenerating it must change nothing.
generate-check: generate
	@gen=':(glob)**/zz_*.go'; \
	if ! git diff --quiet -- "$$gen" || [ -n "$$(git ls-files --others --exclude-standard -- "$$gen")" ]; then \
		echo "generated code is out of date; run make generate and commit:"; \
		git status --short -- "$$gen"; exit 1; fi

unit:
	$(GO) test -race -count=1 -timeout 20m ./...

# The real-client suites: the Linux kernel NFS client in QEMU, libnfs,
# and the reference servers they are compared with.
e2e:
	$(GO) test -tags e2e -count=1 -p 1 -timeout 40m ./test/...

# smbtorture (Debian samba-testsuite) against fullserver: the 19 suites
# measured against Samba's smbd in docs/smb.md ("smbtorture"), compared
# per test with test/smb/testdata/smbtorture-full.txt. Today 256 pass
# (256/108/34/0 pass/fail/skip/error; smbd 4.17: 322/32/43/1) in about
# 8 minutes (the oplock, lease and notify suites wait out break and
# notify timeouts); each suite is killed after 6 minutes. make test runs
# the 13 quick suites only (TestSmbtortureQuick, 143 pass, about 20 s).
# Add -smb.update to rewrite the list with this run's passes.
e2e-smb:
	$(GO) test -tags e2e -count=1 -timeout 60m -run 'TestSmbtortureFull$$' -v ./test/smb/ -smb.full

bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m ./...

# Whole-server NFSv3 figures through the kernel client, DittoFS vs
# NFS-Ganesha in the same run (about 15 minutes, root; docs/bench-nfs3.md).
# Flags of TestNFSBench: -bench.vers 3|4.0|4.1|4.2, -bench.rounds N,
# -bench.store memory|disk (default memory: fullserver --memory against
# Ganesha on a tmpfs; disk: fullserver --data and Ganesha FSAL_VFS in one
# fresh directory under -bench.workdir, default /var/tmp),
# -bench.workloads a,b,... (default all), -bench.options, -bench.out FILE.
bench-nfs3:
	$(GO) test -tags bench -count=1 -timeout 60m -run 'TestNFSBench$$' -v ./test/bench/ -bench.rounds 3

# The same workloads over NFSv4.0, NFSv4.1 and NFSv4.1 with nconnect=4
# (about 45 minutes, root).
bench-nfs4:
	$(GO) test -tags bench -count=1 -timeout 60m -run 'TestNFSBench$$' -v ./test/bench/ -bench.rounds 3 -bench.vers 4.0
	$(GO) test -tags bench -count=1 -timeout 60m -run 'TestNFSBench$$' -v ./test/bench/ -bench.rounds 3 -bench.vers 4.1
	$(GO) test -tags bench -count=1 -timeout 60m -run 'TestNFSBench$$' -v ./test/bench/ -bench.rounds 3 -bench.vers 4.1 -bench.options nconnect=4

# The kernel client over NFSv4.1 against both servers on the data
# directory (BadgerDB + localfs against FSAL_VFS, the same disk), every
# workload including the O_DIRECT random write (directwrite), 3 rounds
# (about 10 minutes, root; docs/benchmarks.md, "Kernel client on the data
# directory").
bench-nfs-disk:
	$(GO) test -tags bench -count=1 -timeout 60m -run 'TestNFSBench$$' -v ./test/bench/ -bench.rounds 3 -bench.vers 4.1 -bench.store disk

# Host-native NFS load (test/bench/cmd/hostbench): NFSv3 and NFSv4.1 from
# user space at 1 and 32 calls in flight, examples/fullserver (memory
# stores, and a data directory on disk) against NFS-Ganesha (FSAL_VFS on
# tmpfs, and on the same disk), interleaved D G D G (about 15 minutes,
# root; docs/benchmarks.md, "Host-native NFS load").
BENCH_HOST_FLAGS ?= -duration 2s -ops 100000 -seq-mib 1024 -file-mib 128
bench-host:
	$(GO) run ./test/bench/cmd/hostbench -compare -rounds 2 -depth 1,32 -vers 3,4.1 $(BENCH_HOST_FLAGS)

# SMB against Samba's smbd in the same run (test/smb/bench_smb_test.go):
# smbtorture smb2.bench.echo and smb2.bench.path-contention-shared at 4
# and 32 requests in flight, smbclient put/get of 256 MiB, 3 rounds
# interleaved, medians with the servers' CPU time (about 3 minutes, root;
# docs/benchmarks.md, "SMB against smbd").
SMB_BENCH_FLAGS ?= -smbbench.rounds 3 -smbbench.secs 5 -smbbench.mib 256
bench-smb:
	sh test/install-deps.sh smbd
	$(GO) test -tags bench -count=1 -timeout 30m -run 'TestSMBBench$$' -v ./test/smb/ $(SMB_BENCH_FLAGS)

fuzz:
	./scripts/fuzz.sh

# The hostile-client soak: the reference server binary, 8 well-behaved
# NFSv3 clients and one client running every attack of test/hostile in
# turn, for SOAK_DURATION (10 minutes; not part of make test). It fails on
# any error or stall of a well-behaved client, or a server peak RSS over
# 512 MiB; docs/benchmarks.md ("Hostile-client soak") has a run's figures.
SOAK_DURATION ?= 10m
soak:
	$(GO) test -tags soak -count=1 -timeout 40m -run 'TestSoak$$' -v ./test/hostile/ -soak.duration $(SOAK_DURATION)

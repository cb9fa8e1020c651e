// Package nfs4 holds the kernel-client tests of NFSv4.0: with the e2e
// build tag, they boot Linux guests with test/vm mounting vers=4.0 (with
// the callback path set up, vm.Config.Callback) against the in-process
// server of test/internal/nfstest with NFSv4 on (nfs3, nlm, nfs4, state,
// locking and portmap on 127.0.0.1, wired as examples/fullserver does),
// and check file operations, numeric owners, a tree of 2,000 files, a
// 256 MiB file, posixcheck (test/conformance), locks across NFSv3/NLM
// and NFSv4.0, and a restart with reclaim in grace. Every test fails on
// any warning or error the server logs. See docs/testing-real-clients.md.
package nfs4

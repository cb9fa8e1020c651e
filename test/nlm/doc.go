// Package nlm holds the kernel-client tests of NFSv3 locking (NLM v4 and
// NSM v1): with the e2e build tag, they boot Linux guests with test/vm,
// locking on (vm.Config.Lock), against the in-process server of
// test/internal/nfstest (nfs3, nlm, locking and portmap on 127.0.0.1,
// wired as examples/fullserver does), and
// lock through cmd/locker, a static program run in the guests. See
// docs/testing-real-clients.md.
package nlm

// Package smb holds the real-client tests of the SMB server (package smb),
// with the e2e build tag.
//
// Samba's smbtorture (Debian samba-testsuite) runs against
// examples/fullserver on 127.0.0.1 and each test's result is compared
// with a committed list of the test ids known to pass
// (testdata/smbtorture-*.txt). A test on the list that no longer passes
// fails the run; a test that passes and is not on the list is printed so
// the list can be extended. TestSmbtortureQuick (part of make test) runs
// the quick tier of 13 suites; TestSmbtortureFull (make e2e-smb, flag
// -smb.full) runs the 19 suites measured against smbd in docs/smb.md.
//
// The Linux kernel cifs client in the test/vm guest mounts a share of
// examples/fullserver on 127.0.0.1 with SMB 3.1.1 and 2.1, and the host
// checks what it wrote over NFSv3 through the same store.
package smb

// Package smb holds the real-client tests of the SMB server (package smb):
// with the e2e build tag, Samba's smbtorture (Debian samba-testsuite) runs
// against examples/fullserver on 127.0.0.1 and each test's result is
// compared with a committed list of the test ids known to pass
// (testdata/smbtorture-*.txt). A test on the list that no longer passes
// fails the run; a test that passes and is not on the list is printed so
// the list can be extended.
//
// TestSmbtortureQuick (part of make test) runs the quick tier of 13
// suites; TestSmbtortureFull (make e2e-smb, flag -smb.full) runs the 19
// suites measured against smbd in docs/smb.md.
package smb

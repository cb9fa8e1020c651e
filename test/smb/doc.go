// Package smb holds the real-client tests of the SMB server (package smb):
// with the e2e build tag, the Linux kernel cifs client in the test/vm
// guest mounts a share of examples/fullserver on 127.0.0.1 with SMB 3.1.1
// and 2.1, and the host checks what it wrote over NFSv3 through the same
// store.
package smb

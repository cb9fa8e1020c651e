// Package nfs3 holds the real-client tests of the NFSv3 server (package
// nfs3): with the e2e build tag, the Linux kernel client in the test/vm
// guest mounts a server started in-process on 127.0.0.1 and runs file
// operations and the posixcheck conformance program against it.
package nfs3

// Package hostile holds the tests of the server against hostile and
// misbehaving clients: one test per attack, each against an in-process
// NFSv3 server (rpc.Server, nfs3.Server, a memory store) on 127.0.0.1.
// They run in `go test ./...`, in a few seconds each; the shared harness
// is harness_test.go.
package hostile

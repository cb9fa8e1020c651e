package main

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/dittofs/dittofs/rpc"
)

// stableHow is WRITE's stable_how (RFC 1813 §3.3.7; stable_how4 of RFC
// 8881 §18.32 has the same values).
type stableHow uint32

const (
	unstable stableHow = 0
	fileSync stableHow = 2
)

// file is an open file: its handle and, over NFSv4, its open stateid.
type file struct {
	fh  []byte
	sid stateid
}

// stateid is an NFSv4 stateid4 (seqid and other, 16 bytes on the wire).
type stateid [16]byte

// client is one protocol's view of the export's root directory, over one
// or more connections. Every method is safe for concurrent use; w is the
// calling worker, which picks the connection (and, over NFSv4.1, the
// session) the call goes out on.
type client interface {
	// create makes the regular file name in the root and returns it
	// open (NFSv3: CREATE UNCHECKED; NFSv4.1: OPEN4_CREATE).
	create(ctx context.Context, w int, name string) (*file, error)
	// close releases an open of create (NFSv4.1 CLOSE; nothing over
	// NFSv3).
	close(ctx context.Context, w int, f *file) error
	// write writes all of data at off, continuing after short writes.
	write(ctx context.Context, w int, f *file, off uint64, data []byte, how stableHow) error
	// commit commits the whole file.
	commit(ctx context.Context, w int, f *file) error
	// read reads up to n bytes at off (one READ); the slice is the
	// reply's.
	read(ctx context.Context, w int, f *file, off uint64, n uint32) (data []byte, eof bool, err error)
	// readAnon reads like read but with no open (the anonymous stateid
	// over NFSv4.1).
	readAnon(ctx context.Context, w int, fh []byte, off uint64, n uint32) ([]byte, bool, error)
	// getattr fetches the attributes of f.
	getattr(ctx context.Context, w int, f *file) error
	// remove removes name from the root.
	remove(ctx context.Context, w int, name string) error
	// shutdown ends the client's state on the server and closes the
	// connections.
	shutdown(ctx context.Context) error
}

// dialer opens one TCP connection to addr.
type dialer func(ctx context.Context, addr string) (net.Conn, error)

func tcpDialer(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}

// target says where a server is and how to reach it.
type target struct {
	// addr is the NFS address, mountAddr MOUNT's (NFSv3 only).
	addr, mountAddr string
	// export is the path MOUNT is asked for, and over NFSv4 the path of
	// the export in the pseudo-filesystem.
	export string
	dial   dialer
}

// dialRPC opens n RPC clients to addr with root's AUTH_SYS credential
// (both reference servers run with no_root_squash).
func dialRPC(ctx context.Context, t target, addr string, n int) ([]*rpc.Client, error) {
	var cs []*rpc.Client
	for range n {
		nc, err := t.dial(ctx, addr)
		if err != nil {
			closeAll(cs)
			return nil, err
		}
		c := rpc.NewClient(nc)
		c.Cred = rpc.EncodeAuthSys(1, "hostbench", 0, 0, nil)
		cs = append(cs, c)
	}
	return cs, nil
}

func closeAll(cs []*rpc.Client) error {
	var errs []error
	for _, c := range cs {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// dialClient connects to t with NFS version vers ("3" or "4.1") over
// conns connections, with room for depth calls in flight.
func dialClient(ctx context.Context, t target, vers string, conns, depth int) (client, error) {
	switch vers {
	case "3":
		return dial3(ctx, t, conns)
	case "4.1":
		return dial41(ctx, t, conns, depth)
	}
	return nil, fmt.Errorf("version %q: want 3 or 4.1", vers)
}

package smb

import (
	"net"
	"sync/atomic"
	"testing"

	"github.com/dittofs/dittofs/smb/internal/wire"
)

// countingListener counts the Write calls on the connections it accepts.
type countingListener struct {
	net.Listener
	writes *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{nc, l.writes}, nil
}

type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

// TestPipelinedRepliesCoalesced: requests a client pipelines (several
// whole frames arriving together) get their replies in fewer writes than
// one per reply, and every reply arrives.
func TestPipelinedRepliesCoalesced(t *testing.T) {
	var writes atomic.Int64
	ts := startServerOn(t, func(l net.Listener) net.Listener { return countingListener{l, &writes} })
	c := ts.connect(wire.SMB2_DIALECT_311)
	const n = 16
	var batch []byte
	for range n {
		m := c.message(wire.SMB2_ECHO, []byte{4, 0, 0, 0}, 1)
		if err := c.signer.Sign(m); err != nil {
			t.Fatal(err)
		}
		batch = appendFrame(batch, m)
	}
	before := writes.Load()
	if _, err := c.nc.Write(batch); err != nil { // one write: the frames arrive together
		t.Fatal(err)
	}
	for i := range n {
		rs, err := c.recv()
		if err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		if rs[0].status() != wire.STATUS_SUCCESS || rs[0].h.Command != wire.SMB2_ECHO {
			t.Fatalf("reply %d: %v %v", i, rs[0].h.Command, rs[0].status())
		}
	}
	// Without coalescing each reply is its own write (two Write calls
	// through this wrapper, which hides writev): 2n.
	if got := writes.Load() - before; got >= n {
		t.Errorf("%d replies took %d writes", n, got)
	}
}

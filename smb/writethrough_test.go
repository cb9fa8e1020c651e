package smb

import (
	"bytes"
	"testing"

	"github.com/dittofs/dittofs/smb/internal/wire"
	. "github.com/dittofs/dittofs/smb/internal/wire/wiretest"
)

// TestWriteThroughOpen: an open made with FILE_WRITE_THROUGH (MS-SMB2
// §2.2.13 CreateOptions) makes each WRITE durable before its reply, as
// the per-request SMB2_WRITEFLAG_WRITE_THROUGH does; without either a
// WRITE may stay in the store's open-block buffer until FLUSH (or the
// store's background flush, Options.FlushInterval).
func TestWriteThroughOpen(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	// Larger than the store's small-write log (whose entries stay buffered
	// until folded), so that a durable write leaves nothing buffered.
	data := bytes.Repeat([]byte("w"), 256<<10)

	f, st := c.create("buffered", wire.GENERIC_ALL, wire.FILE_CREATE, 0)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if st := c.write(f, 0, data); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if n := ts.fs.Stats().OpenBlockBytes; n == 0 {
		t.Fatal("a plain WRITE left nothing buffered: the test cannot tell write-through apart")
	}
	if r := c.call(wire.SMB2_FLUSH, append(Lay(uint16(24), uint16(0), uint32(0)), fid(f)...)); r.status() != wire.STATUS_SUCCESS {
		t.Fatal(r.status())
	}
	if n := ts.fs.Stats().OpenBlockBytes; n != 0 {
		t.Fatalf("%d bytes still buffered after FLUSH", n)
	}
	c.close(f)

	g, st := c.create("through", wire.GENERIC_ALL, wire.FILE_CREATE, wire.FILE_WRITE_THROUGH)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if st := c.write(g, 0, data); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if n := ts.fs.Stats().OpenBlockBytes; n != 0 {
		t.Errorf("WRITE on a FILE_WRITE_THROUGH open left %d bytes buffered", n)
	}
	c.close(g)
}

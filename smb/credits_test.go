package smb

import (
	"testing"

	"github.com/dittofs/dittofs/smb/internal/wire"
	. "github.com/dittofs/dittofs/smb/internal/wire/wiretest"
)

var echoBody = Lay(uint16(4), uint16(0))

// TestCreditWindowSkippedMid: MS-SMB2 §3.3.1.1 keeps the window of
// message ids a client may use as a range that starts at the lowest id not
// yet used, and the server bounds its size. A client that skips one id may
// use the ids above it only up to that bound (no credits are granted while
// the skipped id holds the window: here 15 echoes, as smbtorture
// smb2.credits.skipped_mid expects 8191 writes of Windows 2016's 8192);
// the next id is outside the window and ends the connection
// (§3.3.5.2.3). Using the skipped id then frees the whole window, which the
// reply grants again.
func TestCreditWindowSkippedMid(t *testing.T) {
	const max = 16
	ts := startServer(t, func(s *Server) { s.MaxCredits = max })
	for _, useSkipped := range []bool{false, true} {
		c := ts.connect(wire.SMB2_DIALECT_311)
		c.creditReq = 100
		if r := c.call(wire.SMB2_ECHO, echoBody); r.status() != wire.STATUS_SUCCESS {
			t.Fatal(r.status())
		}
		// The window is now [m, m+max): the echo's reply filled it.
		skipped := c.msgID
		c.msgID++
		c.creditReq = 1 // asks for one more with every request, as smbtorture does
		for i := 1; i < max; i++ {
			r := c.call(wire.SMB2_ECHO, echoBody)
			if r.status() != wire.STATUS_SUCCESS {
				t.Fatalf("echo %d above the skipped id: %v", i, r.status())
			}
			if r.h.Credits != 0 {
				t.Fatalf("echo %d above the skipped id granted %d credits: the window would grow past %d", i, r.h.Credits, max)
			}
		}
		if !useSkipped {
			c.sendFrame(c.message(wire.SMB2_ECHO, echoBody, 1))
			if !c.closed() {
				t.Fatalf("message id %d (window starts at the skipped %d, size %d) accepted", skipped+max, skipped, max)
			}
			continue
		}
		next := c.msgID
		c.msgID = skipped
		c.creditReq = 100
		r := c.call(wire.SMB2_ECHO, echoBody)
		if r.status() != wire.STATUS_SUCCESS || r.h.Credits != max {
			t.Fatalf("echo with the skipped id: %v, granted %d, want %d", r.status(), r.h.Credits, max)
		}
		c.msgID = next
		if r := c.call(wire.SMB2_ECHO, echoBody); r.status() != wire.STATUS_SUCCESS {
			t.Fatalf("after the skipped id: %v", r.status())
		}
	}
}

// TestCreditsGranted: with the default window a client asking for many
// credits gets 8192 (what Windows Server 2016 grants and smbtorture
// smb2.credits.session_setup_credits_granted and single_req_credits_granted
// require; MS-SMB2 §3.3.1.2 leaves the number to the server).
func TestCreditsGranted(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	c.creditReq = 65535
	if r := c.call(wire.SMB2_ECHO, echoBody); r.status() != wire.STATUS_SUCCESS {
		t.Fatal(r.status())
	}
	// The window is now [m, m+8192): its last id is usable.
	c.msgID += 8192 - 1
	if r := c.call(wire.SMB2_ECHO, echoBody); r.status() != wire.STATUS_SUCCESS {
		t.Fatalf("last id of a window of 8192: %v", r.status())
	}
}

// TestCompoundChargeBound: however large the window, the messages of one
// frame may charge at most maxCompoundCharge credits together (a bound on
// the memory of one reply); the messages past it get
// STATUS_INSUFFICIENT_RESOURCES and the connection goes on.
func TestCompoundChargeBound(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	c.creditReq = 2000
	c.call(wire.SMB2_ECHO, echoBody)
	c.creditReq = 1
	c.sendFrame(c.message(wire.SMB2_ECHO, echoBody, 200), c.message(wire.SMB2_ECHO, echoBody, 300), c.message(wire.SMB2_ECHO, echoBody, 200))
	rs, err := c.recv()
	if err != nil || len(rs) != 3 {
		t.Fatalf("%d replies, %v", len(rs), err)
	}
	want := []wire.Status{wire.STATUS_SUCCESS, wire.STATUS_SUCCESS, wire.STATUS_INSUFFICIENT_RESOURCES}
	for i, r := range rs {
		if r.status() != want[i] {
			t.Errorf("message %d: %v, want %v", i, r.status(), want[i])
		}
	}
	if r := c.call(wire.SMB2_ECHO, echoBody); r.status() != wire.STATUS_SUCCESS {
		t.Fatalf("after the compound: %v", r.status())
	}
}

package hostile

import (
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/dittofs/dittofs/rpc"
)

// recordTimeout is the short record timeout of TestEmptyFragments; the
// idle timeout stays at its default of minutes, far beyond the test.
const recordTimeout = 100 * time.Millisecond

// TestEmptyFragments: the record timeout bounds a whole record, whatever
// its fragments. RFC 5531 §11 allows fragments of any length, zero
// included, so a peer can keep a record open forever with empty ones;
// the server must close it RecordTimeout after the record began.
func TestEmptyFragments(t *testing.T) {
	s := start(t, func(srv *rpc.Server) { srv.RecordTimeout = recordTimeout })
	cases := []struct {
		name string
		// send writes the hostile bytes, repeatedly, until the
		// connection fails; it is called every 10 ms.
		send func(nc net.Conn, i int) error
	}{
		{"empty fragments forever", func(nc net.Conn, _ int) error {
			_, err := nc.Write([]byte{0, 0, 0, 0})
			return err
		}},
		{"empty fragments after a first one", func(nc net.Conn, i int) error {
			if i == 0 {
				_, err := nc.Write([]byte{0, 0, 0, 4, 0, 0, 0, 1})
				return err
			}
			_, err := nc.Write([]byte{0, 0, 0, 0})
			return err
		}},
		{"one-byte fragments forever", func(nc net.Conn, _ int) error {
			_, err := nc.Write([]byte{0, 0, 0, 1, 0})
			return err
		}},
		{"half a fragment header", func(nc net.Conn, i int) error {
			if i == 0 {
				_, err := nc.Write([]byte{0x80, 0})
				return err
			}
			return nil
		}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			before := s.rpc.Stats().RecordTimeouts
			nc, err := net.Dial("tcp", s.tcp)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			stop := make(chan struct{})
			defer close(stop)
			go func() {
				tick := time.NewTicker(10 * time.Millisecond)
				defer tick.Stop()
				for i := 0; ; i++ {
					if tt.send(nc, i) != nil {
						return
					}
					select {
					case <-tick.C:
					case <-stop:
						return
					}
				}
			}()
			if !waitClosed(nc, 5*time.Second) {
				t.Fatalf("connection still open 5 s into a record, record timeout %v", recordTimeout)
			}
			if got := s.rpc.Stats().RecordTimeouts; got != before+1 {
				t.Errorf("RecordTimeouts went from %d to %d, want one more", before, got)
			}
		})
	}
	t.Run("empty fragments within the timeout are a call", func(t *testing.T) {
		nc, err := net.Dial("tcp", s.tcp)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		msg := callRecord(7, progNFS, 3, procNull, rpc.OpaqueAuth{}, nil)
		var b []byte
		for range 3 {
			b = binary.BigEndian.AppendUint32(b, 0)
		}
		b = binary.BigEndian.AppendUint32(b, uint32(len(msg))|1<<31)
		nc.Write(append(b, msg...))
		nc.SetReadDeadline(time.Now().Add(callDeadline))
		if rep, err := readRecord(nc); err != nil || binary.BigEndian.Uint32(rep) != 7 {
			t.Fatalf("reply %x, %v", rep, err)
		}
	})
	if !s.log.contains("rpc: record not received within the record timeout") {
		t.Error("no log line for the record timeout")
	}
}

package nfs3

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/xdr"
	"github.com/dittofs/dittofs/store/memory"
)

func newBackends() (*memory.Metadata, *memory.Blocks) {
	return memory.NewMetadata(), memory.NewBlocks()
}

// writeCall sends one NFS v3 call record with a chosen xid (RFC 5531 §9,
// §11 record marking), AUTH_SYS uid 1000.
func writeCall(nc net.Conn, xid, proc uint32, args xdr.Marshaler) error {
	var e xdr.Encoder
	e.Uint32(0) // record mark, set below
	e.Uint32(xid)
	e.Uint32(0) // CALL
	e.Uint32(2)
	e.Uint32(NFSProgram)
	e.Uint32(NFSVersion)
	e.Uint32(proc)
	cred := rpc.EncodeAuthSys(1, "raw", 1000, 1000, nil)
	e.Uint32(cred.Flavor)
	e.Opaque(cred.Body)
	e.Uint32(0)
	e.Opaque(nil)
	args.MarshalXDR(&e)
	b := e.Bytes()
	binary.BigEndian.PutUint32(b, uint32(len(b)-4)|1<<31)
	_, err := nc.Write(b)
	return err
}

// readReply reads one reply record and decodes an accepted, successful
// reply's results.
func readReply(nc net.Conn, xid uint32, res xdr.Unmarshaler) error {
	var hdr [4]byte
	if _, err := io.ReadFull(nc, hdr[:]); err != nil {
		return err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n&(1<<31) == 0 || n&^(1<<31) > 1<<20 {
		return errors.New("unexpected fragment")
	}
	b := make([]byte, n&^(1<<31))
	if _, err := io.ReadFull(nc, b); err != nil {
		return err
	}
	d := xdr.NewDecoder(b)
	if got := d.Uint32(); got != xid {
		return fmt.Errorf("xid %d, want %d", got, xid)
	}
	if d.Uint32() != 1 || d.Uint32() != 0 { // REPLY, MSG_ACCEPTED
		return errors.New("not an accepted reply")
	}
	d.Uint32()
	d.Opaque(400)
	if st := d.Uint32(); st != 0 {
		return fmt.Errorf("accept_stat %d", st)
	}
	res.UnmarshalXDR(d)
	return d.Err()
}

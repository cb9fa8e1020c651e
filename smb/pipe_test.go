package smb

import (
	"bytes"
	"encoding/binary"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/dittofs/dittofs/smb/internal/wire"
	. "github.com/dittofs/dittofs/smb/internal/wire/wiretest"
)

// rpcPDU is a DCE/RPC PDU (C706 §12.6.3.1 common header, version 5.0,
// little-endian) with body; bindSrvsvc binds srvsvc v3.0 over NDR 2.0
// (MS-SRVS §1.9, C706 Appendix I); getInfoPDU is NetrShareGetInfo
// (opnum 16) of name at level (MS-SRVS §3.1.4.10).
func rpcPDU(ptype uint8, callID uint32, body []byte) []byte {
	return append(Lay(uint8(5), uint8(0), ptype, uint8(3), []byte{0x10, 0, 0, 0}, uint16(16+len(body)), uint16(0), callID), body...)
}

var bindSrvsvc = rpcPDU(11, 1, Lay(uint16(4280), uint16(4280), uint32(0), uint8(1), uint8(0), uint16(0),
	uint16(0), uint8(1), uint8(0),
	[]byte{0xc8, 0x4f, 0x32, 0x4b, 0x70, 0x16, 0xd3, 0x01, 0x12, 0x78, 0x5a, 0x47, 0xbf, 0x6e, 0xe1, 0x88}, uint16(3), uint16(0),
	[]byte{0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60}, uint32(2)))

func getInfoPDU(name string, level uint32) []byte {
	n := uint32(len(name) + 1)
	s := append(Lay(uint32(0), n, uint32(0), n, UTF16LE(name)), 0, 0)
	for len(s)%4 != 0 {
		s = append(s, 0)
	}
	s = append(s, Lay(level)...)
	return rpcPDU(0, 2, append(Lay(uint32(len(s)), uint16(0), uint16(16)), s...))
}

func transceiveBody(f wire.FileID, in []byte, maxOut uint32) []byte {
	return append(Lay(uint16(57), uint16(0), uint32(wire.FSCTL_PIPE_TRANSCEIVE), fid(f), uint32(120), uint32(len(in)),
		uint32(0), uint32(0), uint32(0), maxOut, uint32(wire.SMB2_0_IOCTL_IS_FSCTL), uint32(0)), in...)
}

// ioctlOutput is the output buffer of an IOCTL response (MS-SMB2 §2.2.32).
func ioctlOutput(r reply) []byte {
	off := int(binary.LittleEndian.Uint32(r.body[32:]))
	n := int(binary.LittleEndian.Uint32(r.body[36:]))
	return r.raw[off : off+n]
}

// TestNamedPipe: on IPC$, CREATE of "srvsvc" opens a pipe (other names
// are STATUS_OBJECT_NAME_NOT_FOUND); WRITE then READ carries a bind and
// its bind_ack; FSCTL_PIPE_TRANSCEIVE carries a request and returns its
// response, cut at MaxOutputResponse with STATUS_BUFFER_OVERFLOW and the
// rest read with READ (a message-mode pipe, MS-SMB2 §3.3.5.12 and
// §3.3.5.15.1); READ of an empty pipe is STATUS_PIPE_EMPTY; file-only
// commands on a pipe are STATUS_INVALID_DEVICE_REQUEST; a PDU that breaks
// the protocol is STATUS_PIPE_DISCONNECTED; CLOSE ends the pipe.
func TestNamedPipe(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	file, _ := c.create("f", wire.GENERIC_READ|wire.GENERIC_WRITE, wire.FILE_CREATE, 0)
	if r := c.call(wire.SMB2_IOCTL, transceiveBody(file, bindSrvsvc, 1024)); r.status() != wire.STATUS_INVALID_DEVICE_REQUEST {
		t.Fatalf("transceive on a file: %v", r.status())
	}
	if st := c.treeConnect("IPC$"); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	for _, name := range []string{"lsarpc", "samr", "srvsvc2", `a\srvsvc`} {
		if _, st := c.create(name, wire.GENERIC_READ|wire.GENERIC_WRITE, wire.FILE_OPEN, 0); st != wire.STATUS_OBJECT_NAME_NOT_FOUND {
			t.Errorf("%s: %v", name, st)
		}
	}
	p, st := c.create("SRVSVC", wire.GENERIC_READ|wire.GENERIC_WRITE, wire.FILE_OPEN, 0)
	if st != wire.STATUS_SUCCESS {
		t.Fatalf("CREATE srvsvc: %v", st)
	}
	if _, st := c.read(p, 0, 1024); st != wire.STATUS_PIPE_EMPTY {
		t.Fatalf("READ of an empty pipe: %v", st)
	}
	if st := c.write(p, 0, bindSrvsvc); st != wire.STATUS_SUCCESS {
		t.Fatalf("WRITE bind: %v", st)
	}
	ack, st := c.read(p, 0, 1024)
	if st != wire.STATUS_SUCCESS || len(ack) < 16 || ack[2] != 12 || int(binary.LittleEndian.Uint16(ack[8:])) != len(ack) {
		t.Fatalf("bind_ack: %v %x", st, ack)
	}
	r := c.call(wire.SMB2_IOCTL, transceiveBody(p, getInfoPDU("export", 1), 30))
	if r.status() != wire.STATUS_BUFFER_OVERFLOW || len(ioctlOutput(r)) != 30 {
		t.Fatalf("short transceive: %v, %d bytes", r.status(), len(ioctlOutput(r)))
	}
	resp := bytes.Clone(ioctlOutput(r))
	rest, st := c.read(p, 0, 1024)
	if st != wire.STATUS_SUCCESS {
		t.Fatalf("READ of the rest: %v", st)
	}
	resp = append(resp, rest...)
	if resp[2] != 2 || int(binary.LittleEndian.Uint16(resp[8:])) != len(resp) || !bytes.Contains(resp, UTF16LE("export")) ||
		!bytes.HasSuffix(resp, Lay(uint32(0))) {
		t.Fatalf("response: %x", resp)
	}
	r = c.call(wire.SMB2_IOCTL, transceiveBody(p, getInfoPDU("nope", 1), 1024))
	if out := ioctlOutput(r); r.status() != wire.STATUS_SUCCESS || !bytes.HasSuffix(out, Lay(uint32(2310))) {
		t.Fatalf("unknown share: %v %x", r.status(), out)
	}
	if r := c.call(wire.SMB2_QUERY_INFO, queryInfoBody(p, wire.SMB2_0_INFO_FILE, wire.FileStandardInformation, 1024)); r.status() != wire.STATUS_INVALID_DEVICE_REQUEST {
		t.Errorf("QUERY_INFO: %v", r.status())
	}
	if r := c.call(wire.SMB2_SET_INFO, setInfoBody(p, wire.FileEndOfFileInformation, Lay(uint64(0)))); r.status() != wire.STATUS_INVALID_DEVICE_REQUEST {
		t.Errorf("SET_INFO: %v", r.status())
	}
	if st := c.write(p, 0, []byte("not a PDU, sixteen bytes or more")); st != wire.STATUS_PIPE_DISCONNECTED {
		t.Fatalf("garbage: %v", st)
	}
	if st := c.write(p, 0, bindSrvsvc); st != wire.STATUS_PIPE_DISCONNECTED {
		t.Fatalf("after garbage: %v", st)
	}
	if st := c.close(p); st != wire.STATUS_SUCCESS {
		t.Fatalf("CLOSE: %v", st)
	}
	if _, st := c.read(p, 0, 10); st != wire.STATUS_FILE_CLOSED {
		t.Fatalf("READ after CLOSE: %v", st)
	}
}

// TestPipeLimit: a session holds at most maxPipesPerSession pipes; past
// it CREATE is STATUS_INSUFFICIENT_RESOURCES until one is closed.
func TestPipeLimit(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	c.treeConnect("IPC$")
	var ids []wire.FileID
	for range maxPipesPerSession {
		p, st := c.create("srvsvc", wire.GENERIC_READ|wire.GENERIC_WRITE, wire.FILE_OPEN, 0)
		if st != wire.STATUS_SUCCESS {
			t.Fatal(st)
		}
		ids = append(ids, p)
	}
	if _, st := c.create("srvsvc", wire.GENERIC_READ|wire.GENERIC_WRITE, wire.FILE_OPEN, 0); st != wire.STATUS_INSUFFICIENT_RESOURCES {
		t.Fatalf("one more: %v", st)
	}
	c.close(ids[0])
	if _, st := c.create("srvsvc", wire.GENERIC_READ|wire.GENERIC_WRITE, wire.FILE_OPEN, 0); st != wire.STATUS_SUCCESS {
		t.Fatalf("after a CLOSE: %v", st)
	}
}

// TestRpcclientShares runs Samba's rpcclient netshareenumall (level 2 by
// default) and netsharegetinfo (levels 502 by default, 1, 1005) against
// the srvsvc pipe (MS-SRVS §3.1.4.8, §3.1.4.10).
func TestRpcclientShares(t *testing.T) {
	if _, err := exec.LookPath("rpcclient"); err != nil {
		t.Skip("rpcclient not installed (apt-get install samba-common-bin)")
	}
	ts := startServer(t)
	_, port, _ := net.SplitHostPort(ts.addr)
	run := func(cmds string) (string, error) {
		cmd := exec.Command("rpcclient", "127.0.0.1", "--port", port, "-U", testUser+"%"+testPassword, "-m", "SMB3", "-c", cmds)
		cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, c := range []struct {
		cmds string
		want []string
	}{
		{"netshareenumall", []string{"netname: export\n", "path:\tC:\\export\n", "netname: ro\n", "netname: IPC$\n\tremark:\tIPC Service\n"}},
		{"netshareenumall 1", []string{"netname: export\n", "netname: IPC$\n\tremark:\tIPC Service\n"}},
		{"netsharegetinfo export", []string{"netname: export\n", "path:\tC:\\export\n", "max_uses:\t-1\n"}},
		{"netsharegetinfo EXPORT 1", []string{"netname: export\n"}},
		{"netsharegetinfo export 1005", []string{"flags: 0x0\n"}},
	} {
		out, err := run(c.cmds)
		if err != nil {
			t.Errorf("%s: %v\n%s", c.cmds, err, out)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: no %q in\n%s", c.cmds, w, out)
			}
		}
	}
	if out, err := run("netsharegetinfo nope"); err == nil || !strings.Contains(out, "WERR_NERR_NETNAMENOTFOUND") {
		t.Errorf("unknown share: %v\n%s", err, out)
	}
}

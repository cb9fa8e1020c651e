package hostile

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/nfs4"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/rpctest"
	"github.com/dittofs/dittofs/rpc/xdr"
	"github.com/dittofs/dittofs/state"
	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

// The NFSv4 client-record flood (issue "Hostile clients", item 1): one
// source making client records as fast as it can must not lock every
// other client out, and records of clients that went away must make room
// for new ones. This file is self-contained; its helpers are prefixed
// "clients".

// NFSv4 numbers the flood uses (RFC 7530 §16, RFC 8881 §18).
const (
	clientsOpSetclientid        = 35
	clientsOpSetclientidConfirm = 36
	clientsOpExchangeID         = 42
	clientsOpCreateSession      = 43

	clientsNFS4OK          = 0
	clientsErrStaleClient  = 10022
	clientsErrResource     = 10018
	clientsErrDelay        = 10008
	clientsLease           = 90 * time.Second
	clientsFloodSize       = 20000
	clientsMaxClients      = 512
	clientsMaxPerAddr      = 64
	clientsFloodWorkers    = 4
	clientsExportsLine     = "/export *(rw,insecure)\n"
	clientsCallbackProgram = 0x40000000
)

// clientsClock is a manual clock for the state table: Now moves only
// with advance, and timers never fire (the table's sweep is not needed:
// admission reclaims what the test needs).
type clientsClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clientsClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clientsClock) AfterFunc(time.Duration, func()) interface{ Stop() bool } {
	return clientsTimer{}
}

func (c *clientsClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type clientsTimer struct{}

func (clientsTimer) Stop() bool { return true }

// clientsServer is an NFSv4 server on 127.0.0.1 with a state table on a
// manual clock.
type clientsServer struct {
	addr  string
	state *state.Table
	clock *clientsClock
}

func clientsStart(t *testing.T) *clientsServer {
	t.Helper()
	ctx := context.Background()
	fsys, err := store.NewFS(memory.NewMetadata(), memory.NewBlocks(), store.Options{RootMode: 0o777})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	exps, err := export.Parse(strings.NewReader(clientsExportsLine))
	if err != nil {
		t.Fatal(err)
	}
	locks, err := locking.Open(ctx, locking.Options{Grace: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { locks.Close() })
	for _, e := range exps {
		e.FS, e.Locks = fsys, locks
	}
	tab, err := export.NewTable(ctx, export.Options{HandleKey: []byte("hostile clients key")}, exps...)
	if err != nil {
		t.Fatal(err)
	}
	clock := &clientsClock{now: time.Unix(1_700_000_000, 0)}
	tbl, err := state.New(ctx, state.Options{Lease: clientsLease, Clock: clock,
		MaxClients: clientsMaxClients, MaxClientsPerAddr: clientsMaxPerAddr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tbl.Close() })
	mux := rpc.NewServeMux()
	(&nfs4.Server{Exports: tab, State: tbl, NoCallbacks: true}).Register(mux)
	return &clientsServer{addr: rpctest.Serve(t, mux).String(), state: tbl, clock: clock}
}

// clientsDial connects to s from local address from (an address of
// 127.0.0.0/8: every one of them is the loopback interface's on Linux)
// with an AUTH_SYS credential.
func (s *clientsServer) clientsDial(t *testing.T, from string) *rpc.Client {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	nc, err := d.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	c := rpc.NewClient(nc)
	c.Cred = rpc.EncodeAuthSys(1, "hostile", 0, 0, nil)
	t.Cleanup(func() { c.Close() })
	return c
}

// clientsArgs is a COMPOUND of one operation whose arguments are
// already encoded.
type clientsArgs struct {
	minor uint32
	op    uint32
	args  []byte
}

func (a *clientsArgs) MarshalXDR(e *xdr.Encoder) {
	e.String("")
	e.Uint32(a.minor)
	e.Uint32(1)
	e.Uint32(a.op)
	e.FixedOpaque(a.args)
}

func (a *clientsArgs) SizeXDR() int { return 16 + len(a.args) }

// clientsRes is the reply of a COMPOUND of one operation: its status and
// the bytes of its result after the status.
type clientsRes struct {
	status uint32
	body   []byte
}

func (r *clientsRes) UnmarshalXDR(d *xdr.Decoder) {
	r.status = d.Uint32()
	d.Opaque(1024) // tag
	if d.Uint32() != 1 {
		d.SetErr(fmt.Errorf("want one result"))
		return
	}
	d.Uint32() // the operation
	r.status = d.Uint32()
	r.body = append([]byte(nil), d.Rest()...)
}

// clientsCall sends one operation.
func clientsCall(c *rpc.Client, minor, op uint32, enc func(e *xdr.Encoder)) (*clientsRes, error) {
	var e xdr.Encoder
	enc(&e)
	var r clientsRes
	err := c.Call(context.Background(), nfs4.NFSProgram, nfs4.NFSVersion, 1, &clientsArgs{minor: minor, op: op, args: e.Bytes()}, &r)
	return &r, err
}

// clientsNew40 makes a 4.0 client named name: SETCLIENTID, then
// SETCLIENTID_CONFIRM. It returns the status of the first that failed.
func clientsNew40(c *rpc.Client, name string) (uint32, error) {
	r, err := clientsCall(c, 0, clientsOpSetclientid, func(e *xdr.Encoder) {
		e.FixedOpaque([]byte("verifier")) // nfs_client_id4.verifier
		e.Opaque([]byte(name))
		e.Uint32(clientsCallbackProgram) // cb_client4
		e.String("tcp")
		e.String("127.0.0.1.0.1")
		e.Uint32(1) // callback_ident
	})
	if err != nil || r.status != clientsNFS4OK {
		return r.status, err
	}
	if len(r.body) < 16 {
		return 0, fmt.Errorf("short SETCLIENTID4resok")
	}
	r, err = clientsCall(c, 0, clientsOpSetclientidConfirm, func(e *xdr.Encoder) { e.FixedOpaque(r.body[:16]) })
	return r.status, err
}

// clientsNew41 makes a 4.1 client named name: EXCHANGE_ID, then
// CREATE_SESSION. It returns the status of the first that failed.
func clientsNew41(c *rpc.Client, name string) (uint32, error) {
	r, err := clientsCall(c, 1, clientsOpExchangeID, func(e *xdr.Encoder) {
		e.FixedOpaque([]byte("verifier")) // client_owner4
		e.Opaque([]byte(name))
		e.Uint32(0) // eia_flags
		e.Uint32(0) // SP4_NONE
		e.Uint32(0) // no eia_client_impl_id
	})
	if err != nil || r.status != clientsNFS4OK {
		return r.status, err
	}
	if len(r.body) < 12 {
		return 0, fmt.Errorf("short EXCHANGE_ID4resok")
	}
	clientid, seq := binary.BigEndian.Uint64(r.body), binary.BigEndian.Uint32(r.body[8:])
	r, err = clientsCall(c, 1, clientsOpCreateSession, func(e *xdr.Encoder) {
		e.Uint64(clientid)
		e.Uint32(seq)
		e.Uint32(0) // csa_flags
		// Fore and back channel_attrs4.
		for range 2 {
			for _, v := range []uint32{0, 8192, 8192, 1024, 8, 1} {
				e.Uint32(v)
			}
			e.Uint32(0) // no rdma_ird
		}
		e.Uint32(clientsCallbackProgram)
		e.Uint32(0) // no csa_sec_parms
	})
	return r.status, err
}

// clientsFlood makes clientsFloodSize clients named prefix+i from one
// connection's source, clientsFloodWorkers at a time, and returns how
// many got in. A client that does not get in must be refused with
// refused (a stale clientid in the second step is a record the
// address's next one pushed out, RFC 7530 §16.34).
func clientsFlood(t *testing.T, c *rpc.Client, prefix string, refused uint32,
	newClient func(*rpc.Client, string) (uint32, error)) int {
	t.Helper()
	var next, ok atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, clientsFloodWorkers)
	for range clientsFloodWorkers {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > clientsFloodSize {
					return
				}
				st, err := newClient(c, fmt.Sprintf("%s%d", prefix, i))
				switch {
				case err != nil:
					errs <- err
					return
				case st == clientsNFS4OK:
					ok.Add(1)
				case st != refused && st != clientsErrStaleClient:
					errs <- fmt.Errorf("client %d: status %d, want %d", i, st, refused)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return int(ok.Load())
}

// TestClientFlood: one source makes 20,000 client records, 4.0
// (SETCLIENTID and SETCLIENTID_CONFIRM) and 4.1 (EXCHANGE_ID and
// CREATE_SESSION). It gets MaxClientsPerAddr of them and is refused the
// rest (NFS4ERR_RESOURCE in 4.0, NFS4ERR_DELAY in 4.1, whose client
// retries), while a client from another address still gets in. Sources
// that together fill the table with live clients lock newcomers out only
// until their leases expire: then each new client takes the place of the
// courtesy client idle longest (RFC 8881 §8.4.3). Before admission by
// address the flood took all 512 records and the client from
// 127.0.0.2 got NFS4ERR_RESOURCE.
func TestClientFlood(t *testing.T) {
	s := clientsStart(t)
	other := s.clientsDial(t, "127.0.0.2")
	var flooder *rpc.Client
	for _, v := range []struct {
		minor     uint32
		from      string
		refused   uint32
		newClient func(*rpc.Client, string) (uint32, error)
	}{
		{0, "127.0.0.1", clientsErrResource, clientsNew40},
		{1, "127.0.0.3", clientsErrDelay, clientsNew41},
	} {
		c := s.clientsDial(t, v.from)
		if flooder == nil {
			flooder = c
		}
		// Confirmed records are never pushed out by the address's own
		// newer ones, so exactly the cap's worth get in.
		if n := clientsFlood(t, c, fmt.Sprintf("flood 4.%d ", v.minor), v.refused, v.newClient); n != clientsMaxPerAddr {
			t.Errorf("4.%d flood: %d clients got in, want %d", v.minor, n, clientsMaxPerAddr)
		}
		if st, err := v.newClient(other, fmt.Sprintf("other 4.%d", v.minor)); err != nil || st != clientsNFS4OK {
			t.Fatalf("4.%d client from another address during the flood: status %d, %v", v.minor, st, err)
		}
	}
	st := s.state.Stats()
	if st.Clients > 2*clientsMaxPerAddr+2 || st.RefusedAddr == 0 {
		t.Errorf("after the floods: %+v, want at most %d records and refusals counted", st, 2*clientsMaxPerAddr+2)
	}

	// Fill the rest of the table with live clients from other
	// addresses; then a newcomer is refused...
	filled := 0
	for a := 10; s.state.Stats().Clients < clientsMaxClients; a++ {
		c := s.clientsDial(t, fmt.Sprintf("127.0.0.%d", a))
		for i := range clientsMaxPerAddr {
			if st, err := clientsNew40(c, fmt.Sprintf("fill %d %d", a, i)); err != nil || st != clientsNFS4OK {
				t.Fatalf("filling the table: status %d, %v", st, err)
			}
			if filled++; s.state.Stats().Clients == clientsMaxClients {
				break
			}
		}
	}
	late := s.clientsDial(t, "127.0.0.200")
	if st, err := clientsNew40(late, "late"); err != nil || st != clientsErrResource {
		t.Errorf("client of a table full of live clients: status %d, %v, want NFS4ERR_RESOURCE", st, err)
	}
	// ...until their leases expire: courtesy clients make room, for the
	// newcomer and for the flooding address's next client alike.
	s.clock.advance(clientsLease + time.Second)
	for i, c := range []*rpc.Client{late, flooder} {
		for j, newClient := range []func(*rpc.Client, string) (uint32, error){clientsNew40, clientsNew41} {
			name := fmt.Sprintf("after the lease %d %d", i, j)
			if st, err := newClient(c, name); err != nil || st != clientsNFS4OK {
				t.Errorf("new client after the leases expired: status %d, %v", st, err)
			}
		}
	}
	if st := s.state.Stats(); st.EvictedCourtesy < 4 || st.Clients > clientsMaxClients {
		t.Errorf("after the leases: %+v, want 4 courtesy clients evicted, at most %d records", st, clientsMaxClients)
	}
	t.Logf("filled with %d clients; stats %+v", filled, s.state.Stats())
}

package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/xdr"
)

// fuzzServer is the whole reference server (memory stores, NFSv3, MOUNT,
// NLM, NSM and NFSv4 on one port), started once per fuzzing process.
var fuzzServer struct {
	once sync.Once
	addr string
	err  error
}

// fuzzPrograms are the (program, version) pairs a fuzz call may go to; a
// selector byte picks one, and the next byte the procedure.
var fuzzPrograms = [...][2]uint32{
	{progNFS, 3}, {progNFS, 4}, {progMount, 3}, {progNLM, 4}, {progNLM, 1},
	{progNSM, 1}, {progNFS, 2}, {100000, 2}, {progNFS, 3}, {progNFS, 4},
}

// fuzzCreds are the credentials a fuzz call may carry.
var fuzzCreds = [...]rpc.OpaqueAuth{
	rpc.EncodeAuthSys(1, "fuzz", 0, 0, nil),
	rpc.EncodeAuthSys(2, "fuzz", 1000, 1000, []uint32{50}),
	{Flavor: rpc.AUTH_NONE},
	rpc.EncodeAuthSys(3, "fuzz", 65534, 65534, nil),
}

// fuzzCall is one call of a fuzz input: the program, version and
// procedure chosen by sel and proc, the credential by cred, and raw XDR
// arguments; with raw set, args is sent as the whole record instead (a
// garbage record).
type fuzzCall struct {
	sel, proc, cred uint8
	raw             bool
	args            []byte
}

// parseFuzzInput splits data into calls: each is a 4-byte head (selector,
// procedure, flags, argument length in 4-byte words) and its arguments.
func parseFuzzInput(data []byte) []fuzzCall {
	var calls []fuzzCall
	for len(data) >= 4 && len(calls) < 64 {
		c := fuzzCall{sel: data[0], proc: data[1], cred: data[2] & 3, raw: data[2]&0x80 != 0}
		n := min(int(data[3])*4, len(data)-4)
		c.args = data[4 : 4+n]
		data = data[4+n:]
		calls = append(calls, c)
	}
	return calls
}

// encodeFuzzInput is the inverse of parseFuzzInput, for seeds.
func encodeFuzzInput(calls ...fuzzCall) []byte {
	var b []byte
	for _, c := range calls {
		args := c.args
		if pad := len(args) % 4; pad != 0 {
			args = append(args[:len(args):len(args)], make([]byte, 4-pad)...)
		}
		flags := c.cred
		if c.raw {
			flags |= 0x80
		}
		b = append(b, c.sel, c.proc, flags, byte(len(args)/4))
		b = append(b, args...)
	}
	return b
}

// record frames body as one last fragment.
func record(body []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, 0x80000000|uint32(len(body))), body...)
}

// callBody is an RPC call message.
func callBody(xid, prog, vers, proc uint32, cred rpc.OpaqueAuth, args []byte) []byte {
	var e xdr.Encoder
	e.Uint32(xid)
	e.Uint32(0) // CALL
	e.Uint32(2) // RPC version
	e.Uint32(prog)
	e.Uint32(vers)
	e.Uint32(proc)
	e.Uint32(cred.Flavor)
	e.Opaque(cred.Body)
	e.Uint32(rpc.AUTH_NONE)
	e.Opaque(nil)
	return append(e.Bytes(), args...)
}

// Seed arguments, hand-encoded.
func xdrArgs(f func(e *xdr.Encoder)) []byte {
	var e xdr.Encoder
	f(&e)
	return append([]byte(nil), e.Bytes()...)
}

// FuzzServer sends random sequences of RPC calls, pipelined over one TCP
// connection that lives across inputs, to the whole reference server:
// NFSv3, MOUNT, NLM, NSM and NFSv4 (4.0 and 4.1 COMPOUNDs) over memory
// stores, with the credentials of root, a user, AUTH_NONE and nobody, and
// garbage records between them. After each input it checks that the server
// still answers a NULL call on the connection (unless it closed the
// connection, which is its right after a garbage record; the next input
// dials again), and, every 4,096 inputs, that the live heap stays bounded.
// State accumulates across inputs, as on a real server. Run it with
// `go test -run '^$' -fuzz FuzzServer ./examples/fullserver`
// (docs/fullserver.md has the figures of a 10-million-input run).
func FuzzServer(f *testing.F) {
	mntArgs := xdrArgs(func(e *xdr.Encoder) { e.String("/export") })
	compound := func(minor uint32, ops ...uint32) []byte {
		return xdrArgs(func(e *xdr.Encoder) {
			e.String("fuzz")
			e.Uint32(minor)
			e.Uint32(uint32(len(ops)))
			for _, op := range ops {
				e.Uint32(op)
			}
		})
	}
	exchangeID := xdrArgs(func(e *xdr.Encoder) {
		e.String("fuzz")
		e.Uint32(1)
		e.Uint32(1)
		e.Uint32(42) // OP_EXCHANGE_ID
		e.FixedOpaque(make([]byte, 8))
		e.String("fuzz client")
		e.Uint32(0) // flags
		e.Uint32(0) // SP4_NONE
		e.Uint32(0) // no impl id
	})
	setclientid := xdrArgs(func(e *xdr.Encoder) {
		e.String("fuzz")
		e.Uint32(0)
		e.Uint32(1)
		e.Uint32(35) // OP_SETCLIENTID
		e.FixedOpaque(make([]byte, 8))
		e.String("fuzz client 4.0")
		e.Uint32(0x40000000)
		e.String("tcp")
		e.String("127.0.0.1.0.1")
		e.Uint32(1)
	})
	nsmStat := xdrArgs(func(e *xdr.Encoder) { e.String("localhost") })
	seeds := [][]fuzzCall{
		{{sel: 2, proc: 1, args: mntArgs}, {sel: 0, proc: 1, args: make([]byte, 8)}},
		{{sel: 1, proc: 1, args: compound(0, 24, 10, 9)}},              // PUTROOTFH GETFH GETATTR
		{{sel: 1, proc: 1, args: compound(1, 24, 10)}},                 // 4.1 without SEQUENCE
		{{sel: 1, proc: 1, args: exchangeID}},                          // EXCHANGE_ID
		{{sel: 1, proc: 1, args: setclientid}},                         // SETCLIENTID
		{{sel: 3, proc: 0}, {sel: 3, proc: 2, args: make([]byte, 64)}}, // NLM NULL, LOCK
		{{sel: 5, proc: 1, args: nsmStat}},                             // SM_STAT
		{{sel: 0, proc: 9, args: make([]byte, 40)}, {raw: true, args: []byte("garbage!")}},
		{{sel: 2, proc: 1, cred: 2, args: mntArgs}, {sel: 0, proc: 8, cred: 1, args: make([]byte, 64)}},
	}
	for _, s := range seeds {
		f.Add(encodeFuzzInput(s...))
	}
	execs := 0
	var fc *fuzzConn
	f.Fuzz(func(t *testing.T, data []byte) {
		addr := startFuzzServer(t)
		calls := parseFuzzInput(data)
		// One connection carries input after input, as a client's
		// would; a new one only when the server closed the last.
		if fc == nil {
			fc = dialFuzz(t, addr)
		}
		closed, err := fc.send(calls)
		if closed {
			fc.nc.Close()
			fc = nil
		}
		if err != nil {
			t.Fatal(err)
		}
		if execs++; execs%4096 == 0 {
			// The live heap, after a collection: what the server
			// keeps, plus the fuzzing engine's own 100 MiB.
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if fuzzStats != nil {
				fmt.Fprintf(fuzzStats, "%s inputs %d live heap %d MiB goroutines %d\n",
					time.Now().Format(time.TimeOnly), execs, ms.HeapAlloc>>20, runtime.NumGoroutine())
			}
			if n := runtime.NumGoroutine(); fuzzStats != nil && n > 1000 && !fuzzDumped {
				fuzzDumped = true
				fmt.Fprintf(fuzzStats, "%d goroutines: %s; %s\n", n, dumpGoroutines(), dumpFuzzHeap())
			}
			if ms.HeapAlloc > fuzzHeapLimit() {
				t.Fatalf("live heap %d MiB after %d inputs, %d goroutines; %s", ms.HeapAlloc>>20, execs, runtime.NumGoroutine(), dumpFuzzHeap())
			}
		}
	})
}

// dialFuzz connects to the fuzzed server.
func dialFuzz(t *testing.T, addr string) *fuzzConn {
	nc, err := net.DialTimeout("tcp", addr, 20*time.Second)
	if err != nil {
		t.Fatalf("the server stopped accepting: %v", err)
	}
	return &fuzzConn{nc: nc, r: bufio.NewReader(nc), w: bufio.NewWriter(nc)}
}

// fuzzConn is the fuzzing client's connection to the server.
type fuzzConn struct {
	nc  net.Conn
	r   *bufio.Reader
	w   *bufio.Writer
	xid uint32
}

// send sends calls, pipelined, then a NULL, and reads replies until the
// NULL's. It reports whether the connection is closed (the server may
// close it after a garbage record: its right) and, as an error, a server
// that stopped reading or answering. The 8 s deadline bounds a hung
// server; it is no timing assertion, as a live server answers a NULL in
// microseconds. It is under the fuzzing engine's own 10 s bound on one
// input, past which the worker dies without saying why; here the
// goroutines are dumped first.
func (fc *fuzzConn) send(calls []fuzzCall) (closed bool, err error) {
	fc.nc.SetDeadline(time.Now().Add(8 * time.Second))
	for _, c := range calls {
		if c.raw {
			fc.w.Write(record(c.args))
			continue
		}
		fc.xid++
		p := fuzzPrograms[int(c.sel)%len(fuzzPrograms)]
		fc.w.Write(record(callBody(fc.xid, p[0], p[1], uint32(c.proc%48), fuzzCreds[c.cred], c.args)))
	}
	fc.xid++
	nullXID := fc.xid | 1<<31
	fc.w.Write(record(callBody(nullXID, progNFS, 3, 0, fuzzCreds[0], nil)))
	var ne net.Error
	if err := fc.w.Flush(); err != nil {
		if errors.As(err, &ne) && ne.Timeout() {
			return true, errors.New("the server stopped reading; " + dumpGoroutines())
		}
		return true, nil
	}
	for {
		body, err := readRecord(fc.r)
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			return true, errors.New("the server stopped answering: no reply to NULL; " + dumpGoroutines())
		case err != nil:
			return true, nil
		}
		if len(body) >= 4 && binary.BigEndian.Uint32(body) == nullXID {
			return false, nil
		}
	}
}

// readRecord reads one whole record (all its fragments), bounded.
func readRecord(r *bufio.Reader) ([]byte, error) {
	var body []byte
	for {
		var h [4]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return nil, err
		}
		v := binary.BigEndian.Uint32(h[:])
		n := int(v & 0x7fffffff)
		if len(body)+n > 4<<20 {
			return nil, errors.New("reply record too large")
		}
		frag := make([]byte, n)
		if _, err := io.ReadFull(r, frag); err != nil {
			return nil, err
		}
		body = append(body, frag...)
		if v&0x80000000 != 0 {
			return body, nil
		}
	}
}

// startFuzzServer starts the reference server on 127.0.0.1 once per
// process; it runs until the process exits.
func startFuzzServer(t *testing.T) string {
	fuzzServer.once.Do(func() {
		cfg := defaultConfig()
		cfg.Memory = true
		cfg.NoRootSquash = true
		// What the inputs may store is bounded as an operator would
		// bound it, so that the heap check finds leaks, not files.
		cfg.Capacity = 64 << 20
		cfg.MaxFiles = 100_000
		cfg.MaxLocks = 100_000
		cfg.NFSAddr = "127.0.0.1:0"
		cfg.PortmapAddr = "off"
		cfg.LogLevel = "error"
		readyc := make(chan []listener, 1)
		errc := make(chan error, 1)
		go func() {
			errc <- run(context.Background(), cfg, cfg.logger(io.Discard), func(l []listener) { readyc <- l })
		}()
		select {
		case ls := <-readyc:
			for _, l := range ls {
				if l.Name == "nfs" && l.Network == "tcp" {
					fuzzServer.addr = l.Addr.String()
				}
			}
		case err := <-errc:
			fuzzServer.err = err
		}
	})
	if fuzzServer.err != nil {
		t.Fatal(fuzzServer.err)
	}
	if fuzzServer.addr == "" {
		t.Fatal("no NFS TCP listener")
	}
	return fuzzServer.addr
}

// fuzzStats, when FUZZ_STATS is a file name, gets a line of the live heap
// and the goroutine count at every heap check, to see a growth as it
// happens.
var fuzzStats = func() *os.File {
	name := os.Getenv("FUZZ_STATS")
	if name == "" {
		return nil
	}
	f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil
	}
	return f
}()

// fuzzDumped is set once the goroutines were dumped for FUZZ_STATS.
var fuzzDumped bool

// fuzzHeapLimit is the heap FuzzServer allows: 1 GiB, or
// FUZZ_HEAP_LIMIT_MIB mebibytes (to find a growth sooner).
func fuzzHeapLimit() uint64 {
	if v, err := strconv.ParseUint(os.Getenv("FUZZ_HEAP_LIMIT_MIB"), 10, 32); err == nil && v > 0 {
		return v << 20
	}
	return 1 << 30
}

// dumpFuzzHeap writes a heap profile next to the fuzz cache, so that a
// heap past the limit can be told from what the inputs stored, and says
// where.
func dumpFuzzHeap() string {
	runtime.GC()
	f, err := os.CreateTemp("", "fuzzserver-heap-*.pprof")
	if err != nil {
		return "no heap profile: " + err.Error()
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		return "no heap profile: " + err.Error()
	}
	return "heap profile in " + f.Name()
}

// dumpGoroutines writes every goroutine's stack to a temporary file, to
// show what a server that stopped answering was doing, and says where.
func dumpGoroutines() string {
	f, err := os.CreateTemp("", "fuzzserver-goroutines-*.txt")
	if err != nil {
		return "no goroutine dump: " + err.Error()
	}
	defer f.Close()
	pprof.Lookup("goroutine").WriteTo(f, 1)
	return "goroutines in " + f.Name()
}

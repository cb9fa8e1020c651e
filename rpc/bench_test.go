package rpc

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
)

func benchServer(b *testing.B) string {
	srv := &Server{Handler: testMux(nil)}
	tcp, _ := testServer(b, srv)
	return tcp
}

// BenchmarkServeNull measures the server's call path without the network:
// header decode, AUTH_SYS, dispatch and reply encoding.
func BenchmarkServeNull(b *testing.B) {
	srv := &Server{Handler: testMux(nil)}
	srv.init()
	rec := callRecord(1, testProg, testVers, 0, EncodeAuthSys(1, "client", 1000, 1000, []uint32{1, 2, 3}), nil)
	addr := netip.MustParseAddr("127.0.0.1")
	conn := &Conn{}
	b.ReportAllocs()
	for b.Loop() {
		r := srv.getRequest()
		bp := srv.bufs.get(len(rec))
		copy(*bp, rec)
		r.buf = bp
		r.call.conn = conn
		if !srv.handle(context.Background(), r, addr) {
			b.Fatal("no reply")
		}
		r.segs = r.w.segments(r.segs[:0])
		srv.putRequest(r)
	}
}

// BenchmarkNullRoundTrip measures NULL calls over loopback with the Client:
// callers concurrent callers on conns connections.
func BenchmarkNullRoundTrip(b *testing.B) {
	for _, bc := range []struct {
		name           string
		conns, callers int
	}{{"1conn-1caller", 1, 1}, {"1conn-64callers", 1, 64}, {"16conns-64callers", 16, 64}} {
		b.Run(bc.name, func(b *testing.B) {
			tcp := benchServer(b)
			clients := make([]*Client, bc.conns)
			for i := range clients {
				clients[i] = dial(b, "tcp", tcp)
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			var wg sync.WaitGroup
			per := b.N / bc.callers
			start := time.Now()
			for i := range bc.callers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := clients[i%bc.conns]
					n := per
					if i == 0 {
						n += b.N % bc.callers
					}
					for range n {
						if err := c.Call(ctx, testProg, testVers, 0, nil, nil); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
		})
	}
}

// BenchmarkNullPipelinedRaw writes batches of 64 pre-encoded NULL calls on
// one connection and reads the 64 replies, so that allocs/op counts the
// server's allocations on the wire path (the raw client allocates nothing).
func BenchmarkNullPipelinedRaw(b *testing.B) { benchNullRaw(b, 64) }

// BenchmarkNullDepth1Raw sends one pre-encoded NULL call at a time on one
// connection and reads its reply before sending the next (queue depth 1),
// so that ns/op is the server's round-trip latency over loopback and
// allocs/op its allocations: the raw client allocates nothing, unlike
// Client, whose channel and goroutine hand-off per call bound
// NullRoundTrip.
func BenchmarkNullDepth1Raw(b *testing.B) { benchNullRaw(b, 1) }

// benchNullRaw writes batch NULL calls at once on one connection and reads
// their replies, b.N times, with a client that allocates nothing; it
// reports calls/s and cpu-ns/call, the process's CPU time (user and
// system, client and server together) per call.
func benchNullRaw(b *testing.B, batch int) {
	tcp := benchServer(b)
	nc, err := net.Dial("tcp", tcp)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	var out []byte
	for i := range batch {
		rec := callRecord(uint32(i), testProg, testVers, 0, EncodeAuthSys(1, "client", 1000, 1000, []uint32{1, 2}), nil)
		out = binary.BigEndian.AppendUint32(out, uint32(len(rec))|lastFragment)
		out = append(out, rec...)
	}
	rr := recordReader{r: bufioReader(nc), max: 1 << 20, bufs: &buffers{}}
	b.ReportAllocs()
	start, cpu := time.Now(), processCPU()
	calls := 0
	for b.Loop() {
		if _, err := nc.Write(out); err != nil {
			b.Fatal(err)
		}
		for range batch {
			bp, err := rr.read(nil)
			if err != nil {
				b.Fatal(err)
			}
			rr.bufs.put(bp)
		}
		calls += batch
	}
	b.ReportMetric(float64(calls)/time.Since(start).Seconds(), "calls/s")
	b.ReportMetric(float64(processCPU()-cpu)/float64(calls), "cpu-ns/call")
}

// BenchmarkRead1MiBReply measures a 1 MiB zero-copy payload reply end to
// end over loopback.
func BenchmarkRead1MiBReply(b *testing.B) {
	tcp := benchServer(b)
	c := dial(b, "tcp", tcp)
	ctx := context.Background()
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Call(ctx, testProg, testVers, 4, u32(1<<20), nil); err != nil {
			b.Fatal(err)
		}
	}
}

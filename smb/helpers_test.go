package smb

import (
	"context"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

const (
	testUser     = "alice"
	testPassword = "Passw0rd!"
)

type testServer struct {
	t    testing.TB
	fs   *store.FS
	tab  *export.Table
	srv  *Server
	addr string
}

// startServer serves the export "/export" of a memory store on
// 127.0.0.1, with the user alice (uid/gid 1000), adjusted by opts.
func startServer(t testing.TB, opts ...func(*Server)) *testServer {
	t.Helper()
	return startServerOn(t, nil, opts...)
}

// startServerOn is startServer serving through wrap(listener) when wrap
// is not nil.
func startServerOn(t testing.TB, wrap func(net.Listener) net.Listener, opts ...func(*Server)) *testServer {
	t.Helper()
	fsys, err := store.NewFS(memory.NewMetadata(), memory.NewBlocks(), store.Options{RootMode: 0o777})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	exps, err := export.Parse(strings.NewReader("/export *(rw,insecure)\n/ro *(ro,insecure)\n"))
	if err != nil {
		t.Fatal(err)
	}
	locks, err := locking.Open(context.Background(), locking.Options{Grace: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { locks.Close() })
	for _, e := range exps {
		e.FS, e.Locks = fsys, locks
	}
	tab, err := export.NewTable(context.Background(), export.Options{HandleKey: []byte("test key")}, exps...)
	if err != nil {
		t.Fatal(err)
	}
	srv := &Server{
		Exports: tab,
		Users:   UserTable{{Name: testUser, NTHash: NTHash(testPassword), UID: 1000, GID: 1000}},
		Logger:  slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
	for _, o := range opts {
		o(srv)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if wrap != nil {
		l = wrap(l)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; err != ErrServerClosed {
			t.Errorf("Serve: %v", err)
		}
	})
	return &testServer{t: t, fs: fsys, tab: tab, srv: srv, addr: l.Addr().String()}
}

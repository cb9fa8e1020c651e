package rpc

import "testing"

// connEvents is a Metrics that reports each closed connection.
type connEvents struct{ closed chan struct{} }

func (m connEvents) CallDone(CallStat) {}
func (m connEvents) ConnChange(d int) {
	if d < 0 {
		m.closed <- struct{}{}
	}
}

// TestCloseConns closes the connections of a server: the count returned
// is the number of clients connected, each of them sees its connection
// end, and the server still accepts new connections afterwards.
func TestCloseConns(t *testing.T) {
	tests := []struct {
		name    string
		clients int
	}{
		{"none", 0},
		{"one", 1},
		{"three", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			met := connEvents{closed: make(chan struct{}, 16)}
			srv := &Server{Handler: testMux(nil), Metrics: met}
			tcp, _ := testServer(t, srv)
			ctx := ctxT(t)
			var clients []*Client
			for range tt.clients {
				c := dial(t, "tcp", tcp)
				// A call answered means the server tracks the connection.
				if err := c.Call(ctx, testProg, testVers, 0, nil, nil); err != nil {
					t.Fatal(err)
				}
				clients = append(clients, c)
			}
			if n := srv.CloseConns(); n != tt.clients {
				t.Fatalf("CloseConns closed %d connections, want %d", n, tt.clients)
			}
			for range tt.clients {
				select {
				case <-met.closed:
				case <-ctx.Done():
					t.Fatal("a closed connection was never reported closed")
				}
			}
			for i, c := range clients {
				if err := c.Call(ctx, testProg, testVers, 0, nil, nil); err == nil {
					t.Errorf("client %d: a call succeeded on a closed connection", i)
				}
			}
			if n := srv.CloseConns(); n != 0 {
				t.Errorf("a second CloseConns closed %d connections", n)
			}
			c := dial(t, "tcp", tcp)
			if err := c.Call(ctx, testProg, testVers, 0, nil, nil); err != nil {
				t.Errorf("a new connection after CloseConns: %v", err)
			}
			select {
			case <-met.closed:
				t.Error("a connection closed that CloseConns did not close")
			default:
			}
		})
	}
}

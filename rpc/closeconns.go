package rpc

// CloseConns closes every open TCP connection of the server at once and
// returns how many it closed; the listeners stay open, so the clients can
// connect again. Calls in flight on those connections see their context
// end and their replies are lost, as when the network fails. Tests use it
// to make clients recover a lost connection (NFSv4.1 sessions survive
// it, RFC 8881 §2.10.6.1; their calls are retried on a new connection).
func (srv *Server) CloseConns() int {
	srv.init()
	srv.mu.Lock()
	defer srv.mu.Unlock()
	for c := range srv.conns {
		c.nc.Close()
	}
	return len(srv.conns)
}

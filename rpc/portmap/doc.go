// Package portmap is an embedded portmapper (program 100000 version 2)
// and rpcbind (versions 3 and 4), RFC 1833, and a client for registering
// with the host's rpcbind.
//
// A Server holds the registration table and is an rpc.Handler for program
// 100000; serve it with the programs it describes, usually on port 111
// over TCP and UDP:
//
//	pm := &portmap.Server{}
//	mux := rpc.NewServeMux()
//	pm.Register(mux)
//	(&nfs3.Server{…}).Register(mux)
//	srv := &rpc.Server{Handler: mux}
//	go srv.Serve(tcpListener)     // 127.0.0.1:111, :111, …
//	go srv.ServePacket(udpConn)
//	pm.Advertise(mux, 111, portmap.TCP, portmap.UDP)
//
// When the host already runs rpcbind, announce the programs to it instead
// with RegisterSystem, which reports ErrNoRPCBind when none is running.
//
// Remote calls (CALLIT, BCAST, INDIRECT) are refused, SET and UNSET are
// accepted only from the local host; see Server.
package portmap

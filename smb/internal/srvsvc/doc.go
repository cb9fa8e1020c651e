// Package srvsvc serves the srvsvc interface (MS-SRVS) over a
// connection-oriented DCE/RPC named pipe (MS-RPCE §2.2.2, C706 §12):
// bind and alter_context to srvsvc v3.0 with the NDR 2.0 transfer syntax,
// fragmented requests and responses, fault PDUs, and the two calls a
// share listing needs, NetrShareEnum (opnum 15) and NetrShareGetInfo
// (opnum 16).
//
// A Pipe is one open of \PIPE\srvsvc: the SMB server writes what the
// client writes (SMB2 WRITE, FSCTL_PIPE_TRANSCEIVE) and reads the
// queued reply fragments (SMB2 READ, the transceive's output). Every
// buffer is bounded before anything is allocated for it.
package srvsvc

package nfs3

import "github.com/dittofs/dittofs/rpc/xdr"

type xdrEncoder = xdr.Encoder

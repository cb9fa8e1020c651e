package rpc

import (
	"bufio"
	"io"
	"net/netip"
)

func bufioReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

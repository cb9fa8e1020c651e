package srvsvc

import (
	"encoding/binary"
	"errors"
)

// Bounds of one pipe.
const (
	// MaxRequest bounds the reassembled stub data of one request;
	// srvsvc requests are a few hundred bytes.
	MaxRequest = 64 << 10
	// MaxPending bounds the reply bytes queued and not yet read: a
	// client that writes without reading is refused past it.
	MaxPending = 256 << 10
)

// ErrBusy is a write refused because MaxPending bytes of replies wait to
// be read: before anything is served it leaves the pipe as it was; in
// the middle of a write's fragments it breaks the pipe.
var ErrBusy = errors.New("srvsvc: too many reply bytes pending")

// Pipe is one open of the srvsvc named pipe: a DCE/RPC association.
// It is not safe for concurrent use (an SMB connection serves its
// requests one at a time).
type Pipe struct {
	shares  func() []Share
	assoc   uint32
	bound   map[uint16]bool // accepted presentation contexts
	maxXmit int             // largest fragment sent
	maxRecv int             // largest fragment received
	in      []byte          // a fragment not yet complete
	out     [][]byte        // reply fragments, read one message at a time
	pending int
	call    *requestBody // the request being reassembled
	callID  uint32
	broken  bool
}

// NewPipe opens a pipe whose calls list the shares shares returns (it is
// called per request, so the listing follows the export table). assoc is
// the association group id handed to a client that asks for a new one.
func NewPipe(assoc uint32, shares func() []Share) *Pipe {
	return &Pipe{shares: shares, assoc: assoc, bound: map[uint16]bool{}, maxXmit: maxFrag, maxRecv: maxFrag}
}

// Write takes bytes the client wrote to the pipe: whole or partial
// fragments. Complete fragments are served at once and their replies
// queued. An error breaks the pipe: errProtocol-like errors for PDUs
// that violate the protocol, ErrBusy when too much waits to be read.
func (p *Pipe) Write(b []byte) error {
	if p.broken {
		return errProtocol
	}
	if p.pending > MaxPending {
		return ErrBusy
	}
	data := b
	if len(p.in) > 0 {
		data = append(p.in, b...) // p.in is less than one fragment
	}
	for len(data) >= headerSize {
		h := parseHeader(data)
		if !h.versions || !h.drepLE || int(h.fragLen) < headerSize || int(h.fragLen) > p.maxRecv {
			p.broken = true
			return errProtocol
		}
		if len(data) < int(h.fragLen) {
			break
		}
		if p.pending > MaxPending {
			// One write may hold many requests: stop before their
			// replies outgrow the bound.
			p.broken = true
			return ErrBusy
		}
		if err := p.serve(data[:h.fragLen], h); err != nil {
			p.broken = true
			return err
		}
		data = data[h.fragLen:]
	}
	p.in = append(p.in[:0:0], data...)
	return nil
}

// Read returns the next reply message, at most max bytes of it; more
// says the message goes on (the caller answers STATUS_BUFFER_OVERFLOW
// and the rest is read next). Nothing queued is a nil slice.
func (p *Pipe) Read(max int) (b []byte, more bool) {
	if len(p.out) == 0 || max <= 0 {
		return nil, len(p.out) > 0
	}
	f := p.out[0]
	if len(f) > max {
		p.out[0] = f[max:]
		p.pending -= max
		return f[:max], true
	}
	p.out = p.out[1:]
	p.pending -= len(f)
	return f, false
}

// Pending reports the reply bytes not yet read.
func (p *Pipe) Pending() int { return p.pending }

func (p *Pipe) queue(f []byte) {
	p.out = append(p.out, f)
	p.pending += len(f)
}

// serve handles one fragment.
func (p *Pipe) serve(pdu []byte, h header) error {
	switch h.ptype {
	case ptBind, ptAlterContext:
		return p.bind(pdu, h)
	case ptRequest:
		return p.request(pdu, h)
	case ptCoCancel, ptOrphaned:
		p.call = nil // nothing runs long enough to cancel
		return nil
	}
	return errProtocol // auth3 (no authentication is bound), shutdown, server PDUs
}

// bind answers a bind or alter_context (C706 §12.6.4.3-4, MS-RPCE
// §3.3.1.5.2): srvsvc v3.0 with NDR 2.0 is accepted, any other transfer
// syntax (NDR64) provider-rejected, another interface too; bind time
// feature negotiation is acknowledged with no feature.
func (p *Pipe) bind(pdu []byte, h header) error {
	alter := h.ptype == ptAlterContext
	if h.flags&(pfcFirstFrag|pfcLastFrag) != pfcFirstFrag|pfcLastFrag {
		return errProtocol // a bind fits in one fragment
	}
	bb, err := parseBind(pdu)
	if err != nil {
		if alter {
			return err
		}
		// MS-RPCE §2.2.2.5: a protocol error in a bind.
		p.queue(bindNak(h.callID, rejectProtocolError))
		return nil
	}
	if !alter {
		if h.authLen > 0 {
			p.queue(bindNak(h.callID, rejectAuthTypeNotRecognzed))
			return nil
		}
		if int(bb.maxXmit) < mustRecvFragSize || int(bb.maxRecv) < mustRecvFragSize {
			p.queue(bindNak(h.callID, rejectNotSpecified))
			return nil
		}
		p.maxXmit = min(int(bb.maxRecv), maxFrag)
		p.maxRecv = min(int(bb.maxXmit), maxFrag)
		if bb.assocGroup != 0 {
			p.assoc = bb.assocGroup
		}
	} else if h.authLen > 0 {
		return errProtocol
	}
	ptype := byte(ptBindAck)
	if alter {
		ptype = ptAlterResp
	}
	b := appendHeader(nil, ptype, pfcFirstFrag|pfcLastFrag, h.callID)
	b = binary.LittleEndian.AppendUint16(b, uint16(p.maxXmit))
	b = binary.LittleEndian.AppendUint16(b, uint16(p.maxRecv))
	b = binary.LittleEndian.AppendUint32(b, p.assoc)
	// sec_addr: the pipe's name in a bind_ack, empty in an
	// alter_context_resp (C706 §12.6.4.4), then padding to 4.
	if alter {
		b = append(b, 0, 0)
	} else {
		b = binary.LittleEndian.AppendUint16(b, 13)
		b = append(b, "\\PIPE\\srvsvc\x00"...)
	}
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	b = append(b, byte(len(bb.contexts)), 0, 0, 0)
	for _, ce := range bb.contexts {
		result, reason, syntax := uint16(resultProviderRej), uint16(reasonTransferNotSupported), syntaxID{}
		if ce.abstract != srvsvcSyntax {
			reason = reasonAbstractNotSupported
		}
		for t := ce.transfers; len(t) >= 20; t = t[20:] {
			s := readSyntax(t)
			if s.isBindTimeFeature() {
				result, reason = resultNegotiateAck, 0 // no feature supported
				break
			}
			if s == ndrSyntax && ce.abstract == srvsvcSyntax {
				result, reason, syntax = resultAcceptance, 0, s
				p.bound[ce.id] = true
				break
			}
		}
		b = binary.LittleEndian.AppendUint16(b, result)
		b = binary.LittleEndian.AppendUint16(b, reason)
		b = append(b, syntax.uuid[:]...)
		b = binary.LittleEndian.AppendUint32(b, syntax.version)
	}
	p.queue(finish(b))
	return nil
}

// bindNak is a bind_nak PDU (C706 §12.6.4.5): the reason and the one
// protocol version supported, 5.0.
func bindNak(callID uint32, reason uint16) []byte {
	b := appendHeader(nil, ptBindNak, pfcFirstFrag|pfcLastFrag, callID)
	b = binary.LittleEndian.AppendUint16(b, reason)
	b = append(b, 1, 5, 0)
	return finish(b)
}

// fault is a fault PDU (C706 §12.6.4.7).
func fault(callID uint32, ctxID uint16, status uint32, flags byte) []byte {
	b := appendHeader(nil, ptFault, pfcFirstFrag|pfcLastFrag|flags, callID)
	b = binary.LittleEndian.AppendUint32(b, 0) // alloc_hint
	b = binary.LittleEndian.AppendUint16(b, ctxID)
	b = append(b, 0, 0) // cancel_count, reserved
	b = binary.LittleEndian.AppendUint32(b, status)
	b = append(b, 0, 0, 0, 0) // reserved2
	return finish(b)
}

// request reassembles a request's fragments and, at the last one, runs
// the call and queues its response fragments.
func (p *Pipe) request(pdu []byte, h header) error {
	rb, err := parseRequest(pdu, h)
	if err != nil {
		return err
	}
	if h.flags&pfcFirstFrag != 0 {
		if p.call != nil {
			return errProtocol // a new call while one is being received
		}
		if int(rb.allocHint) > MaxRequest || len(rb.stub) > MaxRequest {
			p.queue(fault(h.callID, rb.ctxID, ncaProtoError, pfcDidNotExecute))
			return errProtocol
		}
		c := rb
		c.stub = make([]byte, 0, max(int(rb.allocHint), len(rb.stub)))
		c.stub = append(c.stub, rb.stub...)
		p.call, p.callID = &c, h.callID
	} else {
		if p.call == nil || h.callID != p.callID || rb.ctxID != p.call.ctxID || rb.opnum != p.call.opnum {
			return errProtocol
		}
		if len(p.call.stub)+len(rb.stub) > MaxRequest {
			p.queue(fault(h.callID, rb.ctxID, ncaProtoError, pfcDidNotExecute))
			return errProtocol
		}
		p.call.stub = append(p.call.stub, rb.stub...)
	}
	if h.flags&pfcLastFrag == 0 {
		return nil
	}
	c := p.call
	p.call = nil
	if !p.bound[c.ctxID] {
		p.queue(fault(h.callID, c.ctxID, ncaUnknownIf, pfcDidNotExecute))
		return nil
	}
	stub, status := p.invoke(c.opnum, c.stub)
	if status != 0 {
		p.queue(fault(h.callID, c.ctxID, status, pfcDidNotExecute))
		return nil
	}
	p.respond(h.callID, c.ctxID, stub)
	return nil
}

// respond queues the response fragments of stub: each at most maxXmit
// bytes, the stub of all but the last a multiple of 8 bytes.
func (p *Pipe) respond(callID uint32, ctxID uint16, stub []byte) {
	chunk := (p.maxXmit - respHeaderSize) &^ 7
	flags := byte(pfcFirstFrag)
	for {
		n := min(chunk, len(stub))
		f := flags
		if n == len(stub) {
			f |= pfcLastFrag
		}
		b := appendHeader(make([]byte, 0, respHeaderSize+n), ptResponse, f, callID)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(stub))) // alloc_hint: what remains
		b = binary.LittleEndian.AppendUint16(b, ctxID)
		b = append(b, 0, 0)
		b = append(b, stub[:n]...)
		p.queue(finish(b))
		stub = stub[n:]
		if f&pfcLastFrag != 0 {
			return
		}
		flags = 0
	}
}

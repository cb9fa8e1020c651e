package rpc

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// Record marking (RFC 5531 §11): on a stream transport each message is a
// record of one or more fragments, each preceded by a four-byte header whose
// high bit marks the last fragment and whose low 31 bits give its length.

const (
	lastFragment   = 1 << 31
	fragmentLenMax = lastFragment - 1
	// recordStage is how much of a large record must have arrived before
	// the reader commits a buffer of the full declared size. It keeps a
	// peer that announces a large record and then stalls from holding
	// more than this much memory.
	recordStage = 64 << 10
)

// ErrRecordTooLarge is returned when a peer announces a record larger than
// the configured maximum; the connection is closed.
var ErrRecordTooLarge = errors.New("rpc: record exceeds maximum size")

// bufClasses are the capacities of pooled record buffers.
var bufClasses = [...]int{4 << 10, 64 << 10, 256 << 10, 1 << 20, 1<<20 + 128<<10, 2 << 20, 4 << 20}

// buffers is a set of pools of byte slices by size class. Buffers larger
// than the largest class are allocated and dropped.
type buffers struct {
	pools [len(bufClasses)]sync.Pool
}

func classOf(n int) int {
	for i, c := range bufClasses {
		if n <= c {
			return i
		}
	}
	return -1
}

// get returns a buffer of length n.
func (b *buffers) get(n int) *[]byte {
	i := classOf(n)
	if i < 0 {
		p := make([]byte, n)
		return &p
	}
	if v := b.pools[i].Get(); v != nil {
		p := v.(*[]byte)
		*p = (*p)[:n]
		return p
	}
	p := make([]byte, n, bufClasses[i])
	return &p
}

// put returns a buffer obtained from get.
func (b *buffers) put(p *[]byte) {
	if p == nil {
		return
	}
	c := cap(*p)
	for i, cc := range bufClasses {
		if c == cc {
			*p = (*p)[:0]
			b.pools[i].Put(p)
			return
		}
	}
}

// recordReader reads records from a buffered stream.
type recordReader struct {
	r    *bufio.Reader
	max  int
	bufs *buffers
	hdr  [4]byte
}

// readHeader reads one fragment header.
func (rr *recordReader) readHeader() (n int, last bool, err error) {
	if _, err := io.ReadFull(rr.r, rr.hdr[:]); err != nil {
		return 0, false, err
	}
	h := binary.BigEndian.Uint32(rr.hdr[:])
	return int(h & fragmentLenMax), h&lastFragment != 0, nil
}

// read reads one whole record into a pooled buffer. first, if not nil, is
// called with the first fragment's length and last-fragment bit when its
// header arrives (the server arms its record deadline there).
func (rr *recordReader) read(first func(n int, last bool)) (*[]byte, error) {
	var bp *[]byte
	total := 0
	for frag := 0; ; frag++ {
		n, last, err := rr.readHeader()
		if err != nil {
			rr.bufs.put(bp)
			if frag > 0 && err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if frag == 0 && first != nil {
			first(n, last)
		}
		if n > rr.max-total {
			rr.bufs.put(bp)
			return nil, fmt.Errorf("%w: %d bytes announced, limit %d", ErrRecordTooLarge, total+n, rr.max)
		}
		end := total + n
		for total < end {
			// Grow in at most two steps: first to recordStage, then, once
			// that much has arrived, to the declared size.
			want := end
			if total < recordStage && want > recordStage {
				want = recordStage
			}
			if bp == nil || cap(*bp) < want {
				nb := rr.bufs.get(want)
				if bp != nil {
					copy(*nb, (*bp)[:total])
					rr.bufs.put(bp)
				}
				bp = nb
			}
			*bp = (*bp)[:want]
			if _, err := io.ReadFull(rr.r, (*bp)[total:want]); err != nil {
				rr.bufs.put(bp)
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return nil, err
			}
			total = want
		}
		if last {
			if bp == nil {
				bp = rr.bufs.get(0)
			}
			*bp = (*bp)[:total]
			return bp, nil
		}
	}
}

// frame sets the record mark of a reply whose segments are segs and whose
// first segment begins with four bytes reserved for it. When the record is
// longer than maxFrag (and maxFrag > 0), it returns a new segment list that
// splits the record into several fragments.
func frame(segs [][]byte, maxFrag int) [][]byte {
	total := -4
	for _, s := range segs {
		total += len(s)
	}
	if maxFrag <= 0 || maxFrag > fragmentLenMax {
		maxFrag = fragmentLenMax
	}
	if total <= maxFrag {
		binary.BigEndian.PutUint32(segs[0], uint32(total)|lastFragment)
		return segs
	}
	out := make([][]byte, 0, len(segs)+total/maxFrag+1)
	left, room := total, 0
	for i, s := range segs {
		if i == 0 {
			s = s[4:]
		}
		for len(s) > 0 {
			if room == 0 {
				room = min(left, maxFrag)
				h := uint32(room)
				if room == left {
					h |= lastFragment
				}
				out = append(out, binary.BigEndian.AppendUint32(nil, h))
				left -= room
			}
			k := min(room, len(s))
			out = append(out, s[:k])
			s = s[k:]
			room -= k
		}
	}
	return out
}

// iovec is the scratch a connection keeps for vectored writes, so that
// writing a multi-segment reply does not allocate.
type iovec struct {
	backing [][]byte
	bufs    net.Buffers
}

// writeRecord frames segs and writes them to w.
func writeRecord(w io.Writer, segs [][]byte, maxFrag int, iov *iovec) error {
	segs = frame(segs, maxFrag)
	if len(segs) == 1 {
		_, err := w.Write(segs[0])
		return err
	}
	iov.backing = append(iov.backing[:0], segs...)
	iov.bufs = iov.backing
	_, err := iov.bufs.WriteTo(w)
	clear(iov.backing)
	return err
}

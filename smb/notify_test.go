package smb

import (
	"context"
	"encoding/binary"
	"slices"
	"testing"
	"time"

	"github.com/dittofs/dittofs/smb/internal/fscc"
	"github.com/dittofs/dittofs/smb/internal/wire"
	. "github.com/dittofs/dittofs/smb/internal/wire/wiretest"
	"github.com/dittofs/dittofs/store"
)

// notifyBody is a CHANGE_NOTIFY request (MS-SMB2 §2.2.35).
func notifyBody(f wire.FileID, flags uint16, outLen, filter uint32) []byte {
	return append(Lay(uint16(32), flags, outLen), append(fid(f), Lay(filter, uint32(0))...)...)
}

// change is one FILE_NOTIFY_INFORMATION entry (MS-FSCC §2.7.1).
type change struct {
	action uint32
	name   string
}

// notifyChanges decodes the FILE_NOTIFY_INFORMATION entries of a
// CHANGE_NOTIFY response (MS-SMB2 §2.2.36).
func notifyChanges(t testing.TB, r reply) []change {
	t.Helper()
	var out []change
	b := output(r)
	for len(b) > 0 {
		if len(b) < 12 {
			t.Fatalf("short entry %x", b)
		}
		next := int(binary.LittleEndian.Uint32(b))
		if next%4 != 0 {
			t.Fatalf("NextEntryOffset %d not a multiple of 4", next)
		}
		n := int(binary.LittleEndian.Uint32(b[8:]))
		name, err := wire.DecodeUTF16(b[12 : 12+n])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, change{binary.LittleEndian.Uint32(b[4:]), name})
		if next == 0 {
			break
		}
		b = b[next:]
	}
	return out
}

// recvFinal reads the next frame, failing instead of hanging when none
// comes (the deadline only guards against a hang; nothing is timed).
func (c *client) recvFinal() reply {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	defer c.nc.SetReadDeadline(time.Time{})
	return c.recvOne()
}

// notify sends a CHANGE_NOTIFY and returns its answer: at once, or the
// final response after the interim one.
func (c *client) notify(dir wire.FileID, flags uint16, outLen, filter uint32) reply {
	c.t.Helper()
	id := c.send(wire.SMB2_CHANGE_NOTIFY, notifyBody(dir, flags, outLen, filter))
	r := c.recvFinal()
	if r.status() != wire.STATUS_PENDING {
		return r
	}
	aid := c.interim(r, id)
	f := c.recvFinal()
	if f.h.AsyncID != aid || f.h.MessageID != id {
		c.t.Fatalf("final response of %d/%d, want %d/%d", f.h.MessageID, f.h.AsyncID, id, aid)
	}
	return f
}

// pendingNotify sends a CHANGE_NOTIFY that must go async and returns its
// MessageId and AsyncId.
func (c *client) pendingNotify(dir wire.FileID, flags uint16, outLen, filter uint32) (uint64, uint64) {
	c.t.Helper()
	id := c.send(wire.SMB2_CHANGE_NOTIFY, notifyBody(dir, flags, outLen, filter))
	return id, c.interim(c.recvOne(), id)
}

// collect reads changes with successive CHANGE_NOTIFY requests until it
// has n (a store change may reach the open in more than one answer).
func (c *client) collect(dir wire.FileID, flags uint16, filter uint32, n int) []change {
	c.t.Helper()
	var out []change
	for len(out) < n {
		r := c.notify(dir, flags, 4096, filter)
		if r.status() != wire.STATUS_SUCCESS {
			c.t.Fatalf("CHANGE_NOTIFY: %v after %v", r.status(), out)
		}
		out = append(out, notifyChanges(c.t, r)...)
	}
	return out
}

func wantChanges(t testing.TB, got []change, want ...change) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("changes %v, want %v", got, want)
	}
}

const (
	dirOpts   = wire.FILE_DIRECTORY_FILE
	fileOpts  = wire.FILE_NON_DIRECTORY_FILE
	nameAll   = wire.FILE_NOTIFY_CHANGE_FILE_NAME | wire.FILE_NOTIFY_CHANGE_DIR_NAME
	allFilter = 0xfff
)

// notifyPair connects a watcher and a second client that changes
// things, and makes directory d with an open of the watcher on it.
func notifyPair(t *testing.T) (*testServer, *client, *client, wire.FileID) {
	ts := startServer(t)
	w := ts.connect(wire.SMB2_DIALECT_311)
	m := ts.connect(wire.SMB2_DIALECT_311)
	d, st := w.create("d", wire.GENERIC_READ, wire.FILE_OPEN_IF, dirOpts)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	return ts, w, m, d
}

func (c *client) mustCreate(name string, opts uint32) wire.FileID {
	c.t.Helper()
	f, st := c.create(name, wire.GENERIC_READ|wire.GENERIC_WRITE|wire.DELETE, wire.FILE_CREATE, opts)
	if st != wire.STATUS_SUCCESS {
		c.t.Fatalf("create %s: %v", name, st)
	}
	return f
}

// TestNotifyNames: entries added, removed and renamed in the directory,
// by another client, with their FILE_ACTION_* (MS-SMB2 §3.3.5.19,
// MS-FSCC §2.7.1).
func TestNotifyNames(t *testing.T) {
	_, w, m, d := notifyPair(t)
	id, aid := w.pendingNotify(d, 0, 1000, nameAll)
	f := m.mustCreate(`d\f`, fileOpts)
	r := w.recvFinal()
	w.final(r, id, aid, wire.STATUS_SUCCESS)
	wantChanges(t, notifyChanges(t, r), change{fscc.FILE_ACTION_ADDED, "f"})

	// rename within the directory: old and new name
	if st := m.call(wire.SMB2_SET_INFO, setInfoBody(f, wire.FileRenameInformation, renameBuf(`d\g`, false))).status(); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	wantChanges(t, w.collect(d, 0, nameAll, 2),
		change{fscc.FILE_ACTION_RENAMED_OLD_NAME, "f"}, change{fscc.FILE_ACTION_RENAMED_NEW_NAME, "g"})
	m.mustCreate(`d\sub`, dirOpts)
	wantChanges(t, w.collect(d, 0, nameAll, 1), change{fscc.FILE_ACTION_ADDED, "sub"})
	// a move to another directory: removed here (MS-FSCC §2.7.1)
	if st := m.call(wire.SMB2_SET_INFO, setInfoBody(f, wire.FileRenameInformation, renameBuf(`d\sub\h`, false))).status(); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	wantChanges(t, w.collect(d, 0, nameAll, 1), change{fscc.FILE_ACTION_REMOVED, "g"})
	// delete on close
	if st := m.call(wire.SMB2_SET_INFO, setInfoBody(f, wire.FileDispositionInformation, []byte{1})).status(); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	m.close(f)
	m.mustCreate(`d\x`, fileOpts)
	// the removal below d is not d's entry: only x is reported
	wantChanges(t, w.collect(d, 0, nameAll, 1), change{fscc.FILE_ACTION_ADDED, "x"})
}

// TestNotifyModified: a write, a truncation and a time change are
// FILE_ACTION_MODIFIED of the file, under the filter bits they change.
func TestNotifyModified(t *testing.T) {
	_, w, m, d := notifyPair(t)
	f := m.mustCreate(`d\f`, fileOpts)
	filter := uint32(wire.FILE_NOTIFY_CHANGE_SIZE | wire.FILE_NOTIFY_CHANGE_LAST_WRITE)
	id, aid := w.pendingNotify(d, 0, 1000, filter)
	if st := m.write(f, 0, []byte("hello")); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	r := w.recvFinal()
	w.final(r, id, aid, wire.STATUS_SUCCESS)
	wantChanges(t, notifyChanges(t, r), change{fscc.FILE_ACTION_MODIFIED, "f"})
	eof := Lay(uint64(2))
	if st := m.call(wire.SMB2_SET_INFO, setInfoBody(f, wire.FileEndOfFileInformation, eof)).status(); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	wantChanges(t, w.collect(d, 0, filter, 1), change{fscc.FILE_ACTION_MODIFIED, "f"})
	// FileBasicInformation with a LastWriteTime (MS-FSCC §2.4.7)
	basic := Lay(uint64(0), uint64(0), uint64(132000000000000000), uint64(0), uint32(0), uint32(0))
	if st := m.call(wire.SMB2_SET_INFO, setInfoBody(f, wire.FileBasicInformation, basic)).status(); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	wantChanges(t, w.collect(d, 0, filter, 1), change{fscc.FILE_ACTION_MODIFIED, "f"})
}

// TestNotifyFilter: the CompletionFilter of the first request selects
// the changes, and a later request does not change it (as Windows:
// smbtorture smb2.notify.mask-change).
func TestNotifyFilter(t *testing.T) {
	_, w, m, d := notifyPair(t)
	id, _ := w.pendingNotify(d, 0, 1000, wire.FILE_NOTIFY_CHANGE_FILE_NAME)
	m.mustCreate(`d\sub`, dirOpts) // a directory: DIR_NAME, not reported
	m.mustCreate(`d\f`, fileOpts)
	r := w.recvFinal()
	if r.h.MessageID != id {
		t.Fatal("final of another request")
	}
	wantChanges(t, notifyChanges(t, r), change{fscc.FILE_ACTION_ADDED, "f"})
	// asking for directory names now changes nothing
	w.pendingNotify(d, 0, 1000, nameAll)
	m.mustCreate(`d\sub2`, dirOpts)
	m.mustCreate(`d\f2`, fileOpts)
	wantChanges(t, notifyChanges(t, w.recvFinal()), change{fscc.FILE_ACTION_ADDED, "f2"})
}

// TestNotifyTree: SMB2_WATCH_TREE reports changes below the directory,
// with the path from it; without it only d's own entries are.
func TestNotifyTree(t *testing.T) {
	ts, w, m, d := notifyPair(t)
	m.mustCreate(`d\a`, dirOpts)
	m.mustCreate(`d\a\b`, dirOpts)
	flat, st := w.create("d", wire.GENERIC_READ, wire.FILE_OPEN, dirOpts)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	w2 := ts.connect(wire.SMB2_DIALECT_311)
	d2, _ := w2.create("d", wire.GENERIC_READ, wire.FILE_OPEN, dirOpts)
	w.pendingNotify(d, wire.SMB2_WATCH_TREE, 1000, nameAll)
	w2.pendingNotify(d2, 0, 1000, nameAll)
	_ = flat
	m.mustCreate(`d\a\b\deep`, fileOpts)
	wantChanges(t, notifyChanges(t, w.recvFinal()), change{fscc.FILE_ACTION_ADDED, `a\b\deep`})
	m.mustCreate(`d\top`, fileOpts)
	// the plain watch's first change is top: deep was not reported to it
	wantChanges(t, notifyChanges(t, w2.recvFinal()), change{fscc.FILE_ACTION_ADDED, "top"})
}

// TestNotifyBuffered: after the first CHANGE_NOTIFY the open collects
// changes, so those made between two requests are returned by the next
// one at once (MS-SMB2 §3.3.5.19; smbtorture smb2.notify.dir).
func TestNotifyBuffered(t *testing.T) {
	_, w, m, d := notifyPair(t)
	id, aid := w.pendingNotify(d, 0, 1000, nameAll)
	w.cancel(id, aid, w.sessionID)
	w.final(w.recvFinal(), id, aid, wire.STATUS_CANCELLED)
	for _, n := range []string{"a", "b", "c"} {
		m.mustCreate(`d\`+n, fileOpts)
	}
	// wait for the three, answered without an interim response once all
	// arrived
	got := w.collect(d, 0, nameAll, 3)
	wantChanges(t, got, change{1, "a"}, change{1, "b"}, change{1, "c"})
}

// TestNotifyEnumDir: changes that do not fit in the first request's
// buffer (the queue's size) or in this request's are answered with
// STATUS_NOTIFY_ENUM_DIR and no data (MS-SMB2 §3.3.4.4; smbtorture
// smb2.notify.overflow, valid-req).
func TestNotifyEnumDir(t *testing.T) {
	_, w, m, d := notifyPair(t)
	// a queue of 100 bytes: entries of 22 bytes padded to 24, four fit
	// (94 bytes), five do not
	id, aid := w.pendingNotify(d, 0, 100, nameAll)
	w.cancel(id, aid, w.sessionID)
	w.final(w.recvFinal(), id, aid, wire.STATUS_CANCELLED)
	for _, n := range []string{"file1", "file2", "file3", "file4", "file5"} {
		m.mustCreate(`d\`+n, fileOpts)
	}
	r := w.notify(d, 0, 4096, nameAll)
	for r.status() == wire.STATUS_SUCCESS { // some arrived before the overflow
		r = w.notify(d, 0, 4096, nameAll)
	}
	if r.status() != wire.STATUS_NOTIFY_ENUM_DIR || len(output(r)) != 0 {
		t.Fatalf("status %v, %d bytes", r.status(), len(output(r)))
	}
	// the queue works again, and a change larger than this request's
	// buffer is NOTIFY_ENUM_DIR too
	id, aid = w.pendingNotify(d, 0, 8, nameAll)
	m.mustCreate(`d\file6`, fileOpts)
	w.final(w.recvFinal(), id, aid, wire.STATUS_NOTIFY_ENUM_DIR)
	m.mustCreate(`d\file7`, fileOpts)
	wantChanges(t, w.collect(d, 0, nameAll, 1), change{1, "file7"})
}

// TestNotifyCleanup: closing the directory completes its waiting
// requests with STATUS_NOTIFY_CLEANUP (MS-SMB2 §3.3.5.10), so do
// TREE_DISCONNECT and LOGOFF, which close the opens.
func TestNotifyCleanup(t *testing.T) {
	ts, w, _, d := notifyPair(t)
	id1, aid1 := w.pendingNotify(d, 0, 1000, nameAll)
	id2, aid2 := w.pendingNotify(d, 0, 1000, nameAll)
	w.sendFrame(w.message(wire.SMB2_CLOSE, closeBody(d), 1))
	if r := w.recvFinal(); r.h.Command != wire.SMB2_CLOSE || r.status() != wire.STATUS_SUCCESS {
		t.Fatalf("CLOSE: %v %v", r.h.Command, r.status())
	}
	w.final(w.recvFinal(), id1, aid1, wire.STATUS_NOTIFY_CLEANUP)
	w.final(w.recvFinal(), id2, aid2, wire.STATUS_NOTIFY_CLEANUP)

	for _, cmd := range []wire.Command{wire.SMB2_TREE_DISCONNECT, wire.SMB2_LOGOFF} {
		c := ts.connect(wire.SMB2_DIALECT_311)
		d, _ := c.create("d", wire.GENERIC_READ, wire.FILE_OPEN, dirOpts)
		id, aid := c.pendingNotify(d, wire.SMB2_WATCH_TREE, 1000, nameAll)
		c.sendFrame(c.message(cmd, Lay(uint16(4), uint16(0)), 1))
		var final reply
		for range 2 {
			r := c.recvFinal()
			if r.h.Command == wire.SMB2_CHANGE_NOTIFY {
				final = r
			} else if r.status() != wire.STATUS_SUCCESS {
				t.Fatalf("%v: %v", cmd, r.status())
			}
		}
		if cmd == wire.SMB2_LOGOFF {
			// after LOGOFF the final response is not signed
			// (the session is gone); check only what it says
			if final.h.AsyncID != aid || final.h.MessageID != id || final.status() != wire.STATUS_NOTIFY_CLEANUP {
				t.Fatalf("%v: final %v", cmd, final.status())
			}
			continue
		}
		c.final(final, id, aid, wire.STATUS_NOTIFY_CLEANUP)
	}
}

// TestNotifyCancel: CANCEL completes a waiting CHANGE_NOTIFY with
// STATUS_CANCELLED (MS-SMB2 §3.3.5.16); the next one still works.
func TestNotifyCancel(t *testing.T) {
	_, w, m, d := notifyPair(t)
	id, aid := w.pendingNotify(d, wire.SMB2_WATCH_TREE, 1000, nameAll)
	w.cancel(id, 0, w.sessionID) // by MessageId
	w.final(w.recvFinal(), id, aid, wire.STATUS_CANCELLED)
	id, aid = w.pendingNotify(d, wire.SMB2_WATCH_TREE, 1000, nameAll)
	w.cancel(id+1000, aid, w.sessionID) // by AsyncId (the MessageId does not matter)
	w.final(w.recvFinal(), id, aid, wire.STATUS_CANCELLED)
	m.mustCreate(`d\f`, fileOpts)
	wantChanges(t, w.collect(d, 0, nameAll, 1), change{1, "f"})
}

// TestNotifyTwoWaiting: two requests waiting on one open are answered in
// the order they came (smbtorture smb2.notify.double).
func TestNotifyTwoWaiting(t *testing.T) {
	_, w, m, d := notifyPair(t)
	id1, aid1 := w.pendingNotify(d, 0, 1000, nameAll)
	id2, aid2 := w.pendingNotify(d, 0, 1000, nameAll)
	m.mustCreate(`d\one`, dirOpts)
	r := w.recvFinal()
	w.final(r, id1, aid1, wire.STATUS_SUCCESS)
	wantChanges(t, notifyChanges(t, r), change{1, "one"})
	m.mustCreate(`d\two`, dirOpts)
	r = w.recvFinal()
	w.final(r, id2, aid2, wire.STATUS_SUCCESS)
	wantChanges(t, notifyChanges(t, r), change{1, "two"})
}

// TestNotifyErrors: the request's checks (MS-SMB2 §3.3.5.19).
func TestNotifyErrors(t *testing.T) {
	_, w, _, d := notifyPair(t)
	f := w.mustCreate(`d\f`, fileOpts)
	for _, c := range []struct {
		name string
		body []byte
		want wire.Status
	}{
		{"a file", notifyBody(f, 0, 1000, nameAll), wire.STATUS_INVALID_PARAMETER},
		{"buffer over MaxTransactSize", notifyBody(d, 0, 1<<20+1, nameAll), wire.STATUS_INVALID_PARAMETER},
		{"unknown FileId", notifyBody(wire.FileID{Persistent: 77, Volatile: 77}, 0, 1000, nameAll), wire.STATUS_FILE_CLOSED},
		{"short", Lay(uint16(32), uint16(0)), wire.STATUS_INVALID_PARAMETER},
	} {
		if st := w.call(wire.SMB2_CHANGE_NOTIFY, c.body).status(); st != c.want {
			t.Errorf("%s: %v, want %v", c.name, st, c.want)
		}
	}
	// without FILE_LIST_DIRECTORY
	nd, st := w.create("d", wire.FILE_READ_ATTRIBUTES, wire.FILE_OPEN, dirOpts)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if st := w.call(wire.SMB2_CHANGE_NOTIFY, notifyBody(nd, 0, 1000, nameAll)).status(); st != wire.STATUS_ACCESS_DENIED {
		t.Errorf("without FILE_LIST_DIRECTORY: %v", st)
	}
}

// TestNotifyBound: the directory opens of a connection that watch are
// bounded; past the bound CHANGE_NOTIFY is
// STATUS_INSUFFICIENT_RESOURCES, and closing a watching open frees room.
func TestNotifyBound(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.maxWatchOpens = 1 })
	w := ts.connect(wire.SMB2_DIALECT_311)
	d, _ := w.create("d", wire.GENERIC_READ, wire.FILE_OPEN_IF, dirOpts)
	d2, _ := w.create("d", wire.GENERIC_READ, wire.FILE_OPEN, dirOpts)
	id, aid := w.pendingNotify(d, 0, 1000, nameAll)
	if st := w.call(wire.SMB2_CHANGE_NOTIFY, notifyBody(d2, 0, 1000, nameAll)).status(); st != wire.STATUS_INSUFFICIENT_RESOURCES {
		t.Errorf("past the bound: %v", st)
	}
	w.cancel(id, aid, w.sessionID)
	w.final(w.recvFinal(), id, aid, wire.STATUS_CANCELLED)
	w.close(d)
	id, aid = w.pendingNotify(d2, 0, 1000, nameAll)
	w.cancel(id, aid, w.sessionID)
	w.final(w.recvFinal(), id, aid, wire.STATUS_CANCELLED)
}

// TestNotifyBytesBound: the watches of all connections together hold at
// most Server.MaxNotifyBytes; past it a new watch is
// STATUS_INSUFFICIENT_RESOURCES, and closing a watched open gives its
// share back (a hostile client on many connections cannot grow the
// server's memory with CHANGE_NOTIFY queues).
func TestNotifyBytesBound(t *testing.T) {
	const out = 1000
	one := int64(out) + int64(min(maxNotifyEvents, out/12+16))*notifyEventCost
	ts := startServer(t, func(s *Server) { s.MaxNotifyBytes = one + one/2 })
	a := ts.connect(wire.SMB2_DIALECT_311)
	b := ts.connect(wire.SMB2_DIALECT_311)
	d, _ := a.create("d", wire.GENERIC_READ, wire.FILE_OPEN_IF, dirOpts)
	d2, _ := b.create("d", wire.GENERIC_READ, wire.FILE_OPEN, dirOpts)
	id, aid := a.pendingNotify(d, 0, out, nameAll)
	if st := b.call(wire.SMB2_CHANGE_NOTIFY, notifyBody(d2, 0, out, nameAll)).status(); st != wire.STATUS_INSUFFICIENT_RESOURCES {
		t.Errorf("a second watch past MaxNotifyBytes, from another connection: %v", st)
	}
	a.cancel(id, aid, a.sessionID)
	a.final(a.recvFinal(), id, aid, wire.STATUS_CANCELLED)
	a.close(d)
	id, aid = b.pendingNotify(d2, 0, out, nameAll)
	b.cancel(id, aid, b.sessionID)
	b.final(b.recvFinal(), id, aid, wire.STATUS_CANCELLED)
	b.close(d2)
	if n := ts.srv.notifyBytes.Load(); n != 0 {
		t.Errorf("%d bytes still charged after every watch closed", n)
	}
}

// TestNotifyCrossProtocol: a change made through store.FS directly, as
// the NFS servers make it, is reported to the SMB client.
func TestNotifyCrossProtocol(t *testing.T) {
	ts, w, _, d := notifyPair(t)
	fs := ts.fs
	cred := &store.Cred{UID: 1000, GID: 1000}
	ctx := context.Background()
	dh, _, err := fs.Lookup(ctx, cred, ts.tab.Lookup("/export").Root(), "d")
	if err != nil {
		t.Fatal(err)
	}
	f, _, _, err := fs.Create(ctx, cred, dh, "nfs-file", store.CreateGuarded, nil, store.Verifier{})
	if err != nil {
		t.Fatal(err)
	}
	filter := uint32(nameAll | wire.FILE_NOTIFY_CHANGE_LAST_WRITE | wire.FILE_NOTIFY_CHANGE_SIZE)
	id, aid := w.pendingNotify(d, 0, 1000, filter)
	if _, _, err := fs.WriteAt(ctx, cred, f, []byte("from nfs"), 0, store.Unstable); err != nil {
		t.Fatal(err)
	}
	r := w.recvFinal()
	w.final(r, id, aid, wire.STATUS_SUCCESS)
	wantChanges(t, notifyChanges(t, r), change{fscc.FILE_ACTION_MODIFIED, "nfs-file"})
	if _, err := fs.Remove(ctx, cred, dh, "nfs-file"); err != nil {
		t.Fatal(err)
	}
	wantChanges(t, w.collect(d, 0, filter, 1), change{fscc.FILE_ACTION_REMOVED, "nfs-file"})
}

// TestNotifyAttributes: setting a DOS attribute the store does not keep
// (HIDDEN) is FILE_ACTION_MODIFIED under FILE_NOTIFY_CHANGE_ATTRIBUTES
// (smbtorture smb2.notify.basedir), and so is closing a file renamed
// through the handle (NTFS sets its ARCHIVE attribute: smb2.notify.
// mask-change), not the rename itself.
func TestNotifyAttributes(t *testing.T) {
	_, w, m, d := notifyPair(t)
	f := m.mustCreate(`d\f`, fileOpts)
	attrs := uint32(wire.FILE_NOTIFY_CHANGE_ATTRIBUTES)
	w.pendingNotify(d, 0, 1000, attrs)
	basic := Lay(uint64(0), uint64(0), uint64(0), uint64(0), uint32(wire.FILE_ATTRIBUTE_HIDDEN), uint32(0))
	if st := m.call(wire.SMB2_SET_INFO, setInfoBody(f, wire.FileBasicInformation, basic)).status(); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	wantChanges(t, notifyChanges(t, w.recvFinal()), change{fscc.FILE_ACTION_MODIFIED, "f"})
	w.pendingNotify(d, 0, 1000, attrs)
	if st := m.call(wire.SMB2_SET_INFO, setInfoBody(f, wire.FileRenameInformation, renameBuf(`d\g`, false))).status(); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	m.close(f)
	wantChanges(t, notifyChanges(t, w.recvFinal()), change{fscc.FILE_ACTION_MODIFIED, "g"})
}

// TestNotifyRemovedDir: CHANGE_NOTIFY on an open whose directory was
// removed waits (there is nothing to report) and is cancelled as usual.
func TestNotifyRemovedDir(t *testing.T) {
	ts, w, _, _ := notifyPair(t)
	g, _ := w.create("gone", wire.GENERIC_READ, wire.FILE_CREATE, dirOpts)
	cred := &store.Cred{UID: 1000, GID: 1000}
	if _, err := ts.fs.Rmdir(context.Background(), cred, ts.tab.Lookup("/export").Root(), "gone"); err != nil {
		t.Fatal(err)
	}
	id, aid := w.pendingNotify(g, 0, 1000, nameAll)
	w.cancel(id, aid, w.sessionID)
	w.final(w.recvFinal(), id, aid, wire.STATUS_CANCELLED)
}

// TestNotifyFailedReauth: a failed reauthentication removes the session
// (MS-SMB2 §3.3.5.5.3), closing its opens: a waiting CHANGE_NOTIFY ends
// with STATUS_NOTIFY_CLEANUP and the session is gone (smbtorture
// smb2.notify.invalid-reauth).
func TestNotifyFailedReauth(t *testing.T) {
	_, w, _, d := notifyPair(t)
	id, aid := w.pendingNotify(d, 0, 1000, nameAll)
	signer := w.signer
	if st := w.login(testUser, "wrong"); st != wire.STATUS_LOGON_FAILURE {
		t.Fatalf("reauthentication: %v", st)
	}
	w.signer = signer // the final response is signed with the session's key
	w.final(w.recvFinal(), id, aid, wire.STATUS_NOTIFY_CLEANUP)
	if _, st := w.create("d", wire.GENERIC_READ, wire.FILE_OPEN, dirOpts); st != wire.STATUS_USER_SESSION_DELETED {
		t.Fatalf("CREATE after the failed reauthentication: %v", st)
	}
}

// TestNotifyDirRemoved: when the watched directory is removed by another
// client, its waiting CHANGE_NOTIFY ends with STATUS_DELETE_PENDING, and
// so do later ones (smbtorture smb2.notify.rmdir1-4).
func TestNotifyDirRemoved(t *testing.T) {
	_, w, m, _ := notifyPair(t)
	g, _ := w.create("g", wire.GENERIC_READ, wire.FILE_CREATE, dirOpts)
	id, aid := w.pendingNotify(g, 0, 1000, nameAll)
	del, st := m.create("g", wire.GENERIC_READ|wire.DELETE, wire.FILE_OPEN, dirOpts)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if st := m.call(wire.SMB2_SET_INFO, setInfoBody(del, wire.FileDispositionInformation, []byte{1})).status(); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	m.close(del)
	w.final(w.recvFinal(), id, aid, wire.STATUS_DELETE_PENDING)
	if st := w.call(wire.SMB2_CHANGE_NOTIFY, notifyBody(g, 0, 1000, nameAll)).status(); st != wire.STATUS_DELETE_PENDING {
		t.Fatalf("after the removal: %v", st)
	}
}

// TestSplitPathDotDot: a ".." component removes the one before it (as
// smbd resolves it: smbtorture smb2.notify.tree opens `dir\sub\..`); one
// leaving the share is STATUS_OBJECT_PATH_SYNTAX_BAD; "." and empty
// components stay invalid.
func TestSplitPathDotDot(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		st   wire.Status
	}{
		{`a\b\..`, []string{"a"}, wire.STATUS_SUCCESS},
		{`a\..\b`, []string{"b"}, wire.STATUS_SUCCESS},
		{`a\..`, nil, wire.STATUS_SUCCESS},
		{`..`, nil, wire.STATUS_OBJECT_PATH_SYNTAX_BAD},
		{`a\..\..\b`, nil, wire.STATUS_OBJECT_PATH_SYNTAX_BAD},
		{`a\.\b`, nil, wire.STATUS_OBJECT_NAME_INVALID},
		{`a\\b`, nil, wire.STATUS_OBJECT_NAME_INVALID},
	} {
		got, st := splitPath(c.in)
		if st != c.st || !slices.Equal(got, c.want) {
			t.Errorf("%q: %q %v, want %q %v", c.in, got, st, c.want, c.st)
		}
	}
}

// TestNotifyInCompound: a CHANGE_NOTIFY that would wait is failed with
// STATUS_INTERNAL_ERROR when requests follow it in a compound (MS-SMB2
// §3.3.5.2.7, Windows: smbtorture smb2.compound.interim2), and goes async
// when it is the last one (interim1).
func TestNotifyInCompound(t *testing.T) {
	_, w, _, d := notifyPair(t)
	// related: CREATE, CHANGE_NOTIFY and QUERY_INFO on the CREATE's
	// handle; the QUERY_INFO succeeds (as on Windows)
	all := wire.FileID{Persistent: ^uint64(0), Volatile: ^uint64(0)}
	cr := w.message(wire.SMB2_CREATE, createBody("d", wire.GENERIC_READ, wire.FILE_OPEN, dirOpts), 1)
	n := w.message(wire.SMB2_CHANGE_NOTIFY, notifyBody(all, 0, 1000, nameAll), 1)
	q := w.message(wire.SMB2_QUERY_INFO, queryInfoBody(all, wire.SMB2_0_INFO_FILE, wire.FileBasicInformation, 1000), 1)
	for _, m := range [][]byte{n, q} {
		binary.LittleEndian.PutUint32(m[16:], binary.LittleEndian.Uint32(m[16:])|uint32(wire.SMB2_FLAGS_RELATED_OPERATIONS))
	}
	w.sendFrame(cr, n, q)
	rs, err := w.recv()
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 3 || rs[0].status() != wire.STATUS_SUCCESS || rs[1].status() != wire.STATUS_INTERNAL_ERROR || rs[2].status() != wire.STATUS_SUCCESS {
		t.Fatalf("replies %d: %v", len(rs), rs)
	}
	id := w.msgID
	w.sendFrame(w.message(wire.SMB2_ECHO, Lay(uint16(4), uint16(0)), 1),
		w.message(wire.SMB2_CHANGE_NOTIFY, notifyBody(d, 0, 1000, nameAll), 1))
	if rs, err = w.recv(); err != nil || len(rs) != 2 || rs[1].status() != wire.STATUS_PENDING {
		t.Fatalf("last in the compound: %v %v", err, rs)
	}
	aid := rs[1].h.AsyncID
	w.cancel(id+1, aid, w.sessionID)
	w.final(w.recvFinal(), id+1, aid, wire.STATUS_CANCELLED)
}

// TestNotifyReconnect: a new session naming the PreviousSessionId of a
// session of the same user ends that session (MS-SMB2 §3.3.5.5.3): its
// waiting CHANGE_NOTIFY ends with STATUS_NOTIFY_CLEANUP and its id is
// gone (smbtorture smb2.notify.session-reconnect).
func TestNotifyReconnect(t *testing.T) {
	_, w, _, d := notifyPair(t)
	id, aid := w.pendingNotify(d, 0, 1000, nameAll)
	oldID, oldSigner := w.sessionID, w.signer
	w.sessionID, w.signer, w.prevSession = 0, nil, oldID
	if st := w.login(testUser, testPassword); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	newID, newSigner := w.sessionID, w.signer
	w.signer = oldSigner // the final response is signed with the old session's key
	w.final(w.recvFinal(), id, aid, wire.STATUS_NOTIFY_CLEANUP)
	w.sessionID = oldID
	if st := w.call(wire.SMB2_LOGOFF, Lay(uint16(4), uint16(0))).status(); st != wire.STATUS_USER_SESSION_DELETED {
		t.Fatalf("LOGOFF of the old session: %v", st)
	}
	w.sessionID, w.signer = newID, newSigner
	if st := w.call(wire.SMB2_LOGOFF, Lay(uint16(4), uint16(0))).status(); st != wire.STATUS_SUCCESS {
		t.Fatalf("LOGOFF of the new session: %v", st)
	}
}

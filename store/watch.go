package store

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
)

// Change is a kind of change a Watcher reports. The values are those of
// MS-FSCC's FILE_NOTIFY_CHANGE_* (the CompletionFilter of SMB2
// CHANGE_NOTIFY, MS-SMB2 §2.2.35), so SMB passes its filter through.
type Change uint32

const (
	ChangeFileName   Change = 0x001 // a non-directory entry added, removed or renamed
	ChangeDirName    Change = 0x002 // a directory entry added, removed or renamed
	ChangeAttributes Change = 0x004 // mode bits
	ChangeSize       Change = 0x008 // size (write past the end, truncate, allocate)
	ChangeLastWrite  Change = 0x010 // mtime: data written or punched, or set
	ChangeLastAccess Change = 0x020 // atime set
	ChangeCreation   Change = 0x040 // btime set
	ChangeEA         Change = 0x080 // extended attributes
	ChangeSecurity   Change = 0x100 // owner, group, mode; "security." and "system." xattrs
	ChangeAll        Change = 0x1ff
)

// Action is what happened to an entry. The values are MS-FSCC §2.7.1's
// FILE_ACTION_*.
type Action uint8

const (
	ActionAdded      Action = 1 // entry made: Create, Mkdir, Symlink, Mknod, Link, a move in
	ActionRemoved    Action = 2 // entry removed: Remove, Rmdir, a move out, replaced by Rename
	ActionModified   Action = 3 // the node an entry names changed (Event.Changes says how)
	ActionRenamedOld Action = 4 // renamed within one directory: the old name
	ActionRenamedNew Action = 5 // ... and the new name, always right after the old
	// ActionOverflow says that events were lost (the watcher's buffer was
	// full): the watcher should read the directory again. It has no name.
	ActionOverflow Action = 0xff
)

// Event is one change seen by a Watcher.
type Event struct {
	Action  Action
	Changes Change // ChangeFileName or ChangeDirName for entry events; for ActionModified what changed
	// Name is the entry's path relative to the watched directory:
	// one name, or for a tree watch names joined by '/'. It is empty
	// for ActionOverflow and for ActionRemoved of the watched directory
	// itself (it was removed, or replaced by a rename).
	Name string
	Node Handle // the node the entry names (zero for ActionOverflow)
}

// WatchOptions say what a Watcher reports.
type WatchOptions struct {
	// Tree reports changes anywhere below the directory, not only to its
	// own entries (SMB2_WATCH_TREE).
	Tree bool
	// Filter selects the changes reported; zero means ChangeAll.
	Filter Change
	// Buffer is how many events wait at most before the watcher
	// overflows; zero means 256.
	Buffer int
}

// A Watcher receives the changes to one directory's entries, and with
// WatchOptions.Tree to every directory below it. Changes made through
// any protocol's calls on the FS are delivered, after the change
// committed, in the order they committed for one node. The mutating call
// never waits for a watcher: when a watcher's buffer is full, its events
// are dropped and replaced by one ActionOverflow.
//
// Consecutive ActionModified events of one name are merged (their Changes
// or'ed), so a stream of writes costs one buffered event.
type Watcher struct {
	f    *FS
	dir  uint64
	opts WatchOptions
	c    chan struct{}

	mu     sync.Mutex
	q      []Event
	over   bool
	closed bool
}

// Ready returns a channel that receives a value when events are waiting.
// It is not closed by Close.
func (w *Watcher) Ready() <-chan struct{} { return w.c }

// Take appends the waiting events to dst, oldest first, and returns it; the
// watcher's buffer is then empty. After an overflow the only event is one
// ActionOverflow.
func (w *Watcher) Take(dst []Event) []Event {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.over {
		w.over = false
		return append(dst, Event{Action: ActionOverflow})
	}
	dst = append(dst, w.q...)
	clear(w.q)
	w.q = w.q[:0]
	return dst
}

// Close stops the watcher. It is idempotent.
func (w *Watcher) Close() {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.closed = true
	w.q = nil
	w.mu.Unlock()
	w.f.watch.remove(w)
}

func (w *Watcher) push(e Event) {
	if e.Changes&w.opts.Filter == 0 {
		return
	}
	w.mu.Lock()
	if w.closed || w.over {
		w.mu.Unlock()
		return
	}
	if n := len(w.q); n > 0 && e.Action == ActionModified {
		if last := &w.q[n-1]; last.Action == ActionModified && last.Name == e.Name {
			last.Changes |= e.Changes
			w.mu.Unlock()
			return
		}
	}
	if len(w.q) >= w.opts.Buffer {
		w.drop()
	} else {
		w.q = append(w.q, e)
	}
	w.mu.Unlock()
	select {
	case w.c <- struct{}{}:
	default:
	}
}

func (w *Watcher) overflow() {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.drop()
	w.mu.Unlock()
	select {
	case w.c <- struct{}{}:
	default:
	}
}

// drop replaces the waiting events by an overflow (w.mu held).
func (w *Watcher) drop() {
	w.over = true
	clear(w.q)
	w.q = w.q[:0]
}

// Watch starts watching directory dir. It needs search permission on dir
// (ErrNotDir when it is not a directory). Events of changes that commit
// after Watch returns are delivered; a change committing while Watch runs
// may or may not be. Close the watcher when done.
func (f *FS) Watch(ctx context.Context, c *Cred, dir Handle, opts WatchOptions) (*Watcher, error) {
	a, err := f.GetAttr(ctx, c, dir)
	if err != nil {
		return nil, err
	}
	if a.Type != TypeDir {
		return nil, ErrNotDir
	}
	o := f.getOp(ctx)
	err = f.view(ctx, o, func(o *op) error {
		var d inode
		if err := o.node(dir, &d); err != nil {
			return err
		}
		return f.may(c, &d, AccessExec)
	})
	f.putOp(o)
	if err != nil {
		return nil, err
	}
	if opts.Filter == 0 {
		opts.Filter = ChangeAll
	}
	if opts.Buffer <= 0 {
		opts.Buffer = 256
	}
	w := &Watcher{f: f, dir: dir.ID, opts: opts, c: make(chan struct{}, 1)}
	if err := f.watch.add(f, w); err != nil {
		return nil, err
	}
	return w, nil
}

// Notify reports to watchers a change of node h that the store does not
// keep, as ActionModified with ch under h's name (an SMB server's DOS
// attributes: setting FILE_ATTRIBUTE_HIDDEN is a change of attributes to
// an SMB client watching the directory). It changes nothing and checks no
// permission; it costs one atomic load when nobody watches.
func (f *FS) Notify(ctx context.Context, h Handle, ch Change) error {
	if f.watch.active.Load() == 0 || ch == 0 {
		return nil
	}
	o := f.getOp(ctx)
	defer f.putOp(o)
	var ev []rawEvent
	err := f.view(ctx, o, func(o *op) error {
		var n inode
		if err := o.node(h, &n); err != nil {
			return err
		}
		o.noteModified(&n, ch)
		ev = append(ev[:0], o.events...)
		return nil
	})
	if err != nil {
		return err
	}
	if len(ev) > 0 {
		f.post(ev)
	}
	return nil
}

// ---- the registry and the dispatcher -----------------------------------------
//
// A mutation records raw events in its op while it runs (only when
// watchSet.active is not zero: one atomic load on the hot path) and, after
// the transaction committed, hands them to the dispatcher goroutine
// without blocking (watchSet.post; a full queue overflows every watcher).
// The dispatcher finds the watchers concerned, resolves names (a change to
// a file's data or attributes knows only the file and its parent) and the
// path from a tree watch's directory, and pushes the events.
//
// Parents: directories have always recorded their parent. Every node now
// records the directory it was made in, or last linked or renamed into
// (inode.Parent); a file with several links reports its changes under that
// one name, as Linux reports an inode's changes under the dentry used. A
// file whose recorded name was removed while other links remain, and files
// made before parents were recorded (Parent 0), report data and attribute
// changes nowhere; their entry events (remove, rename) are reported as
// always, since those name the directory.

type rawEvent struct {
	action  Action
	changes Change
	dir     uint64 // directory whose entry changed
	name    string // entry name; "" for ActionModified: resolved by the dispatcher
	node    Handle
	moved   bool // ActionRemoved of a move to another directory: the node lives on
}

type watchSet struct {
	active atomic.Int32 // watchers registered: the hot path's only check
	// stale tells the dispatcher to forget its name cache: events were
	// lost (nobody watched, or the queue overflowed)
	stale atomic.Bool

	mu      sync.Mutex
	dirs    map[uint64][]*Watcher
	trees   int // tree watchers among them
	started bool
	closed  bool
	ch      chan []rawEvent

	// deliverMu is held while events are delivered (by the dispatcher,
	// or inline by post); inflight counts batches queued or being
	// delivered by the dispatcher. names is guarded by deliverMu.
	deliverMu sync.Mutex
	inflight  atomic.Int64
	names     nameCache
}

// dispatchQueue is how many batches of events wait for the dispatcher
// before the mutations overflow every watcher.
const dispatchQueue = 1024

func (s *watchSet) add(f *FS, w *Watcher) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return NewError(CodeIO, "watch", "closed", nil)
	}
	if s.dirs == nil {
		s.dirs = make(map[uint64][]*Watcher)
	}
	s.dirs[w.dir] = append(s.dirs[w.dir], w)
	if w.opts.Tree {
		s.trees++
	}
	s.active.Add(1)
	if !s.started {
		s.started = true
		s.ch = make(chan []rawEvent, dispatchQueue)
		f.bg.Add(1)
		go f.dispatch(s.ch)
	}
	return nil
}

func (s *watchSet) remove(w *Watcher) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.dirs[w.dir]
	for i, x := range ws {
		if x == w {
			ws = append(ws[:i], ws[i+1:]...)
			if w.opts.Tree {
				s.trees--
			}
			if s.active.Add(-1) == 0 {
				s.stale.Store(true)
			}
			break
		}
	}
	if len(ws) == 0 {
		delete(s.dirs, w.dir)
	} else {
		s.dirs[w.dir] = ws
	}
}

// shut stops new watchers; FS.Close then stops the dispatcher.
func (s *watchSet) shut() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
}

// post hands a committed op's events to the watchers; it never blocks.
// Events that need no transaction to deliver (entry events, which carry
// their name, with no tree watcher registered) are delivered at once by
// the mutating goroutine when nothing is queued or being delivered, so
// that a watcher sees a change as soon as the call that made it returns
// (an SMB client's CHANGE_NOTIFY completes before its next request's
// changes, as with Windows); the others go to the dispatcher, in order.
func (f *FS) post(evs []rawEvent) {
	s := &f.watch
	s.mu.Lock()
	ch, trees := s.ch, s.trees
	s.mu.Unlock()
	if ch == nil {
		return
	}
	simple := trees == 0
	for i := range evs {
		simple = simple && evs[i].name != ""
	}
	if simple && s.deliverMu.TryLock() {
		if s.inflight.Load() == 0 {
			for i := range evs {
				f.deliver(context.Background(), &evs[i])
			}
			s.deliverMu.Unlock()
			return
		}
		s.deliverMu.Unlock()
	}
	batch := append([]rawEvent(nil), evs...)
	s.inflight.Add(1)
	select {
	case ch <- batch:
	default:
		s.inflight.Add(-1)
		s.stale.Store(true)
		s.overflowAll()
	}
}

func (s *watchSet) overflowAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ws := range s.dirs {
		for _, w := range ws {
			w.overflow()
		}
	}
}

// note records an event of the running transaction when anyone watches.
// It is discarded if the transaction does not commit.
func (o *op) note(a Action, ch Change, dir uint64, name string, node Handle) {
	if o.f.watch.active.Load() == 0 {
		return
	}
	o.events = append(o.events, rawEvent{action: a, changes: ch, dir: dir, name: name, node: node})
}

// noteEntry records an entry event of n named name in dir.
func (o *op) noteEntry(a Action, dir uint64, name string, n *inode) {
	if o.f.watch.active.Load() == 0 {
		return
	}
	ch := ChangeFileName
	if n.Type == TypeDir {
		ch = ChangeDirName
	}
	o.note(a, ch, dir, name, Handle{ID: n.ID, Gen: n.Gen})
}

// noteModified records that node n changed as ch says, under its parent.
func (o *op) noteModified(n *inode, ch Change) {
	if ch == 0 || o.f.watch.active.Load() == 0 || n.Parent == 0 || n.Parent == n.ID {
		return
	}
	o.note(ActionModified, ch, n.Parent, "", Handle{ID: n.ID, Gen: n.Gen})
}

// setAttrChanges is what a SetAttr of mask changes.
func setAttrChanges(m SetMask) Change {
	var ch Change
	if m&SetMode != 0 {
		ch |= ChangeAttributes | ChangeSecurity
	}
	if m&(SetUID|SetGID) != 0 {
		ch |= ChangeSecurity
	}
	if m&SetSize != 0 {
		ch |= ChangeSize | ChangeLastWrite
	}
	if m&(SetAtime|SetAtimeNow) != 0 {
		ch |= ChangeLastAccess
	}
	if m&(SetMtime|SetMtimeNow) != 0 {
		ch |= ChangeLastWrite
	}
	if m&SetBtime != 0 {
		ch |= ChangeCreation
	}
	return ch
}

// xattrChange is what changing xattr name changes.
func xattrChange(name string) Change {
	if strings.HasPrefix(name, "security.") || strings.HasPrefix(name, "system.") {
		return ChangeSecurity
	}
	return ChangeEA
}

// dispatch delivers posted events until FS.Close.
func (f *FS) dispatch(ch chan []rawEvent) {
	defer f.bg.Done()
	ctx := context.Background()
	for {
		select {
		case <-f.stop:
			return
		case batch := <-ch:
			f.watch.deliverMu.Lock()
			for i := range batch {
				f.deliver(ctx, &batch[i])
			}
			f.watch.inflight.Add(-1)
			f.watch.deliverMu.Unlock()
		}
	}
}

// deliver pushes e to the watchers of its directory and to the tree
// watchers above it.
func (f *FS) deliver(ctx context.Context, e *rawEvent) {
	s := &f.watch
	if s.stale.Swap(false) {
		s.names.m = nil
	}
	s.names.learn(e)
	s.mu.Lock()
	direct := len(s.dirs[e.dir]) > 0
	trees := s.trees
	var gone []*Watcher
	if e.action == ActionRemoved && !e.moved {
		gone = append(gone, s.dirs[e.node.ID]...)
	}
	s.mu.Unlock()
	for _, w := range gone {
		w.push(Event{Action: ActionRemoved, Changes: ChangeAll, Node: e.node})
	}
	if !direct && trees == 0 {
		return
	}
	name := e.name
	// ancestors of e.dir: ids[0] = e.dir, ids[k+1] the parent of ids[k]
	ids := []uint64{e.dir}
	if name != "" && trees == 0 {
		f.push(e, name, ids)
		return
	}
	o := f.getOp(ctx)
	defer f.putOp(o)
	err := f.view(ctx, o, func(o *op) error {
		if name == "" {
			n, ok, err := s.names.lookup(o, e.dir, e.node.ID)
			if err != nil || !ok {
				return errNoName
			}
			name = n
		}
		ids = append(ids[:0], e.dir)
		if trees == 0 {
			return nil
		}
		for id := e.dir; id != f.root.ID && len(ids) < 4096; {
			var d inode
			if err := o.getInode(id, &d); err != nil {
				return err
			}
			if d.Parent == 0 || d.Parent == id {
				break
			}
			id = d.Parent
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return
	}
	f.pushTree(ctx, o, e, name, ids)
}

// push delivers e, named name, to the watchers of ids[0] = e.dir when no
// ancestor names are needed (no transaction).
func (f *FS) push(e *rawEvent, name string, ids []uint64) {
	f.pushTree(nil, nil, e, name, ids)
}

// pushTree delivers e to the watchers of ids[0] and to the tree watchers
// of ids[1:], the ancestors, whose names it looks up in o when needed.
func (f *FS) pushTree(ctx context.Context, o *op, e *rawEvent, name string, ids []uint64) {
	s := &f.watch
	ev := Event{Action: e.action, Changes: e.changes, Name: name, Node: e.node}
	// which of them have watchers, found under the lock, pushed outside
	type hit struct {
		depth int
		ws    []*Watcher
	}
	var hits []hit
	s.mu.Lock()
	for k, id := range ids {
		var ws []*Watcher
		for _, w := range s.dirs[id] {
			if k == 0 || w.opts.Tree {
				ws = append(ws, w)
			}
		}
		if len(ws) > 0 {
			hits = append(hits, hit{k, ws})
		}
	}
	s.mu.Unlock()
	if len(hits) == 0 {
		return
	}
	// names of ids[0..k-1] in their parents, for the deepest hit's path
	var comps []string
	if deep := hits[len(hits)-1].depth; deep > 0 {
		err := f.view(ctx, o, func(o *op) error {
			comps = comps[:0]
			for k := 0; k < deep; k++ {
				n, ok, err := s.names.lookup(o, ids[k+1], ids[k])
				if err != nil || !ok {
					return errNoName
				}
				comps = append(comps, n)
			}
			return nil
		})
		if err != nil {
			return
		}
	}
	for _, h := range hits {
		ev.Name = name
		if h.depth > 0 {
			var b strings.Builder
			for k := h.depth - 1; k >= 0; k-- {
				b.WriteString(comps[k])
				b.WriteByte('/')
			}
			b.WriteString(name)
			ev.Name = b.String()
		}
		for _, w := range h.ws {
			w.push(ev)
		}
	}
}

var errNoName = NewError(CodeNotExist, "watch", "no name", nil)

// nameCache remembers the name of nodes in their directory, learnt from
// events in the order they committed and from directory scans. A change
// to a file's data or attributes is reported under the name the cache
// has, which is the name the file had when the change was made even if
// it was renamed since (the rename's events come after); on a miss the
// directory is scanned. The cache is forgotten when events may have been
// lost (the dispatcher's queue overflowed, or nobody watched for a while);
// a change committing while the first watcher registers may still leave
// a name behind until then.
type nameCache struct {
	m map[uint64]nameRef
}

type nameRef struct {
	dir  uint64
	name string
}

const nameCacheMax = 1 << 14

func (c *nameCache) put(id, dir uint64, name string) {
	if c.m == nil || len(c.m) >= nameCacheMax {
		c.m = make(map[uint64]nameRef)
	}
	c.m[id] = nameRef{dir, name}
}

func (c *nameCache) learn(e *rawEvent) {
	switch e.action {
	case ActionAdded, ActionRenamedNew:
		c.put(e.node.ID, e.dir, e.name)
	case ActionRemoved, ActionRenamedOld:
		if r, ok := c.m[e.node.ID]; ok && r.dir == e.dir && r.name == e.name {
			delete(c.m, e.node.ID)
		}
	}
}

// lookup returns a name of node id in directory dir.
func (c *nameCache) lookup(o *op, dir, id uint64) (string, bool, error) {
	if r, ok := c.m[id]; ok && r.dir == dir {
		return r.name, true, nil
	}
	var name string
	found := false
	err := o.tx.Scan(o.key(pfxEntry, dir), o.key(pfxEntry, dir+1), func(k, v []byte) bool {
		e, err := decodeEntry(v)
		if err != nil || len(k) < 9 {
			return true
		}
		n := string(k[9:])
		if _, known := c.m[e.Child]; !known {
			c.put(e.Child, dir, n)
		}
		if e.Child == id && !found {
			name, found = n, true
		}
		return true
	})
	return name, found, err
}

package badger

import (
	"sync"
	"sync/atomic"

	bdg "github.com/dgraph-io/badger/v4"
)

// snapshots shares one read-only Badger transaction among the Views that
// run while no Update commits. Each new Badger transaction registers its
// read timestamp with Badger's watermark goroutine on begin and on
// discard, two channel sends that wake that goroutine: on a GETATTR or a
// 4 KiB READ this was about a tenth of the server's CPU (it woke another
// thread each time). A View now takes the current snapshot, and a commit
// that wrote something drops it, so the next View starts a new one and
// sees the commit.
//
// Why a View still sees every Update that returned before it began: the
// commit drops the snapshot after Badger's Commit returned and before
// Update returns, and a snapshot made after that begins after the commit
// is visible. A View that overlaps the Update may see it or not, as
// before. Read-only Badger transactions are safe for concurrent use: Get
// and NewIterator read the transaction's read timestamp and count
// iterators atomically, and the transaction is discarded only when its
// last reader let go of it.
type snapshots struct {
	mu  sync.Mutex
	cur *snapshot
}

type snapshot struct {
	btx  *bdg.Txn
	refs atomic.Int32 // Views using it, plus one while it is current
}

// acquire returns the current snapshot, beginning one if there is none;
// release it after use.
func (s *snapshots) acquire(db *bdg.DB) *snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil {
		s.cur = &snapshot{btx: db.NewTransaction(false)}
		s.cur.refs.Store(1)
	}
	s.cur.refs.Add(1)
	return s.cur
}

func (sn *snapshot) release() {
	if sn.refs.Add(-1) == 0 {
		sn.btx.Discard()
	}
}

// drop makes the next View begin a new snapshot.
func (s *snapshots) drop() {
	s.mu.Lock()
	old := s.cur
	s.cur = nil
	s.mu.Unlock()
	if old != nil {
		old.release()
	}
}

package badger

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// logSyncer completes Badger's Sync. DB.Sync fsyncs only the active
// memtable log and value log file; with SyncWrites off, Badger fsyncs
// neither a log file it has rotated away from (a memtable waiting to be
// flushed, a full value log file) nor the directory after creating files.
// logSyncer fsyncs each rotated log file once, and the directory whenever
// its set of files changed, so that Sync covers every commit made before
// it.
type logSyncer struct {
	dir string

	mu     sync.Mutex
	synced map[string]bool // rotated log files already fsynced
	names  map[string]bool // the directory's files at the last directory fsync
}

func newLogSyncer(dir string) *logSyncer {
	return &logSyncer{dir: dir, synced: map[string]bool{}, names: map[string]bool{}}
}

// logID returns the file number and kind of a Badger log file name
// ("000012.mem", "000003.vlog").
func logID(name string) (kind string, id int, ok bool) {
	for _, ext := range []string{".mem", ".vlog"} {
		if base, found := strings.CutSuffix(name, ext); found {
			n, err := strconv.Atoi(base)
			return ext, n, err == nil
		}
	}
	return "", 0, false
}

// sync fsyncs the rotated log files not yet synced and, when files were
// created or removed since the last time, the directory.
func (s *logSyncer) sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return err
	}
	newest := map[string]int{}
	for _, e := range entries {
		if kind, id, ok := logID(e.Name()); ok {
			newest[kind] = max(newest[kind], id)
		}
	}
	names := make(map[string]bool, len(entries))
	changed := false
	var errs []error
	for _, e := range entries {
		name := e.Name()
		names[name] = true
		if !s.names[name] {
			changed = true
		}
		kind, id, ok := logID(name)
		if !ok || id == newest[kind] || s.synced[name] {
			continue // the active files are DB.Sync's
		}
		switch err := fsyncFile(filepath.Join(s.dir, name)); {
		case err == nil:
			s.synced[name] = true
		case errors.Is(err, fs.ErrNotExist):
			// Flushed or collected meanwhile.
		default:
			errs = append(errs, err)
		}
	}
	for name := range s.synced {
		if !names[name] {
			delete(s.synced, name)
		}
	}
	if len(names) != len(s.names) {
		changed = true
	}
	if changed && len(errs) == 0 {
		if err := fsyncFile(s.dir); err != nil {
			return err
		}
		s.names = names
	}
	return errors.Join(errs...)
}

func fsyncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	return errors.Join(err, f.Close())
}

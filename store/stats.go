package store

// Stats are running figures of an FS, for metrics.
type Stats struct {
	// OpenBlockBytes are the bytes held in memory by open blocks of
	// unstable writes (bounded by Options.BufferBytes).
	OpenBlockBytes int64
}

// Stats returns the FS's running figures.
func (f *FS) Stats() Stats {
	f.bufMu.Lock()
	defer f.bufMu.Unlock()
	return Stats{OpenBlockBytes: f.bufBytes}
}

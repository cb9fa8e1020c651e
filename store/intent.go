package store

import (
	"bytes"
	"context"
)

// ---- intents: the log of small stable writes -------------------------------
//
// A stable write of a few KiB into a chunk would otherwise store its bytes
// as a new block (a hash, a Put, a mapping) and then once more when the
// open block is sealed. Instead, each part of at most maxLogged bytes is
// written as an intent record ('w' id seq -> offset, bytes) in the same
// metadata transaction that updates the file's size and times, and into
// the open block in memory. The write returns after the shared sync
// (f.durable), which makes the transaction, and so the intent, durable. Its
// bytes reach a block later, when the open block is sealed: the fold.
//
// Why no acknowledged byte is lost:
//
//  1. An acknowledged stable write is in an intent or in a mapped block:
//     the intent commits with the write's transaction and the write
//     returns only after a sync that started after that commit.
//  2. The fold (sealChunk) stores the chunk's runs as blocks, waits for a
//     sync of the block backend, and only then commits the transaction
//     that maps them and deletes the chunk's intents. The runs hold every
//     logged byte of the chunk (and newer bytes written over them), so
//     when the intents go, their bytes are in blocks on stable storage
//     and mapped in the same commit. If that commit is lost, the intents
//     are still there.
//  3. An intent never survives a newer mapping of its range, so replaying
//     intents over the mapping (oldest first) never puts old bytes over
//     new ones: every operation that maps a chunk's range directly first
//     folds the chunk (truncate, clone, copy, allocate, deallocate and a
//     stable write too large to log all seal the file; a large partial
//     stable write folds its chunk), and a write of a whole chunk deletes
//     the chunk's intents in its own transaction. Removing a file deletes
//     its intents with it.
//  4. After a restart, replayIntents puts every intent's bytes back into
//     the open blocks, oldest first and clipped to the file's size, and
//     folds them all before NewFS returns, so no write can come between
//     an intent and its replay. A crash during the replay leaves the
//     intents not yet folded to be replayed again, over mappings that
//     hold only what the replay wrote.
//
// Sequence numbers are handed out from f.intentSeq, which NewFS starts
// past every intent it finds; keys sort by file, then by sequence, so a
// file's intents are read oldest first.

// replayIntents folds the intents left by a crash (see above).
func (f *FS) replayIntents(ctx context.Context) error {
	o := f.getOp(ctx)
	type rec struct {
		id, seq, off uint64
		data         []byte
	}
	var recs []rec
	var derr error
	err := f.view(ctx, o, func(o *op) error {
		recs = recs[:0]
		return o.tx.Scan([]byte{pfxIntent}, []byte{pfxIntent + 1}, func(k, v []byte) bool {
			if len(k) != 17 {
				derr = corrupt("intent key")
				return false
			}
			off, data, err := decodeIntent(v)
			if err != nil {
				derr = err
				return false
			}
			recs = append(recs, rec{be.Uint64(k[1:]), be.Uint64(k[9:]), off, bytes.Clone(data)})
			return true
		})
	})
	f.putOp(o)
	if err == nil {
		err = derr
	}
	if err != nil || len(recs) == 0 {
		return err
	}
	var maxSeq uint64
	for _, r := range recs {
		maxSeq = max(maxSeq, r.seq)
	}
	f.intentSeq.Store(maxSeq)
	for i := 0; i < len(recs); {
		j := i
		for j < len(recs) && recs[j].id == recs[i].id {
			j++
		}
		id := recs[i].id
		size, ok, err := f.fileSize(ctx, id)
		if err != nil {
			return err
		}
		if !ok {
			// A file's intents go with it; these are left by damage.
			if err := f.dropIntents(ctx, id); err != nil {
				return err
			}
			i = j
			continue
		}
		fb := f.fileBuffer(id, true)
		for _, r := range recs[i:j] {
			s, e := r.off, min(r.off+uint64(len(r.data)), size)
			for pos := s; pos < e; {
				ci := pos / f.bsize
				ce := min((ci+1)*f.bsize, e)
				cb := fb.chunks[ci]
				if cb == nil {
					cb = &chunkBuf{}
					fb.chunks[ci] = cb
				}
				f.account(fb, cb.insert(pos, r.data[pos-s:ce-s], f.bsize))
				cb.intents = append(cb.intents, r.seq)
				pos = ce
			}
			if s >= e {
				// all past the end: nothing to fold, only to delete
				cb := fb.chunks[s/f.bsize]
				if cb == nil {
					cb = &chunkBuf{}
					fb.chunks[s/f.bsize] = cb
				}
				cb.intents = append(cb.intents, r.seq)
			}
		}
		l := f.lockFile(id)
		l.Lock()
		err = f.flushFile(ctx, id, true, false)
		l.Unlock()
		if err != nil {
			return err
		}
		i = j
	}
	return nil
}

// fileSize returns the size of regular file id, and false when there is
// no such regular file.
func (f *FS) fileSize(ctx context.Context, id uint64) (uint64, bool, error) {
	o := f.getOp(ctx)
	defer f.putOp(o)
	var n inode
	ok := false
	err := f.view(ctx, o, func(o *op) error {
		err := o.getInode(id, &n)
		if err == ErrStale {
			return nil
		}
		ok = err == nil && n.Type == TypeRegular
		return err
	})
	return n.Size, ok, err
}

// dropIntents deletes every intent of id.
func (f *FS) dropIntents(ctx context.Context, id uint64) error {
	o := f.getOp(ctx)
	defer f.putOp(o)
	return f.update(ctx, o, func(o *op) error {
		return o.deleteAll(o.key(pfxIntent, id), o.key(pfxIntent, id+1))
	})
}

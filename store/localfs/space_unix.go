//go:build unix

package localfs

import "syscall"

// Space implements store.Space: the size of the file system the blocks
// are kept on, and the bytes of it free to unprivileged writers (statfs
// f_blocks and f_bavail, in f_bsize units), so that FSSTAT reports the
// room there really is.
func (b *Blocks) Space() (total, free uint64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(b.root, &st); err != nil {
		return 0, 0, err
	}
	bs := uint64(st.Bsize)
	return uint64(st.Blocks) * bs, uint64(st.Bavail) * bs, nil
}

//go:build !unix

package localfs

import "errors"

// Space implements store.Space; outside Unix the room of the device is
// not known, and FsStat falls back to its other figures.
func (b *Blocks) Space() (total, free uint64, err error) {
	return 0, 0, errors.ErrUnsupported
}

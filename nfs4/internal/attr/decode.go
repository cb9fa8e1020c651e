package attr

import (
	"bytes"
	"math"
	"math/bits"

	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/rpc/xdr"
	"github.com/dittofs/dittofs/store"
)

// checkMask returns NFS4ERR_ATTRNOTSUPP if b has a bit outside
// supported[m], of any word, and NFS4ERR_INVAL if it has one outside
// allowed. The whole mask is checked before any value is read, so
// these come before NFS4ERR_BADXDR.
func checkMask(b wire.Bitmap4, m uint32, allowed *mask) (got mask, st wire.Nfsstat4) {
	for i, w := range b {
		if i >= words {
			if w != 0 {
				return got, wire.NFS4ERR_ATTRNOTSUPP
			}
			continue
		}
		if w&^supported[m][i] != 0 {
			return got, wire.NFS4ERR_ATTRNOTSUPP
		}
		got[i] = w
	}
	for i, w := range got {
		if w&^allowed[i] != 0 {
			return got, wire.NFS4ERR_INVAL
		}
	}
	return got, wire.NFS4_OK
}

// Decode parses a client's fattr4 for SETATTR, CREATE or OPEN's
// createattrs into a store.SetAttr, and returns with it the bitmap of
// the attributes it sets (SETATTR's attrsset, a new slice). The status,
// in the order checked:
//
//   - NFS4ERR_ATTRNOTSUPP for a bit that Supported(c.Minor) does not
//     have, including unknown bits beyond the last attribute;
//   - NFS4ERR_INVAL for a supported attribute that cannot be set
//     (RFC 3530 §14.2.32: type, change, fileid, time_access …);
//   - NFS4ERR_BADXDR for values that do not decode, or bytes after the
//     last one;
//   - NFS4ERR_INVAL for a mode with bits outside 07777, an nseconds of
//     1e9 or more, a time outside the store's range (years 1678 to
//     2262), or a time_how4 that is neither of its two values;
//   - NFS4ERR_INVAL for an empty owner or owner_group, NFS4ERR_BADOWNER
//     for one the mapper does not know (RFC 8881 §5.9, §15.1.15.2).
//
// time_access_set and time_modify_set with SET_TO_SERVER_TIME4 are
// store.SetAtimeNow and store.SetMtimeNow; time_create is store.SetBtime;
// size is store.SetSize (the caller checks the stateid and the type).
// On any error sa and set are zero.
func Decode(f *wire.Fattr4, c *Config) (sa store.SetAttr, set wire.Bitmap4, st wire.Nfsstat4) {
	m := minorOf(c)
	got, st := checkMask(f.Attrmask, m, &writable[m])
	if st != wire.NFS4_OK {
		return store.SetAttr{}, nil, st
	}
	var d xdr.Decoder
	d.Reset(f.AttrVals)
	sem := wire.NFS4_OK // the first value error; XDR errors win over it
	fail := func(s wire.Nfsstat4) {
		if sem == wire.NFS4_OK {
			sem = s
		}
	}
	for w := range got {
		for b := got[w]; b != 0; b &= b - 1 {
			switch n := uint32(w*32 + bits.TrailingZeros32(b)); n {
			case wire.FATTR4_SIZE:
				sa.Size = d.Uint64()
				sa.Mask |= store.SetSize
			case wire.FATTR4_MODE:
				sa.Mode = d.Uint32()
				sa.Mask |= store.SetMode
				if sa.Mode&^store.ModeMask != 0 {
					fail(wire.NFS4ERR_INVAL)
				}
			case wire.FATTR4_OWNER, wire.FATTR4_OWNER_GROUP:
				name := d.Opaque(wire.MaxUTF8)
				if d.Err() != nil {
					break
				}
				id, ok := mapName(c, name, n == wire.FATTR4_OWNER_GROUP)
				switch {
				case len(name) == 0:
					// No name at all is a bad argument, not one without
					// a translation (Linux knfsd: nfsd_map_name_to_uid).
					fail(wire.NFS4ERR_INVAL)
				case !ok:
					fail(wire.NFS4ERR_BADOWNER)
				}
				if n == wire.FATTR4_OWNER {
					sa.UID = id
					sa.Mask |= store.SetUID
				} else {
					sa.GID = id
					sa.Mask |= store.SetGID
				}
			case wire.FATTR4_TIME_ACCESS_SET, wire.FATTR4_TIME_MODIFY_SET:
				now, set := store.SetAtimeNow, store.SetAtime
				t := &sa.Atime
				if n == wire.FATTR4_TIME_MODIFY_SET {
					now, set, t = store.SetMtimeNow, store.SetMtime, &sa.Mtime
				}
				switch how := wire.TimeHow4(d.Uint32()); how {
				case wire.SET_TO_SERVER_TIME4:
					sa.Mask |= now
				case wire.SET_TO_CLIENT_TIME4:
					v, ok := getTime(&d)
					if !ok {
						fail(wire.NFS4ERR_INVAL)
					}
					*t = v
					sa.Mask |= set
				default:
					fail(wire.NFS4ERR_INVAL)
				}
			case wire.FATTR4_TIME_CREATE:
				v, ok := getTime(&d)
				if !ok {
					fail(wire.NFS4ERR_INVAL)
				}
				sa.Btime = v
				sa.Mask |= store.SetBtime
			}
			if d.Err() != nil {
				return store.SetAttr{}, nil, wire.NFS4ERR_BADXDR
			}
		}
	}
	if d.Remaining() != 0 {
		return store.SetAttr{}, nil, wire.NFS4ERR_BADXDR
	}
	if sem != wire.NFS4_OK {
		return store.SetAttr{}, nil, sem
	}
	return sa, bitmapOf(&got), wire.NFS4_OK
}

// getTime decodes an nfstime4 as nanoseconds since the epoch; false
// for nseconds ≥ 1e9 or a time an int64 of nanoseconds cannot hold.
func getTime(d *xdr.Decoder) (int64, bool) {
	s := d.Int64()
	ns := int64(d.Uint32())
	const maxS, minS int64 = math.MaxInt64 / 1_000_000_000, math.MinInt64 / 1_000_000_000
	if ns >= 1e9 {
		return 0, false
	}
	if s >= 0 {
		if s > maxS || s*1e9 > math.MaxInt64-ns {
			return 0, false
		}
		return s*1e9 + ns, true
	}
	// Negative: s*1e9 + ns = (s+1)*1e9 - (1e9-ns), which does not
	// overflow on the way for the smallest representable second.
	if s < minS-1 {
		return 0, false
	}
	hi, back := (s+1)*1e9, 1e9-ns
	if uint64(hi)+1<<63 < uint64(back) { // hi - MinInt64, in [0, 2^63]
		return 0, false
	}
	return hi - back, true
}

// mapName maps an owner (or, with group, an owner_group) string.
func mapName(c *Config, name []byte, group bool) (uint32, bool) {
	if numeric(c) {
		return parseDecimal(name)
	}
	if group {
		return c.Mapper.GID(string(name))
	}
	return c.Mapper.UID(string(name))
}

// Compare is VERIFY and NVERIFY (RFC 3530 §14.2.35, §14.2.20; RFC 5661
// §18.31, §18.20): it reports whether every attribute of f has o's
// value. The status:
//
//   - NFS4ERR_ATTRNOTSUPP for a bit Supported(c.Minor) does not have;
//   - NFS4ERR_INVAL for rdattr_error or a set-only attribute
//     (time_access_set, time_modify_set);
//   - NFS4ERR_BADXDR when f's values do not decode as the mask says,
//     or bytes follow them: a value of the wrong length is malformed,
//     not different.
//
// Values are compared as their XDR encodings, byte for byte, except
// owner and owner_group, which are compared as the ids the mapper gives
// them ("1000" and "alice@EXAMPLE.COM" can both be uid 1000; a name the
// mapper does not know is not the same), and supported_attrs and
// suppattr_exclcreat, compared as sets (trailing zero words do not
// count).
func Compare(f *wire.Fattr4, o *Object, c *Config) (same bool, st wire.Nfsstat4) {
	m := minorOf(c)
	allowed := readable[m]
	allowed[wire.FATTR4_RDATTR_ERROR/32] &^= 1 << (wire.FATTR4_RDATTR_ERROR % 32)
	got, st := checkMask(f.Attrmask, m, &allowed)
	if st != wire.NFS4_OK {
		return false, st
	}
	var d xdr.Decoder
	d.Reset(f.AttrVals)
	var buf [256]byte
	e := xdr.NewEncoder(buf[:])
	sts := stats{o: o}
	same = true
	for w := range got {
		for b := got[w]; b != 0; b &= b - 1 {
			n := uint32(w*32 + bits.TrailingZeros32(b))
			start := d.Offset()
			var name []byte
			var bm mask
			bmLen := 0
			switch table[n].kind {
			case k32:
				d.Uint32()
			case kBool:
				d.Bool()
			case k64:
				d.Uint64()
			case kTime:
				d.Skip(12)
			case kSpec:
				d.Skip(8)
			case kFsid:
				d.Skip(16)
			case kFH:
				d.Opaque(wire.NFS4_FHSIZE)
			case kOwner, kGroup:
				name = d.Opaque(wire.MaxUTF8)
			case kBitmap:
				bmLen = d.ArrayLen(wire.MaxBitmapWords, 4)
				for i := 0; i < bmLen; i++ {
					v := d.Uint32()
					if i < words {
						bm[i] = v
					} else if v != 0 {
						same = false // a bit no attribute has
					}
				}
			}
			if d.Err() != nil {
				return false, wire.NFS4ERR_BADXDR
			}
			if !same {
				continue // the remaining values are still checked
			}
			switch table[n].kind {
			case kOwner, kGroup:
				id, ok := mapName(c, name, table[n].kind == kGroup)
				want := o.Attr.UID
				if table[n].kind == kGroup {
					want = o.Attr.GID
				}
				same = ok && id == want
			case kBitmap:
				if n == wire.FATTR4_SUPPORTED_ATTRS {
					same = bm == supported[m]
				} else {
					same = bm == exclcreat[m]
				}
			default:
				e.Truncate(0)
				encodeOne(e, n, o, c, m, &sts)
				same = bytes.Equal(e.Bytes(), f.AttrVals[start:d.Offset()])
			}
		}
	}
	if d.Remaining() != 0 {
		return false, wire.NFS4ERR_BADXDR
	}
	return same, wire.NFS4_OK
}

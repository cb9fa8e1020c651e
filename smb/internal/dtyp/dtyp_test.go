package dtyp

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// A self-relative descriptor as Windows sends it (MS-DTYP §2.4.6): owner
// S-1-5-32-544 (BUILTIN\Administrators), group S-1-5-18 (SYSTEM), a DACL
// (revision 2) of one ACCESS_ALLOWED ACE (flags OI|CI, mask 0x1F01FF) for
// S-1-1-0 (Everyone).
const windowsSD = "0100" + "0480" + "14000000" + "24000000" + "00000000" + "30000000" +
	"01020000000000052000000020020000" + // owner S-1-5-32-544
	"010100000000000512000000" + // group S-1-5-18
	"02001c000100000000031400ff011f00010100000000000100000000" // DACL

func TestDecodeWindowsSD(t *testing.T) {
	b, _ := hex.DecodeString(windowsSD)
	sd, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := sd.Owner.String(); got != "S-1-5-32-544" {
		t.Errorf("owner %s", got)
	}
	if got := sd.Group.String(); got != "S-1-5-18" {
		t.Errorf("group %s", got)
	}
	if sd.DACL == nil || len(sd.DACL.ACEs) != 1 {
		t.Fatalf("dacl %+v", sd.DACL)
	}
	a := sd.DACL.ACEs[0]
	if a.Type != ACCESS_ALLOWED_ACE_TYPE || a.Flags != OBJECT_INHERIT_ACE|CONTAINER_INHERIT_ACE || a.Mask != 0x1F01FF || !a.SID.Equal(&Everyone) {
		t.Errorf("ace %+v", a)
	}
	if sd.SACL != nil {
		t.Errorf("sacl %+v", sd.SACL)
	}
	// Re-encoding gives the same bytes (same layout: owner, group, DACL).
	if out := sd.Append(nil); !bytes.Equal(out, b) || sd.Size() != len(b) {
		t.Errorf("round trip\n got %x\nwant %x", out, b)
	}
}

func TestSIDString(t *testing.T) {
	s := NewSID(22, 1, 1000)
	if s.String() != "S-1-22-1-1000" {
		t.Error(s.String())
	}
	d, n, err := decodeSID(s.Append(nil))
	if err != nil || n != 16 || !d.Equal(&s) {
		t.Errorf("%v %d %v", d, n, err)
	}
}

// TestDecodeBounds feeds the malformations MS-DTYP forbids: each must be
// ErrInvalid, never a panic.
func TestDecodeBounds(t *testing.T) {
	good, _ := hex.DecodeString(windowsSD)
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte{}, good...)) }
	cases := map[string][]byte{
		"empty":              nil,
		"short header":       good[:19],
		"revision 2":         mut(func(b []byte) []byte { b[0] = 2; return b }),
		"not self-relative":  mut(func(b []byte) []byte { b[3] &^= 0x80; return b }),
		"owner past end":     mut(func(b []byte) []byte { b[4] = 0xff; return b }),
		"owner in header":    mut(func(b []byte) []byte { b[4] = 4; return b }),
		"sid 16 subauths":    mut(func(b []byte) []byte { b[0x15] = 16; return b }),
		"sid cut":            good[:0x14+10],
		"sid revision 0":     mut(func(b []byte) []byte { b[0x14] = 0; return b }),
		"acl size past end":  mut(func(b []byte) []byte { b[0x32] = 0xff; return b }),
		"acl revision 3":     mut(func(b []byte) []byte { b[0x30] = 3; return b }),
		"acl count too big":  mut(func(b []byte) []byte { b[0x34] = 9; return b }),
		"ace size past acl":  mut(func(b []byte) []byte { b[0x3a] = 0x40; return b }),
		"ace size odd":       mut(func(b []byte) []byte { b[0x3a] = 0x13; return b }),
		"ace size under sid": mut(func(b []byte) []byte { b[0x3a] = 0x0c; return b }),
	}
	for name, b := range cases {
		if _, err := Decode(b); err != ErrInvalid {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestNullDACL: SE_DACL_PRESENT with a zero offset is a NULL DACL
// (§2.4.6), kept as a nil DACL with the flag set; a DACL offset without
// the flag is ignored.
func TestNullDACL(t *testing.T) {
	sd := &SecurityDescriptor{Control: SE_DACL_PRESENT}
	d, err := Decode(sd.Append(nil))
	if err != nil || d.DACL != nil || d.Control&SE_DACL_PRESENT == 0 {
		t.Errorf("%+v %v", d, err)
	}
	b, _ := hex.DecodeString(windowsSD)
	b[2] &^= SE_DACL_PRESENT
	d, err = Decode(b)
	if err != nil || d.DACL != nil {
		t.Errorf("%+v %v", d, err)
	}
}

// TestUnknownACE keeps an ACE type it does not model as raw bytes.
func TestUnknownACE(t *testing.T) {
	l := &ACL{ACEs: []ACE{{Type: 0x05, Flags: 0, Raw: make([]byte, 12)}, {Type: ACCESS_DENIED_ACE_TYPE, Mask: 1, SID: Everyone}}}
	sd := &SecurityDescriptor{Control: SE_DACL_PRESENT, DACL: l}
	d, err := Decode(sd.Append(nil))
	if err != nil || len(d.DACL.ACEs) != 2 || d.DACL.ACEs[0].Known() || len(d.DACL.ACEs[0].Raw) != 12 || d.DACL.ACEs[1].Mask != 1 {
		t.Fatalf("%+v %v", d, err)
	}
}

func FuzzDecode(f *testing.F) {
	b, _ := hex.DecodeString(windowsSD)
	f.Add(b)
	f.Add((&SecurityDescriptor{Control: SE_DACL_PRESENT | SE_SACL_PRESENT, SACL: &ACL{}}).Append(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		sd, err := Decode(b)
		if err != nil {
			return
		}
		// What decodes re-encodes to something that decodes the same.
		out := sd.Append(nil)
		if len(out) != sd.Size() {
			t.Fatalf("Size %d, encoded %d", sd.Size(), len(out))
		}
		sd2, err := Decode(out)
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !bytes.Equal(sd2.Append(nil), out) {
			t.Fatal("not stable")
		}
	})
}

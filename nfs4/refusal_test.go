package nfs4

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/dittofs/dittofs/internal/logtest"
	"github.com/dittofs/dittofs/nfs4/internal/wire"
)

// TestExportRefusal: a client the export rules refuse gets
// NFS4ERR_ACCESS, and NFS4ERR_WRONGSEC only when its security flavor
// is what is wrong (RFC 7530 §3.3.2 and §16.31.4: WRONGSEC tells the
// client to pick another flavor with SECINFO; RFC 8881 §7.8: a
// consistent namespace, WRONGSEC for a wrong mechanism), at PUTFH,
// PUTROOTFH, LOOKUP and OPEN across the export boundary and at SECINFO
// (RFC 7530 §16.15, §16.16 LOOKUP lists NFS4ERR_ACCESS). A name that
// does not exist stays NFS4ERR_NOENT. Linux knfsd and NFS-Ganesha hide
// an export refused to the client's address behind NFS4ERR_NOENT; the
// reference server tells the client (and its operator) that it is
// refused. Each refusal is logged with the client address and the rule.
func TestExportRefusal(t *testing.T) {
	fsys := newFS(t)
	var logs logtest.Buffer
	withLog := func(s *Server) { s.Logger = slog.New(slog.NewTextHandler(&logs, nil)) }
	const lines = "/open *(rw,insecure)\n/other 10.9.9.9(rw,insecure)\n/deep/er 10.9.9.9(rw,insecure)\n" +
		"/kerb *(rw,insecure,sec=krb5)\n/secure *(rw)\n"
	ts := startServer(t, fsys, lines, withLog)
	c := ts.dial(1000, 1000)

	// Handles of the refusing exports, from a server with the same key
	// that admits everyone.
	all := startServer(t, fsys, strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(lines,
		"10.9.9.9", "*"), "sec=krb5", "sec=sys"), "*(rw)", "*(rw,insecure)"))
	ca := all.dial(1000, 1000)
	fhOf := func(name string) []byte {
		return ca.compound(putrootfh(), lookup(name), getfh()).mustOK(t).last().Getfh.Resok4.Object
	}
	other, kerb, secure := fhOf("other"), fhOf("kerb"), fhOf("secure")

	secinfo := func(name string) wire.NfsArgop4 {
		return wire.NfsArgop4{Argop: wire.OP_SECINFO, Secinfo: wire.SECINFO4args{Name: wire.Component4(name)}}
	}
	v := c.connect("refused")
	open := func(name string) wire.NfsArgop4 { return openArgs(v, name, false, 1, 0) }
	for _, tc := range []struct {
		what string
		ops  []wire.NfsArgop4
		want wire.Nfsstat4
	}{
		{"LOOKUP of an export refused to the address", []wire.NfsArgop4{putrootfh(), lookup("other")}, wire.NFS4ERR_ACCESS},
		{"LOOKUP of a pseudo directory leading only to refused exports", []wire.NfsArgop4{putrootfh(), lookup("deep")}, wire.NFS4ERR_ACCESS},
		{"SECINFO of an export refused to the address", []wire.NfsArgop4{putrootfh(), secinfo("other")}, wire.NFS4ERR_ACCESS},
		{"OPEN of an export refused to the address", []wire.NfsArgop4{putrootfh(), open("other")}, wire.NFS4ERR_ACCESS},
		{"PUTFH of a handle of an export refused to the address", []wire.NfsArgop4{putfh(other)}, wire.NFS4ERR_ACCESS},
		{"LOOKUP of a name that does not exist", []wire.NfsArgop4{putrootfh(), lookup("nothere")}, wire.NFS4ERR_NOENT},
		{"SECINFO of a name that does not exist", []wire.NfsArgop4{putrootfh(), secinfo("nothere")}, wire.NFS4ERR_NOENT},
		{"LOOKUP of an export with the wrong flavor", []wire.NfsArgop4{putrootfh(), lookup("kerb")}, wire.NFS4ERR_WRONGSEC},
		{"PUTFH of an export with the wrong flavor", []wire.NfsArgop4{putfh(kerb)}, wire.NFS4ERR_WRONGSEC},
		// An unprivileged source port is no matter of flavor: another
		// flavor would not help (Linux knfsd answers NFS4ERR_PERM,
		// which LOOKUP and PUTFH do not list).
		{"LOOKUP of a secure export from an unprivileged port", []wire.NfsArgop4{putrootfh(), lookup("secure")}, wire.NFS4ERR_ACCESS},
		{"PUTFH of a secure export from an unprivileged port", []wire.NfsArgop4{putfh(secure)}, wire.NFS4ERR_ACCESS},
	} {
		if r := c.compound(tc.ops...); r.Status != tc.want {
			t.Errorf("%s: %v, want %v", tc.what, r.Status, tc.want)
		}
	}
	// SECINFO of the export that wants Kerberos lists it, for AUTH_SYS.
	r := c.compound(putrootfh(), secinfo("kerb")).mustOK(t)
	if fl := r.last().Secinfo.Resok4; len(fl) != 1 || fl[0].Flavor != rpcsecGSS {
		t.Errorf("SECINFO kerb: %+v", fl)
	}
	out := logs.String()
	if !strings.Contains(out, "client=127.0.0.1:") || !strings.Contains(out, "export=/other") || !strings.Contains(out, "rule=none") {
		t.Errorf("no refusal log line with the client, export and rule:\n%s", out)
	}
}

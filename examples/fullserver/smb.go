package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/smb"
)

// smbPasswordEnv is the environment variable holding the password of
// --smb-user.
const smbPasswordEnv = "DITTOFS_SMB_PASSWORD"

// SMBUser is a user of the configuration file's smb_users.
type SMBUser struct {
	Name string `yaml:"name"`
	// NTHash is MD4 of the UTF-16LE password, 32 hex digits.
	NTHash string   `yaml:"nt_hash"`
	UID    uint32   `yaml:"uid"`
	GID    uint32   `yaml:"gid"`
	Groups []uint32 `yaml:"groups"`
}

func parseID(v string, dst *uint32) error {
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil {
		return fmt.Errorf("%q: want a number", v)
	}
	*dst = uint32(n)
	return nil
}

// smbUsers builds the SMB user table from the configuration; getenv
// gives the password of SMBUser.
func (c *Config) smbUsers(getenv func(string) string) (smb.UserTable, error) {
	var t smb.UserTable
	for _, u := range c.SMBUsers {
		h, err := hex.DecodeString(u.NTHash)
		if u.Name == "" || err != nil || len(h) != 16 {
			return nil, fmt.Errorf("smb_users %q: want a name and nt_hash of 32 hex digits", u.Name)
		}
		su := smb.User{Name: u.Name, UID: u.UID, GID: u.GID, Groups: u.Groups}
		copy(su.NTHash[:], h)
		t = append(t, su)
	}
	if c.SMBUser != "" {
		pw := getenv(smbPasswordEnv)
		if pw == "" {
			return nil, fmt.Errorf("--smb-user %s: set its password in the environment variable %s", c.SMBUser, smbPasswordEnv)
		}
		t = append(t, smb.User{Name: c.SMBUser, NTHash: smb.NTHash(pw), UID: c.SMBUID, GID: c.SMBGID})
	}
	return t, nil
}

// defaultSMBAddr is where SMB is served when --smb-addr is not given and
// there are SMB users (a variable for tests).
var defaultSMBAddr = ":445"

// startSMB listens on cfg.SMBAddr and returns the SMB server of exports,
// or nil when SMB is off. Without --smb-addr, SMB is served when there are
// users (--smb-user, smb_users): on port 445, or, when that cannot be
// bound (no privilege, or another server holds it), on a port the kernel
// chooses, said in a log line. Without users and without --smb-addr it is
// off: no one could log on.
func startSMB(cfg Config, log *slog.Logger, exports *export.Table, getenv func(string) string) (*smb.Server, net.Listener, error) {
	if cfg.SMBAddr == "off" {
		return nil, nil, nil
	}
	users, err := cfg.smbUsers(getenv)
	if err != nil {
		return nil, nil, err
	}
	addr := cfg.SMBAddr
	if addr == "" {
		if len(users) == 0 {
			log.Info("smb: off: no SMB users (--smb-user NAME or smb_users) and no --smb-addr")
			return nil, nil, nil
		}
		addr = defaultSMBAddr
	}
	if len(users) == 0 {
		log.Warn("smb: no users: every logon is refused; give --smb-user NAME or smb_users")
	}
	l, err := net.Listen("tcp", addr)
	if err != nil && cfg.SMBAddr == "" {
		host, _, _ := net.SplitHostPort(addr)
		if l, err = net.Listen("tcp", net.JoinHostPort(host, "0")); err == nil {
			log.Warn("smb: cannot bind port 445; serving SMB on a high port instead. Clients must be given the port: smbclient -p N, mount -t cifs -o port=N",
				"port", portOf(l.Addr()))
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("smb: %w", err)
	}
	return &smb.Server{Exports: exports, Users: users, Logger: log, CaseInsensitiveShares: cfg.SMBCaseInsensitive}, l, nil
}

// smbServeErr turns the clean end of the SMB server into nil.
func smbServeErr(err error) error {
	if errors.Is(err, smb.ErrServerClosed) {
		return nil
	}
	return err
}

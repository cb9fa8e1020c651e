package ganesha

import (
	"strings"
	"testing"
)

func TestConfigFile(t *testing.T) {
	conf := ConfigFile("/w", "/w/export", 3049, 30048)
	for _, want := range []string{
		"NFS_Port = 3049;", "MNT_Port = 30048;", "Path = /w/export;", "Pseudo = /export;",
		"RecoveryRoot = /w/recov;", "Graceless = true;", "Squash = No_Root_Squash;",
		"Minor_Versions = 0, 1, 2;", "Enable_NLM = false;", "Name = VFS;",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("config lacks %q", want)
		}
	}
	// Bind_addr must stay unset: in a namespace with only lo, glibc cannot
	// resolve 127.0.0.1 with AI_ADDRCONFIG and Ganesha exits.
	if strings.Contains(conf, "Bind_addr") {
		t.Error("config sets Bind_addr")
	}
	if strings.Count(conf, "{") != strings.Count(conf, "}") {
		t.Error("unbalanced braces")
	}
}

func TestAddr(t *testing.T) {
	s := &Server{NFSPort: 2049}
	if got := s.Addr(); got != "127.0.0.1:2049" {
		t.Errorf("Addr %q", got)
	}
}

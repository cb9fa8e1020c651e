package export

import (
	"errors"
	"net/netip"
	"slices"
)

// SetRules replaces the client rules of e, for example when the server's
// exports file is reloaded: every later Rule and Check uses them, and a
// Check in progress uses the old or the new ones, never a mix. They are
// checked first; on an error e keeps its rules. The rules are copied.
// SetRules(nil) refuses every client.
func (e *Export) SetRules(rules []Rule) error {
	rs := slices.Clone(rules)
	for i := range rs {
		rs[i].Sec = slices.Clone(rs[i].Sec)
		if err := rs[i].compile(); err != nil {
			return err
		}
	}
	e.live.Store(&rs)
	return nil
}

// CurrentRules returns the rules in force: those of the last SetRules, or
// Rules. The caller must not change them.
func (e *Export) CurrentRules() []Rule {
	if p := e.live.Load(); p != nil {
		return *p
	}
	return e.Rules
}

// RefusalAttrs returns the attributes of a log line about a client
// refused by the rules of e: its address, the export, the rule that
// refused it in the exports(5) syntax (or "none" when no rule matches the
// address), and why. r and err are what Rule and Check returned.
func RefusalAttrs(e *Export, addr netip.AddrPort, r *Rule, err error) []any {
	rule := "none"
	if r != nil {
		rule = r.String()
	}
	var reason string
	switch {
	case r == nil || errors.Is(err, ErrClientDenied):
		reason = "no rule of the export matches the client's address"
	case errors.Is(err, ErrWeakSecurity):
		reason = "the rule does not allow the call's security flavor"
	case errors.Is(err, ErrInsecurePort):
		reason = "the call came from an unprivileged port (1024 and above) and the rule is secure"
	case err != nil:
		reason = err.Error()
	}
	return []any{"client", addr.String(), "export", e.Name, "rule", rule, "reason", reason}
}

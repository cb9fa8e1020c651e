package nlm

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/dittofs/dittofs/internal/clock"
	"github.com/dittofs/dittofs/internal/ratelog"
	"github.com/dittofs/dittofs/nlm/internal/wire"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/store"
)

// NSM v1 procedures (XNFS).
const (
	SM_NULL       = 0
	SM_STAT       = 1
	SM_MON        = 2
	SM_UNMON      = 3
	SM_UNMON_ALL  = 4
	SM_SIMU_CRASH = 5
	SM_NOTIFY     = 6
)

// Defaults of Monitor.
const (
	DefaultNotifyRetries  = 8
	DefaultNotifyInterval = 2 * time.Second
	DefaultMaxHosts       = 4096
)

// ErrTooManyHosts is a Watch beyond Monitor.MaxHosts.
var ErrTooManyHosts = errors.New("nlm: too many monitored hosts")

// Monitor is the Network Status Monitor (NSM v1, program 100024). Its state
// number is odd while it runs and goes up on every Start; the hosts it
// watches are kept in Persist and each is sent SM_NOTIFY, with retries,
// after a restart. Call Start before serving. The zero value keeps its
// state in memory only, so a restart cannot notify anyone.
type Monitor struct {
	// Persist keeps the state number and the watched hosts, under
	// KeyPrefix (the package's KeyPrefix, store namespace "nsm", by
	// default; Start moves records of older versions there).
	Persist   store.Metadata
	KeyPrefix []byte
	// Name is this server's name in the SM_NOTIFY it sends (the host
	// name by default). Clients match it against the server name they
	// mounted.
	Name string
	// PortmapPort is the port of peers' portmappers (DefaultPortmapPort)
	// and Network the transport of SM_NOTIFY ("udp", as rpc.statd).
	PortmapPort int
	Network     string
	// Locate, when not nil, replaces the portmapper lookup of a host's
	// status monitor.
	Locate LocateFunc
	// NotifyRetries and NotifyInterval bound the attempts to notify a
	// host (DefaultNotifyRetries; DefaultNotifyInterval, doubling).
	// CallTimeout bounds each call (DefaultCallTimeout).
	NotifyRetries  int
	NotifyInterval time.Duration
	CallTimeout    time.Duration
	// MaxHosts bounds the watched hosts (DefaultMaxHosts).
	MaxHosts int
	// Clock times retries; nil is the system clock (see Server.Clock).
	Clock clock.Clock
	// Logger receives failed notifications; nil discards.
	Logger *slog.Logger

	initOnce sync.Once
	bg       background
	log      *slog.Logger
	logs     ratelog.Limiter // per-request and per-host lines
	clock    clock.Clock
	peers    peerCaller
	prefix   []byte

	mu        sync.Mutex
	state     int32
	hosts     map[string]netip.Addr
	mons      map[monKey][16]byte
	listeners []func(ctx context.Context, name string, addr netip.Addr)
	// notifying holds each host's notification in flight: one
	// notifying goroutine per watched host, however often the state
	// moves (SM_SIMU_CRASH in a loop); a newer state number is sent by
	// the notifier already running.
	notifying map[string]*notification
}

// notification is one host's SM_NOTIFY in flight: the state number to
// send (the newest) and the last one delivered; m.mu guards both.
type notification struct{ state, sent int32 }

// monKey is one SM_MON registration: a monitored host and the procedure to
// call when it restarts.
type monKey struct {
	monName string
	id      wire.MyID
}

func (m *Monitor) init() {
	m.initOnce.Do(func() {
		m.bg.init()
		m.log = m.Logger
		if m.log == nil {
			m.log = slog.New(slog.DiscardHandler)
		}
		m.clock = clock.Or(m.Clock)
		m.peers = peerCaller{portmapPort: cmp.Or(m.PortmapPort, DefaultPortmapPort), timeout: cmp.Or(m.CallTimeout, DefaultCallTimeout), locate: m.Locate}
		m.prefix = m.KeyPrefix
		if m.prefix == nil {
			m.prefix = KeyPrefix
		}
		if m.Name == "" {
			m.Name, _ = os.Hostname()
		}
		m.Network = cmp.Or(m.Network, rpc.UDP)
		m.NotifyRetries = cmp.Or(m.NotifyRetries, DefaultNotifyRetries)
		m.NotifyInterval = cmp.Or(m.NotifyInterval, DefaultNotifyInterval)
		m.MaxHosts = cmp.Or(m.MaxHosts, DefaultMaxHosts)
		m.hosts = make(map[string]netip.Addr)
		m.mons = make(map[monKey][16]byte)
	})
}

func (m *Monitor) stateKey() []byte { return append(append([]byte{}, m.prefix...), 's') }
func (m *Monitor) hostKey(name string) []byte {
	return append(append(append([]byte{}, m.prefix...), 'h'), name...)
}

func (m *Monitor) update(ctx context.Context, fn func(store.Tx) error) error {
	var err error
	for range 16 {
		if err = m.Persist.Update(ctx, fn); !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
	return err
}

// Start reads the state number and the watched hosts, moves to the next
// odd state number and sends SM_NOTIFY to every watched host in the
// background.
func (m *Monitor) Start(ctx context.Context) error {
	m.init()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Persist == nil {
		m.state = nextUp(m.state)
		m.notifyAll()
		return nil
	}
	if m.KeyPrefix == nil {
		if _, err := store.MigrateNamespace(ctx, m.Persist, "nsm"); err != nil {
			return err
		}
	}
	err := m.update(ctx, func(tx store.Tx) error {
		var prev int32
		switch v, err := tx.Get(m.stateKey()); {
		case err == nil && len(v) == 4:
			prev = int32(binary.BigEndian.Uint32(v))
		case err == nil:
			return fmt.Errorf("nlm: corrupt NSM state record")
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		hosts := make(map[string]netip.Addr)
		start := m.hostKey("")
		end := append(append([]byte{}, m.prefix...), 'h'+1)
		if err := tx.Scan(start, end, func(k, v []byte) bool {
			var a netip.Addr
			if a.UnmarshalText(v) != nil {
				a = netip.Addr{}
			}
			hosts[string(k[len(start):])] = a
			return true
		}); err != nil {
			return err
		}
		state := nextUp(prev)
		if err := tx.Put(m.stateKey(), binary.BigEndian.AppendUint32(nil, uint32(state))); err != nil {
			return err
		}
		m.state, m.hosts = state, hosts
		return nil
	})
	if err != nil {
		return err
	}
	m.notifyAll()
	return nil
}

// nextUp returns the next odd state number after s.
func nextUp(s int32) int32 {
	s++
	if s%2 == 0 {
		s++
	}
	return s
}

// Close stops notifications in flight and waits for them.
func (m *Monitor) Close() error {
	m.init()
	m.bg.close()
	return nil
}

// State returns the current state number.
func (m *Monitor) State() int32 {
	m.init()
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state
}

// Watch adds host name, last seen at addr, to the hosts notified after a
// restart (what a lock manager's SM_MON of a client does).
func (m *Monitor) Watch(ctx context.Context, name string, addr netip.Addr) error {
	m.init()
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.watch(ctx, name, addr)
}

func (m *Monitor) watch(ctx context.Context, name string, addr netip.Addr) error {
	old, ok := m.hosts[name]
	if ok && (old == addr || !addr.IsValid()) {
		return nil
	}
	if !ok && len(m.hosts) >= m.MaxHosts {
		return ErrTooManyHosts
	}
	if m.Persist != nil {
		v, _ := addr.MarshalText()
		if err := m.update(ctx, func(tx store.Tx) error { return tx.Put(m.hostKey(name), v) }); err != nil {
			return err
		}
	}
	m.hosts[name] = addr
	return nil
}

// Hosts returns the watched hosts.
func (m *Monitor) Hosts() map[string]netip.Addr {
	m.init()
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]netip.Addr, len(m.hosts))
	for k, v := range m.hosts {
		out[k] = v
	}
	return out
}

func (m *Monitor) addListener(f func(ctx context.Context, name string, addr netip.Addr)) {
	m.init()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.listeners = append(m.listeners, f)
}

// notifyAll sends SM_NOTIFY with the current state number to every
// watched host; m.mu is held. A host whose notification is still in
// flight (retried while it is unreachable) gets no second one: its
// notifier sends the newest state number at its next attempt. So there is
// at most one notifying goroutine per watched host, however often the
// state moves (SM_SIMU_CRASH in a loop), and notifyAll starts none for
// those; superseded notifiers need not take m.mu to end.
func (m *Monitor) notifyAll() {
	if m.notifying == nil {
		m.notifying = map[string]*notification{}
	}
	for name, addr := range m.hosts {
		if n := m.notifying[name]; n != nil {
			n.state = m.state
			continue
		}
		n := &notification{state: m.state}
		m.notifying[name] = n
		m.bg.start(func() { m.notifyHost(name, addr, n) })
	}
}

// notifyHost is the notifier of one host: it sends n's state number until
// the host has the newest one, or its attempts run out.
func (m *Monitor) notifyHost(name string, addr netip.Addr, n *notification) {
	for {
		sent := m.notify(m.bg.ctx, name, addr, n)
		m.mu.Lock()
		if !sent || n.state == n.sent || m.bg.ctx.Err() != nil {
			delete(m.notifying, name)
			m.mu.Unlock()
			return
		}
		m.mu.Unlock()
	}
}

// notify sends SM_NOTIFY{m.Name, n.state} to one host's status monitor,
// retrying with a doubling interval, until ctx ends; each attempt sends
// the newest state number. It reports whether one was delivered (n.sent).
func (m *Monitor) notify(ctx context.Context, name string, addr netip.Addr, n *notification) bool {
	var err error
	for attempt := range m.NotifyRetries {
		if attempt > 0 && wait(ctx, m.clock, m.NotifyInterval<<min(attempt-1, 5)) != nil {
			return false
		}
		a := addr
		if !a.IsValid() && m.Locate == nil {
			if a, err = lookup(ctx, name); err != nil {
				continue
			}
		}
		m.mu.Lock()
		state := n.state
		m.mu.Unlock()
		args := &wire.StatChge{MonName: m.Name, State: state}
		if err = m.peers.call(ctx, peer{name: name, addr: a, network: m.Network}, NSMProgram, NSMVersion, SM_NOTIFY, args, nil); err == nil {
			m.log.Debug("nlm: SM_NOTIFY delivered", "host", name, "state", state, "attempt", attempt+1)
			m.mu.Lock()
			n.sent = state
			m.mu.Unlock()
			return true
		}
		m.log.Debug("nlm: SM_NOTIFY attempt failed", "host", name, "attempt", attempt+1, "err", err)
	}
	m.logs.Warn(m.log, "nlm: SM_NOTIFY not delivered", "host", name, "addr", addr, "err", err)
	return false
}

func lookup(ctx context.Context, name string) (netip.Addr, error) {
	if a, err := netip.ParseAddr(name); err == nil {
		return a, nil
	}
	as, err := net.DefaultResolver.LookupNetIP(ctx, "ip", name)
	if err != nil {
		return netip.Addr{}, err
	}
	if len(as) == 0 {
		return netip.Addr{}, fmt.Errorf("nlm: no address for %q", name)
	}
	return as[0].Unmap(), nil
}

// Register registers NSM v1 on mux.
func (m *Monitor) Register(mux *rpc.ServeMux) {
	m.init()
	mux.Handle(NSMProgram, NSMVersion, m.procs())
}

// local reports whether the call comes from this machine: SM_MON,
// SM_UNMON, SM_UNMON_ALL and SM_SIMU_CRASH are for local lock managers
// only, as in rpc.statd.
func local(c *rpc.Call) bool {
	return peerOf(c).addr.IsLoopback()
}

func (m *Monitor) procs() rpc.Procs {
	p := make(rpc.Procs, SM_NOTIFY+1)
	p[SM_NULL] = rpc.Null
	p[SM_STAT] = func(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
		var a wire.SMName
		if decode(w, c, &a) {
			res := wire.SMStatRes{ResStat: wire.STAT_SUCC, State: m.State()}
			res.MarshalXDR(w.Encoder())
		}
	}
	p[SM_MON] = func(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
		var a wire.Mon
		if !decode(w, c, &a) {
			return
		}
		res := wire.SMStatRes{ResStat: wire.STAT_FAIL}
		if local(c) {
			m.mu.Lock()
			k := monKey{monName: a.MonID.MonName, id: a.MonID.MyID}
			_, known := m.mons[k]
			switch {
			case !known && len(m.mons) >= m.MaxHosts:
			case m.watch(ctx, a.MonID.MonName, netip.Addr{}) != nil:
			default:
				m.mons[k] = a.Priv
				res.ResStat = wire.STAT_SUCC
			}
			res.State = m.state
			m.mu.Unlock()
		}
		res.MarshalXDR(w.Encoder())
	}
	p[SM_UNMON] = func(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
		var a wire.MonID
		if !decode(w, c, &a) {
			return
		}
		m.mu.Lock()
		if local(c) {
			delete(m.mons, monKey{monName: a.MonName, id: a.MyID})
		}
		res := wire.SMStat{State: m.state}
		m.mu.Unlock()
		res.MarshalXDR(w.Encoder())
	}
	p[SM_UNMON_ALL] = func(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
		var a wire.MyID
		if !decode(w, c, &a) {
			return
		}
		m.mu.Lock()
		if local(c) {
			for k := range m.mons {
				if k.id == a {
					delete(m.mons, k)
				}
			}
		}
		res := wire.SMStat{State: m.state}
		m.mu.Unlock()
		res.MarshalXDR(w.Encoder())
	}
	p[SM_SIMU_CRASH] = func(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
		if !local(c) {
			return
		}
		if err := m.simulateCrash(ctx); err != nil {
			m.logs.Warn(m.log, "nlm: SM_SIMU_CRASH", "err", err)
			w.Fail(rpc.SYSTEM_ERR)
		}
	}
	p[SM_NOTIFY] = func(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
		var a wire.StatChge
		if decode(w, c, &a) {
			m.hostRestarted(ctx, a.MonName, peerOf(c).addr, a.State)
		}
	}
	return p
}

// simulateCrash moves the state number on as if the monitor had crashed
// and restarted, and notifies every watched host.
func (m *Monitor) simulateCrash(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	state := nextUp(m.state + 1)
	if m.Persist != nil {
		if err := m.update(ctx, func(tx store.Tx) error {
			return tx.Put(m.stateKey(), binary.BigEndian.AppendUint32(nil, uint32(state)))
		}); err != nil {
			return err
		}
	}
	m.state = state
	m.notifyAll()
	return nil
}

// hostRestarted handles an SM_NOTIFY: host name, calling from addr, has
// restarted with the given state. Local listeners (the Server) release
// its locks; every SM_MON registration for it is called back.
func (m *Monitor) hostRestarted(ctx context.Context, name string, addr netip.Addr, state int32) {
	m.mu.Lock()
	ls := append([]func(context.Context, string, netip.Addr){}, m.listeners...)
	type cb struct {
		id   wire.MyID
		priv [16]byte
	}
	var cbs []cb
	for k, priv := range m.mons {
		if k.monName == name {
			cbs = append(cbs, cb{k.id, priv})
		}
	}
	m.mu.Unlock()
	for _, l := range ls {
		l(ctx, name, addr)
	}
	for _, c := range cbs {
		st := &wire.Status{MonName: name, State: state, Priv: c.priv}
		id := c.id
		m.bg.start(func() {
			// Registrations come only from this machine (local), so the
			// callback goes to the loopback address.
			p := peer{addr: netip.AddrFrom4([4]byte{127, 0, 0, 1}), network: rpc.UDP}
			if err := m.peers.call(m.bg.ctx, p, uint32(id.MyProg), uint32(id.MyVers), uint32(id.MyProc), st, nil); err != nil {
				m.logs.Warn(m.log, "nlm: status callback", "host", name, "prog", id.MyProg, "err", err)
			}
		})
	}
}

package admin

import (
	"container/list"
	"strconv"
	"sync"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// Bounds of what the console remembers of the scopes it showed.
const (
	// historyPerScope is how many observations of one scope are kept.
	historyPerScope = 20
	// historyScopes is how many scopes are remembered; the one seen least
	// recently is forgotten first.
	historyScopes = 10000
)

// observation is one state of a scope that this console showed.
type observation struct {
	Seen      time.Time
	Version   int64
	LastVisit time.Time
	Expires   time.Time
	Size      int
	// Via says where the console saw it: "list" or "open".
	Via string
}

// seenHistory remembers, in this process's memory only, the versions and
// visits of the scopes the console listed or opened: a bounded ring per
// scope, for a bounded number of scopes. It is the "history of versions
// seen" of a scope's page; storages keep no history themselves.
type seenHistory struct {
	mu    sync.Mutex
	order *list.List // of *seenScope, most recently seen first
	byKey map[scopes.Key]*list.Element
}

type seenScope struct {
	key scopes.Key
	// ring holds the observations, oldest first.
	ring []observation
}

func newSeenHistory() *seenHistory {
	return &seenHistory{order: list.New(), byKey: map[scopes.Key]*list.Element{}}
}

// observe records sc as seen at now, unless it shows the same version and
// visit as the last observation of it.
func (h *seenHistory) observe(key scopes.Key, sc *scopes.Scope, via string, now time.Time) {
	o := observation{Seen: now, Version: sc.Version, LastVisit: sc.LastVisit, Expires: sc.Expires, Size: len(sc.Data), Via: via}
	h.mu.Lock()
	defer h.mu.Unlock()
	el, ok := h.byKey[key]
	if !ok {
		el = h.order.PushFront(&seenScope{key: key})
		h.byKey[key] = el
		if h.order.Len() > historyScopes {
			oldest := h.order.Back()
			h.order.Remove(oldest)
			delete(h.byKey, oldest.Value.(*seenScope).key)
		}
	} else {
		h.order.MoveToFront(el)
	}
	s := el.Value.(*seenScope)
	if n := len(s.ring); n > 0 {
		last := s.ring[n-1]
		if last.Version == o.Version && last.LastVisit.Equal(o.LastVisit) && last.Size == o.Size {
			return
		}
	}
	if len(s.ring) == historyPerScope {
		copy(s.ring, s.ring[1:])
		s.ring = s.ring[:historyPerScope-1]
	}
	s.ring = append(s.ring, o)
}

// of returns the observations of a scope, newest first.
func (h *seenHistory) of(key scopes.Key) []observation {
	h.mu.Lock()
	defer h.mu.Unlock()
	el, ok := h.byKey[key]
	if !ok {
		return nil
	}
	ring := el.Value.(*seenScope).ring
	out := make([]observation, len(ring))
	for i, o := range ring {
		out[len(ring)-1-i] = o
	}
	return out
}

// forget drops what is remembered of an invalidated scope.
func (h *seenHistory) forget(key scopes.Key) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if el, ok := h.byKey[key]; ok {
		h.order.Remove(el)
		delete(h.byKey, key)
	}
}

func historyPerScopeText() string { return strconv.Itoa(historyPerScope) }
func historyScopesText() string   { return countText(historyScopes, true) }

package reaper

import (
	"container/list"
	"time"
)

// Default bounds for exits nobody has subscribed to yet.
const (
	// DefaultMaxUnclaimed is how many unclaimed exits are kept at most.
	DefaultMaxUnclaimed = 4096
	// DefaultUnclaimedTTL is how long an unclaimed exit is kept at most.
	DefaultUnclaimedTTL = 60 * time.Second
)

// store keeps unclaimed exits by pid, oldest first, bounded in number and
// age. It is not safe for concurrent use; the Reaper guards it.
type store struct {
	max   int
	ttl   time.Duration
	order *list.List // of Exit, oldest first
	byPid map[int]*list.Element
}

func newStore(max int, ttl time.Duration) *store {
	return &store{max: max, ttl: ttl, order: list.New(), byPid: make(map[int]*list.Element)}
}

// put stores e, replacing an older exit of the same pid, and returns how
// many exits were dropped to stay within bounds.
func (s *store) put(e Exit) int {
	if old, ok := s.byPid[e.Pid]; ok {
		s.order.Remove(old)
	}
	s.byPid[e.Pid] = s.order.PushBack(e)
	dropped := s.expire(e.Time)
	for s.order.Len() > s.max {
		s.remove(s.order.Front())
		dropped++
	}
	return dropped
}

// take removes and returns the stored exit of pid, if any is still fresh.
func (s *store) take(pid int, now time.Time) (Exit, bool) {
	s.expire(now)
	el, ok := s.byPid[pid]
	if !ok {
		return Exit{}, false
	}
	s.remove(el)
	return el.Value.(Exit), true
}

// drop forgets the stored exit of pid, if any.
func (s *store) drop(pid int) {
	if el, ok := s.byPid[pid]; ok {
		s.remove(el)
	}
}

// expire drops exits older than the ttl at now and returns how many.
func (s *store) expire(now time.Time) int {
	n := 0
	for el := s.order.Front(); el != nil; el = s.order.Front() {
		if now.Sub(el.Value.(Exit).Time) < s.ttl {
			break
		}
		s.remove(el)
		n++
	}
	return n
}

func (s *store) remove(el *list.Element) {
	delete(s.byPid, el.Value.(Exit).Pid)
	s.order.Remove(el)
}

func (s *store) len() int {
	return s.order.Len()
}

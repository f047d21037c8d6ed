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

// store keeps unclaimed exits, oldest first, bounded in number and age.
// A pid can be reused, so several exits may share one: each is kept
// separately (nothing is ever replaced) and every exit carries the reap
// sequence number that tells the processes of one pid apart in time. It is
// not safe for concurrent use; the Reaper guards it.
type store struct {
	max   int
	ttl   time.Duration
	order *list.List              // of Exit, oldest (lowest seq) first
	byPid map[int][]*list.Element // each pid's exits, oldest first
}

func newStore(max int, ttl time.Duration) *store {
	return &store{max: max, ttl: ttl, order: list.New(), byPid: make(map[int][]*list.Element)}
}

// put stores e and returns how many exits were dropped to stay within
// bounds.
func (s *store) put(e Exit) int {
	s.byPid[e.Pid] = append(s.byPid[e.Pid], s.order.PushBack(e))
	dropped := s.expire(e.Time)
	for s.order.Len() > s.max {
		s.remove(s.order.Front())
		dropped++
	}
	return dropped
}

// take removes and returns the newest fresh exit of pid, if any: the one a
// subscriber that knows nothing but the pid most likely means.
func (s *store) take(pid int, now time.Time) (Exit, bool) {
	s.expire(now)
	els := s.byPid[pid]
	if len(els) == 0 {
		return Exit{}, false
	}
	el := els[len(els)-1]
	s.remove(el)
	return el.Value.(Exit), true
}

// takeAfter removes and returns the oldest fresh exit of pid reaped after
// reap sequence number seq: the first process to end with that pid since
// then.
func (s *store) takeAfter(pid int, seq uint64, now time.Time) (Exit, bool) {
	s.expire(now)
	for _, el := range s.byPid[pid] {
		if e := el.Value.(Exit); e.seq > seq {
			s.remove(el)
			return e, true
		}
	}
	return Exit{}, false
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
	pid := el.Value.(Exit).Pid
	els := s.byPid[pid]
	for i, x := range els {
		if x == el {
			els = append(els[:i:i], els[i+1:]...)
			break
		}
	}
	if len(els) == 0 {
		delete(s.byPid, pid)
	} else {
		s.byPid[pid] = els
	}
	s.order.Remove(el)
}

func (s *store) len() int {
	return s.order.Len()
}

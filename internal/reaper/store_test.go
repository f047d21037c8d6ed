package reaper

import (
	"fmt"
	"testing"
	"time"
)

func TestStore(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(pid int, d time.Duration) Exit { return Exit{Pid: pid, Time: t0.Add(d)} }
	tests := []struct {
		name      string
		max       int
		ttl       time.Duration
		puts      []Exit
		takeAt    time.Duration
		wantTaken []int // pids that take still finds, in any order
		wantGone  []int // pids that take no longer finds
	}{
		{
			name: "keeps all within bounds",
			max:  4, ttl: time.Minute,
			puts:      []Exit{at(1, 0), at(2, time.Second), at(3, 2*time.Second)},
			takeAt:    3 * time.Second,
			wantTaken: []int{1, 2, 3},
		},
		{
			name: "drops oldest over max",
			max:  2, ttl: time.Minute,
			puts:      []Exit{at(1, 0), at(2, time.Second), at(3, 2*time.Second)},
			takeAt:    3 * time.Second,
			wantTaken: []int{2, 3},
			wantGone:  []int{1},
		},
		{
			name: "expires on put",
			max:  10, ttl: time.Minute,
			puts:      []Exit{at(1, 0), at(2, 30*time.Second), at(3, 61*time.Second)},
			takeAt:    61 * time.Second,
			wantTaken: []int{2, 3},
			wantGone:  []int{1},
		},
		{
			name: "expires on take",
			max:  10, ttl: time.Minute,
			puts:      []Exit{at(1, 0), at(2, 30*time.Second)},
			takeAt:    75 * time.Second,
			wantTaken: []int{2},
			wantGone:  []int{1},
		},
		{
			name: "reused pid keeps newest",
			max:  2, ttl: time.Minute,
			puts:      []Exit{at(1, 0), at(2, time.Second), at(1, 2*time.Second), at(3, 3*time.Second)},
			takeAt:    4 * time.Second,
			wantTaken: []int{1, 3},
			wantGone:  []int{2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(tt.max, tt.ttl)
			for _, e := range tt.puts {
				s.put(e)
				if s.len() > tt.max {
					t.Fatalf("len() = %d after put, over max %d", s.len(), tt.max)
				}
			}
			now := t0.Add(tt.takeAt)
			for _, pid := range tt.wantGone {
				if e, ok := s.take(pid, now); ok {
					t.Errorf("take(%d) = %+v, want nothing", pid, e)
				}
			}
			for _, pid := range tt.wantTaken {
				e, ok := s.take(pid, now)
				if !ok || e.Pid != pid {
					t.Errorf("take(%d) = %+v, %v; want its exit", pid, e, ok)
				}
				if _, again := s.take(pid, now); again {
					t.Errorf("take(%d) found the exit twice", pid)
				}
			}
			if s.len() != 0 || len(s.byPid) != 0 {
				t.Errorf("store not empty after takes: len=%d map=%d", s.len(), len(s.byPid))
			}
		})
	}
}

func TestStoreReusedPid(t *testing.T) {
	t0 := time.Unix(1000, 0)
	// Three processes had pid 7 in turn; pid 8 ended in between.
	exits := []Exit{
		{Pid: 7, Status: 1 << 8, Time: t0, seq: 1},
		{Pid: 8, Status: 5 << 8, Time: t0, seq: 2},
		{Pid: 7, Status: 2 << 8, Time: t0.Add(time.Second), seq: 3},
		{Pid: 7, Status: 3 << 8, Time: t0.Add(2 * time.Second), seq: 4},
	}
	tests := []struct {
		name  string
		after uint64 // takeAfter's bound; 0 with newest means take
		take  bool
		want  []int // codes taken one after the other
	}{
		{"take finds newest first", 0, true, []int{3, 2, 1}},
		{"takeAfter finds the first since", 2, false, []int{2, 3}},
		{"takeAfter ignores what came before", 3, false, []int{3}},
		{"takeAfter of the future finds nothing", 4, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(10, time.Minute)
			for _, e := range exits {
				s.put(e)
			}
			now := t0.Add(3 * time.Second)
			var got []int
			for {
				var e Exit
				var ok bool
				if tt.take {
					e, ok = s.take(7, now)
				} else {
					e, ok = s.takeAfter(7, tt.after, now)
				}
				if !ok {
					break
				}
				got = append(got, e.Code())
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("took codes %v, want %v", got, tt.want)
			}
			if e, ok := s.take(8, now); !ok || e.Code() != 5 {
				t.Errorf("exit of pid 8 = %+v, %v; want code 5 untouched", e, ok)
			}
		})
	}
}

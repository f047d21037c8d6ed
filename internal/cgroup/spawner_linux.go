package cgroup

import (
	"errors"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// spawner is an OS thread kept in the runtime cgroup of the memory
// hierarchy (cgroup v1), on which children are forked: a child is born in
// the cgroup of the thread that forks it. Moving a thread between cgroups
// costs the kernel an RCU grace period (about 5 ms) unless another move
// happened just before, so moving the caller's thread in and out for each
// child made every runtime invocation pay it; the spawner's thread moves
// once, and back when the Manager closes.
type spawner struct {
	once sync.Once
	err  error // set up failed (or closed first): children fork where called
	reqs chan spawnRequest
	stop chan struct{}
	done chan struct{} // closed when the thread serves no more
}

// spawnRequest is one child to fork on the spawner's thread.
type spawnRequest struct {
	start func() (int, error)
	errc  chan error
}

// errSpawnerGone means the spawner stopped (the Manager closed).
var errSpawnerGone = errors.New("cgroup spawner stopped")

// spawn runs start on the spawner's thread, set up at first use in the
// cgroup dir of the hierarchy at mount, and returns start's error. When
// handled is false the spawner is unavailable (err says why) and start
// did not run.
func (s *spawner) spawn(m *Manager, mount, dir string, start func() (int, error)) (handled bool, err error) {
	s.once.Do(func() { s.begin(m, mount, dir) })
	if s.err != nil {
		return false, s.err
	}
	req := spawnRequest{start: start, errc: make(chan error, 1)}
	select {
	case s.reqs <- req:
		return true, <-req.errc
	case <-s.done:
		return false, errSpawnerGone
	}
}

// prepare starts the spawner's thread ahead of the first spawn, unless
// it was started (or closed) before; a failure is kept for spawn to see.
func (s *spawner) prepare(m *Manager, mount, dir string) {
	s.once.Do(func() { s.begin(m, mount, dir) })
}

// begin starts the spawner's thread and waits until it is in the cgroup.
func (s *spawner) begin(m *Manager, mount, dir string) {
	s.reqs = make(chan spawnRequest)
	s.stop = make(chan struct{})
	s.done = make(chan struct{})
	ready := make(chan error, 1)
	go s.serve(m, mount, dir, ready)
	s.err = <-ready
}

// serve is the spawner's thread: it moves into the cgroup, forks what it
// is asked to until stop, then moves back to where it came from.
func (s *spawner) serve(m *Manager, mount, dir string, ready chan<- error) {
	defer close(s.done)
	runtime.LockOSThread()
	tid := unix.Gettid()
	home, err := threadCgroup(mount, m.sys.l, tid)
	if err == nil {
		err = writeFile(filepath.Join(mount, dir, "tasks"), strconv.Itoa(tid))
	}
	if err != nil {
		runtime.UnlockOSThread()
		ready <- err
		return
	}
	ready <- nil
	for {
		select {
		case r := <-s.reqs:
			_, err := r.start()
			r.errc <- err
		case <-s.stop:
			if err := writeFile(filepath.Join(mount, home, "tasks"), strconv.Itoa(tid)); err != nil {
				// Keep the thread locked: it is retired with this
				// goroutine rather than left to run others outside the
				// daemon's cgroup.
				m.log.WithError(err).Error("move the spawner thread back into its cgroup")
				return
			}
			runtime.UnlockOSThread()
			return
		}
	}
}

// close stops the spawner's thread, if it ever started, and waits for it
// to have left the cgroup; later spawns fork where called.
func (s *spawner) close() {
	s.once.Do(func() { s.err = errSpawnerGone })
	if s.stop != nil {
		close(s.stop)
		<-s.done
	}
}

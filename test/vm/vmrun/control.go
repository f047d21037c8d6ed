package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// control serves the guest's requests on the ttyS2 channel: one line per
// request, one line per answer ("ok ..." or "error ...").
type control struct {
	work string
	log  io.Writer

	mu   sync.Mutex
	conn net.Conn
	qmp  *qmpClient
	done []string
}

func (c *control) logf(format string, args ...any) {
	fmt.Fprintf(c.log, "vmrun: control: "+format+"\n", args...)
}

func (c *control) requests() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.done...)
}

func (c *control) serve() {
	path := filepath.Join(c.work, "ctl.sock")
	var conn net.Conn
	var err error
	for i := 0; i < 200; i++ {
		if conn, err = net.Dial("unix", path); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		c.logf("cannot connect to %s: %v", path, err)
		return
	}
	c.mu.Lock()
	c.conn = conn
	c.mu.Unlock()
	r := bufio.NewReader(conn)
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			return
		}
		req := strings.TrimSpace(strings.TrimRight(l, "\r\n"))
		if req == "" {
			continue
		}
		answer := c.handle(req)
		c.logf("%q -> %q", req, answer)
		c.mu.Lock()
		c.done = append(c.done, fmt.Sprintf("%q -> %q", req, answer))
		c.mu.Unlock()
		if _, err := io.WriteString(conn, answer+"\n"); err != nil {
			return
		}
	}
}

func (c *control) handle(req string) string {
	f := strings.Fields(req)
	switch f[0] {
	case "ping":
		return "ok pong"
	case "hotadd-scsi":
		if len(f) != 2 || f[1] != strconv.Itoa(hotplugLUN) {
			return fmt.Sprintf("error only LUN %d can be hot-added", hotplugLUN)
		}
		if err := c.hotAdd(hotplugLUN); err != nil {
			return "error " + err.Error()
		}
		return "ok"
	}
	return "error unknown request " + strconv.Quote(f[0])
}

// hotAdd attaches the prepared disk at lun through QMP, as HCS adds a SCSI
// disk to a running utility VM.
func (c *control) hotAdd(lun int) error {
	if c.qmp == nil {
		q, err := dialQMP(filepath.Join(c.work, "qmp.sock"))
		if err != nil {
			return err
		}
		c.qmp = q
	}
	node := fmt.Sprintf("hot%d", lun)
	img := filepath.Join(c.work, fmt.Sprintf("scsi-lun%d.img", lun))
	if _, err := c.qmp.execute("blockdev-add", map[string]any{
		"node-name": node, "driver": "raw",
		"file": map[string]any{"driver": "file", "filename": img},
	}); err != nil {
		return err
	}
	_, err := c.qmp.execute("device_add", map[string]any{
		"driver": "scsi-hd", "id": fmt.Sprintf("disk%d", lun), "drive": node,
		"bus": "scsi0.0", "channel": 0, "scsi-id": 0, "lun": lun,
	})
	return err
}

func (c *control) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		c.conn.Close()
	}
	if c.qmp != nil {
		c.qmp.conn.Close()
	}
}

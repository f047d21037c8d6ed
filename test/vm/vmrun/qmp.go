package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"time"
)

// qmpClient speaks the QEMU Machine Protocol on a unix socket.
type qmpClient struct {
	conn net.Conn
	r    *bufio.Reader
}

func dialQMP(path string) (*qmpClient, error) {
	conn, err := net.Dial("unix", path)
	if err != nil {
		return nil, fmt.Errorf("qmp: %w", err)
	}
	q := &qmpClient{conn: conn, r: bufio.NewReader(conn)}
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := q.r.ReadString('\n'); err != nil { // the greeting
		conn.Close()
		return nil, fmt.Errorf("qmp greeting: %w", err)
	}
	if _, err := q.execute("qmp_capabilities", nil); err != nil {
		conn.Close()
		return nil, err
	}
	return q, nil
}

// execute runs one command and returns its "return" value; events that
// arrive in between are skipped.
func (q *qmpClient) execute(cmd string, args map[string]any) (json.RawMessage, error) {
	req := map[string]any{"execute": cmd}
	if args != nil {
		req["arguments"] = args
	}
	b, _ := json.Marshal(req)
	q.conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := q.conn.Write(append(b, '\n')); err != nil {
		return nil, fmt.Errorf("qmp %s: %w", cmd, err)
	}
	for {
		l, err := q.r.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("qmp %s: %w", cmd, err)
		}
		var resp struct {
			Return json.RawMessage `json:"return"`
			Error  *struct {
				Class string `json:"class"`
				Desc  string `json:"desc"`
			} `json:"error"`
			Event string `json:"event"`
		}
		if err := json.Unmarshal([]byte(l), &resp); err != nil {
			return nil, fmt.Errorf("qmp %s: bad reply %q", cmd, l)
		}
		switch {
		case resp.Event != "":
			continue
		case resp.Error != nil:
			return nil, fmt.Errorf("qmp %s: %s: %s", cmd, resp.Error.Class, resp.Error.Desc)
		default:
			return resp.Return, nil
		}
	}
}

// qmpCommand is "vmrun qmp SOCKET JSON...": send commands to a running VM
// (for example from a second terminal while make vm-shell runs).
func qmpCommand(args []string) int {
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, `usage: vmrun qmp SOCKET '{"execute":"query-block"}' ...`)
		return 2
	}
	q, err := dialQMP(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "vmrun:", err)
		return 1
	}
	defer q.conn.Close()
	for _, a := range args[1:] {
		var req struct {
			Execute   string         `json:"execute"`
			Arguments map[string]any `json:"arguments"`
		}
		if err := json.Unmarshal([]byte(a), &req); err != nil || req.Execute == "" {
			fmt.Fprintf(os.Stderr, "vmrun: %q is not a QMP command object\n", a)
			return 2
		}
		ret, err := q.execute(req.Execute, req.Arguments)
		if err != nil {
			fmt.Fprintln(os.Stderr, "vmrun:", err)
			return 1
		}
		fmt.Println(string(ret))
	}
	return 0
}

package hcsv2

import (
	"context"

	"github.com/linux-gcs/gcs/internal/bridge"
	"github.com/linux-gcs/gcs/internal/prot"
)

// handleWaitForProcess replies once the process has exited and its output
// has been relayed. It writes its own reply so that a wait on an init is
// counted as answered only after the reply is on the wire (or held for the
// next connection). A wait may last as long as the process: it keeps what it
// decoded and releases the body at once.
func (h *Host) handleWaitForProcess(ctx context.Context, w bridge.ResponseWriter, r *bridge.Request) {
	var req prot.ContainerWaitForProcess
	err := decode(r, &req)
	r.Release()
	if err != nil {
		w.Error(err)
		return
	}
	if req.ContainerID == prot.NullContainerID {
		p, err := h.uvmProcess(req.ProcessID)
		if err != nil {
			w.Error(err)
			return
		}
		code, err := p.wait(ctx, req.TimeoutInMs)
		if err != nil {
			w.Error(err)
			return
		}
		h.releaseUVMProcess(p)
		w.Respond(&prot.ContainerWaitForProcessResponse{ExitCode: code})
		return
	}
	c, err := h.container(req.ContainerID)
	if err != nil {
		w.Error(err)
		return
	}
	p, err := c.process(req.ProcessID)
	if err != nil {
		w.Error(err)
		return
	}
	isInit := p == c.init
	if isInit {
		c.beginInitWait()
	}
	code, err := p.wait(ctx, req.TimeoutInMs)
	if err != nil {
		w.Error(err)
	} else {
		if !isInit {
			c.releaseExec(p)
		}
		w.Respond(&prot.ContainerWaitForProcessResponse{ExitCode: code})
	}
	if isInit {
		c.endInitWait(err == nil)
	}
}

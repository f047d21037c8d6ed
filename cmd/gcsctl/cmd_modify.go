package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/linux-gcs/gcs/internal/prot"
)

// modifyCommand sends any ModificationRequest.
func modifyCommand() command {
	return command{
		name:    "modify",
		args:    "[--container ID] FILE|-",
		summary: "send the ModificationRequest JSON in FILE (- for stdin) with ModifySettings",
		detail: `FILE holds a ModificationRequest object, as the host sends it:
  {"ResourceType": "MappedDirectory", "RequestType": "Add",
   "Settings": {"MountPath": "/mnt/share", "Port": 564}}
Its Settings are sent as written. Without --container it is for the utility VM
(the null container id).`,
		negotiate: true,
		setup: func(fs *flag.FlagSet) parseFunc {
			id := fs.String("container", prot.NullContainerID, "container `ID` the request is for")
			return func(args []string, stdin io.Reader) (action, error) {
				if len(args) != 1 {
					return nil, usageErrorf("modify wants FILE or -, got %d arguments", len(args))
				}
				if *id != prot.NullContainerID {
					if err := checkID(*id); err != nil {
						return nil, err
					}
				}
				req, err := readModification(args[0], stdin)
				if err != nil {
					return nil, err
				}
				return func(ctx context.Context, s *session) error {
					return s.modify(ctx, *id, req)
				}, nil
			}
		},
	}
}

// readModification reads a ModificationRequest from file, or stdin for
// "-", keeping its Settings as written.
func readModification(file string, stdin io.Reader) (*prot.ModificationRequest, error) {
	var b []byte
	var err error
	if file == "-" {
		b, err = io.ReadAll(stdin)
	} else {
		b, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, fmt.Errorf("read the modification request: %w", err)
	}
	var raw struct {
		ResourceType prot.ResourceType
		RequestType  prot.RequestType
		Settings     json.RawMessage
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, usageErrorf("modify: %s is not a ModificationRequest object: %v", file, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, usageErrorf("modify: %s holds more than one JSON value", file)
	}
	if raw.ResourceType == "" {
		return nil, usageErrorf("modify: %s has no ResourceType", file)
	}
	req := &prot.ModificationRequest{ResourceType: raw.ResourceType, RequestType: raw.RequestType}
	if len(raw.Settings) > 0 {
		req.Settings = raw.Settings
	}
	return req, nil
}

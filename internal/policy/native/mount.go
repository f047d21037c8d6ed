package native

import "github.com/linux-gcs/gcs/internal/policy/engine"

// mountDevice is the framework's mount_device for a policy that loaded no
// fragment: the target is not in use, the hash is one of the policy's
// layers, and the target matches the guest's mount path expression.
func (p *Plan) mountDevice(input map[string]any, meta engine.Metadata) (engine.Result, []engine.Op, bool) {
	target, ok1 := input["target"].(string)
	hash, ok2 := input["deviceHash"].(string)
	pathRegex, ok3 := input["mountPathRegex"].(string)
	if !ok1 || !ok2 || !ok3 {
		return nil, nil, false
	}
	// Fragments' layers count too (known_layer): leave those to OPA.
	if _, loaded := meta["issuers"]; loaded {
		return nil, nil, false
	}
	for _, name := range []string{"devices", "rw_devices"} {
		if entry, present := meta[name]; present {
			devices, isMap := entry.(map[string]any)
			if !isMap {
				return nil, nil, false
			}
			if _, used := devices[target]; used {
				return nil, nil, false
			}
		}
	}
	if !p.mount.layers[hash] {
		return nil, nil, false
	}
	if matched, ok := p.re.match(pathRegex, target); !ok || !matched {
		return nil, nil, false
	}
	op := engine.Op{Action: engine.OpAdd, Type: engine.OpMap, Name: "devices", Key: target, Value: hash}
	return engine.Result{"allowed": true}, []engine.Op{op}, true
}

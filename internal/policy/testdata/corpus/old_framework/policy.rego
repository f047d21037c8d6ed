package policy

api_version := "0.1.0"
framework_version := "0.1.0"

containers := [
    {
        "command": ["/old/app"],
        "env_rules": [{"pattern": "PATH=.+", "strategy": "re2", "required": false}],
        "layers": ["0101010101010101010101010101010101010101010101010101010101010101"],
        "mounts": [],
        "exec_processes": [{"command": ["sh"]}],
        "signals": [],
        "allow_elevated": true,
        "working_dir": "/",
        "allow_stdio_access": true,
    },
    {
        "command": ["/old/broken"],
        "layers": ["0202020202020202020202020202020202020202020202020202020202020202"],
    },
]

external_processes := [
    {"command": ["ps"], "env_rules": [], "working_dir": "/", "allow_stdio_access": true},
]

allow_capability_dropping := true

mount_device := data.framework.mount_device
mount_overlay := data.framework.mount_overlay
create_container := data.framework.create_container
reason := {"errors": data.framework.errors}

package oldfrag

svn := "1"
framework_version := "0.1.0"

containers := [
    {
        "command": ["/old"],
        "env_rules": [],
        "layers": ["0808080808080808080808080808080808080808080808080808080808080808"],
        "mounts": [],
        "exec_processes": [],
        "signals": [],
        "allow_elevated": false,
        "working_dir": "/",
        "allow_stdio_access": false,
    },
]

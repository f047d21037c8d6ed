package infra

svn := "2"
framework_version := "0.5.0"

containers := [
    {
        "command": ["/fragment/app"],
        "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}],
        "layers": ["0909090909090909090909090909090909090909090909090909090909090909"],
        "capabilities": null,
        "mounts": [],
        "exec_processes": [],
        "signals": [],
        "user": {"user_idname": {"pattern": "", "strategy": "any"}, "group_idnames": [{"pattern": "", "strategy": "any"}], "umask": "0022"},
        "seccomp_profile_sha256": "",
        "allow_elevated": false,
        "working_dir": "/",
        "allow_stdio_access": true,
        "no_new_privileges": false,
    },
]

external_processes := [
    {"command": ["fragment-tool"], "env_rules": [], "working_dir": "/", "allow_stdio_access": true},
]

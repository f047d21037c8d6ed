package policy

api_version := "0.12.0"
framework_version := "0.5.0"

containers := [
    {
        "command": ["/bin/svc0", "--serve"],
        "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}, {"pattern": "SVC_0_.+=.+", "strategy": "re2", "required": false}],
        "layers": ["1414141414141414141414141414141414141414141414141414141414141414", "3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c"],
        "capabilities": {
            "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "effective": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "inheritable": [],
            "permitted": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "ambient": [],
        },
        "mounts": [{"destination": "/data", "options": ["rbind", "rshared", "rw"], "source": "sandbox:///tmp/atlas/emptydir/.+", "type": "bind"}],
        "exec_processes": [{"command": ["sh"], "signals": []}],
        "signals": [15],
        "user": {
            "user_idname": {"pattern": "", "strategy": "any"},
            "group_idnames": [{"pattern": "", "strategy": "any"}],
            "umask": "0022"
        },
        "seccomp_profile_sha256": "",
        "allow_elevated": false,
        "working_dir": "/",
        "allow_stdio_access": true,
        "no_new_privileges": false,
    },
    {
        "command": ["/bin/svc1", "--serve"],
        "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}, {"pattern": "SVC_1_.+=.+", "strategy": "re2", "required": false}],
        "layers": ["1515151515151515151515151515151515151515151515151515151515151515", "3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d"],
        "capabilities": {
            "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "effective": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "inheritable": [],
            "permitted": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "ambient": [],
        },
        "mounts": [{"destination": "/data", "options": ["rbind", "rshared", "rw"], "source": "sandbox:///tmp/atlas/emptydir/.+", "type": "bind"}],
        "exec_processes": [{"command": ["sh"], "signals": []}],
        "signals": [15],
        "user": {
            "user_idname": {"pattern": "", "strategy": "any"},
            "group_idnames": [{"pattern": "", "strategy": "any"}],
            "umask": "0022"
        },
        "seccomp_profile_sha256": "",
        "allow_elevated": false,
        "working_dir": "/",
        "allow_stdio_access": true,
        "no_new_privileges": false,
    },
    {
        "command": ["/bin/svc2", "--serve"],
        "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}, {"pattern": "SVC_2_.+=.+", "strategy": "re2", "required": false}],
        "layers": ["1616161616161616161616161616161616161616161616161616161616161616", "3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e"],
        "capabilities": {
            "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "effective": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "inheritable": [],
            "permitted": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "ambient": [],
        },
        "mounts": [{"destination": "/data", "options": ["rbind", "rshared", "rw"], "source": "sandbox:///tmp/atlas/emptydir/.+", "type": "bind"}],
        "exec_processes": [{"command": ["sh"], "signals": []}],
        "signals": [15],
        "user": {
            "user_idname": {"pattern": "", "strategy": "any"},
            "group_idnames": [{"pattern": "", "strategy": "any"}],
            "umask": "0022"
        },
        "seccomp_profile_sha256": "",
        "allow_elevated": false,
        "working_dir": "/",
        "allow_stdio_access": true,
        "no_new_privileges": false,
    },
    {
        "command": ["/bin/svc3", "--serve"],
        "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}, {"pattern": "SVC_3_.+=.+", "strategy": "re2", "required": false}],
        "layers": ["1717171717171717171717171717171717171717171717171717171717171717", "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"],
        "capabilities": {
            "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "effective": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "inheritable": [],
            "permitted": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "ambient": [],
        },
        "mounts": [{"destination": "/data", "options": ["rbind", "rshared", "rw"], "source": "sandbox:///tmp/atlas/emptydir/.+", "type": "bind"}],
        "exec_processes": [{"command": ["sh"], "signals": []}],
        "signals": [15],
        "user": {
            "user_idname": {"pattern": "", "strategy": "any"},
            "group_idnames": [{"pattern": "", "strategy": "any"}],
            "umask": "0022"
        },
        "seccomp_profile_sha256": "",
        "allow_elevated": false,
        "working_dir": "/",
        "allow_stdio_access": true,
        "no_new_privileges": false,
    },
    {
        "command": ["/bin/svc4", "--serve"],
        "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}, {"pattern": "SVC_4_.+=.+", "strategy": "re2", "required": false}],
        "layers": ["1818181818181818181818181818181818181818181818181818181818181818", "4040404040404040404040404040404040404040404040404040404040404040"],
        "capabilities": {
            "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "effective": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "inheritable": [],
            "permitted": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "ambient": [],
        },
        "mounts": [{"destination": "/data", "options": ["rbind", "rshared", "rw"], "source": "sandbox:///tmp/atlas/emptydir/.+", "type": "bind"}],
        "exec_processes": [{"command": ["sh"], "signals": []}],
        "signals": [15],
        "user": {
            "user_idname": {"pattern": "", "strategy": "any"},
            "group_idnames": [{"pattern": "", "strategy": "any"}],
            "umask": "0022"
        },
        "seccomp_profile_sha256": "",
        "allow_elevated": false,
        "working_dir": "/",
        "allow_stdio_access": true,
        "no_new_privileges": false,
    },
    {
        "command": ["/bin/svc5", "--serve"],
        "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}, {"pattern": "SVC_5_.+=.+", "strategy": "re2", "required": false}],
        "layers": ["1919191919191919191919191919191919191919191919191919191919191919", "4141414141414141414141414141414141414141414141414141414141414141"],
        "capabilities": {
            "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "effective": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "inheritable": [],
            "permitted": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "ambient": [],
        },
        "mounts": [{"destination": "/data", "options": ["rbind", "rshared", "rw"], "source": "sandbox:///tmp/atlas/emptydir/.+", "type": "bind"}],
        "exec_processes": [{"command": ["sh"], "signals": []}],
        "signals": [15],
        "user": {
            "user_idname": {"pattern": "", "strategy": "any"},
            "group_idnames": [{"pattern": "", "strategy": "any"}],
            "umask": "0022"
        },
        "seccomp_profile_sha256": "",
        "allow_elevated": false,
        "working_dir": "/",
        "allow_stdio_access": true,
        "no_new_privileges": false,
    },
    {
        "command": ["/bin/svc6", "--serve"],
        "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}, {"pattern": "SVC_6_.+=.+", "strategy": "re2", "required": false}],
        "layers": ["1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a", "4242424242424242424242424242424242424242424242424242424242424242"],
        "capabilities": {
            "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "effective": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "inheritable": [],
            "permitted": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "ambient": [],
        },
        "mounts": [{"destination": "/data", "options": ["rbind", "rshared", "rw"], "source": "sandbox:///tmp/atlas/emptydir/.+", "type": "bind"}],
        "exec_processes": [{"command": ["sh"], "signals": []}],
        "signals": [15],
        "user": {
            "user_idname": {"pattern": "", "strategy": "any"},
            "group_idnames": [{"pattern": "", "strategy": "any"}],
            "umask": "0022"
        },
        "seccomp_profile_sha256": "",
        "allow_elevated": false,
        "working_dir": "/",
        "allow_stdio_access": true,
        "no_new_privileges": false,
    },
    {
        "command": ["/bin/svc7", "--serve"],
        "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}, {"pattern": "SVC_7_.+=.+", "strategy": "re2", "required": false}],
        "layers": ["1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b", "4343434343434343434343434343434343434343434343434343434343434343"],
        "capabilities": {
            "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "effective": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "inheritable": [],
            "permitted": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "ambient": [],
        },
        "mounts": [{"destination": "/data", "options": ["rbind", "rshared", "rw"], "source": "sandbox:///tmp/atlas/emptydir/.+", "type": "bind"}],
        "exec_processes": [{"command": ["sh"], "signals": []}],
        "signals": [15],
        "user": {
            "user_idname": {"pattern": "", "strategy": "any"},
            "group_idnames": [{"pattern": "", "strategy": "any"}],
            "umask": "0022"
        },
        "seccomp_profile_sha256": "",
        "allow_elevated": false,
        "working_dir": "/",
        "allow_stdio_access": true,
        "no_new_privileges": false,
    },
    {
        "command": ["/bin/svc8", "--serve"],
        "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}, {"pattern": "SVC_8_.+=.+", "strategy": "re2", "required": false}],
        "layers": ["1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c", "4444444444444444444444444444444444444444444444444444444444444444"],
        "capabilities": {
            "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "effective": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "inheritable": [],
            "permitted": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "ambient": [],
        },
        "mounts": [{"destination": "/data", "options": ["rbind", "rshared", "rw"], "source": "sandbox:///tmp/atlas/emptydir/.+", "type": "bind"}],
        "exec_processes": [{"command": ["sh"], "signals": []}],
        "signals": [15],
        "user": {
            "user_idname": {"pattern": "", "strategy": "any"},
            "group_idnames": [{"pattern": "", "strategy": "any"}],
            "umask": "0022"
        },
        "seccomp_profile_sha256": "",
        "allow_elevated": false,
        "working_dir": "/",
        "allow_stdio_access": true,
        "no_new_privileges": false,
    },
    {
        "command": ["/bin/svc9", "--serve"],
        "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}, {"pattern": "SVC_9_.+=.+", "strategy": "re2", "required": false}],
        "layers": ["1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d", "4545454545454545454545454545454545454545454545454545454545454545"],
        "capabilities": {
            "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "effective": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "inheritable": [],
            "permitted": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "ambient": [],
        },
        "mounts": [{"destination": "/data", "options": ["rbind", "rshared", "rw"], "source": "sandbox:///tmp/atlas/emptydir/.+", "type": "bind"}],
        "exec_processes": [{"command": ["sh"], "signals": []}],
        "signals": [15],
        "user": {
            "user_idname": {"pattern": "", "strategy": "any"},
            "group_idnames": [{"pattern": "", "strategy": "any"}],
            "umask": "0022"
        },
        "seccomp_profile_sha256": "",
        "allow_elevated": false,
        "working_dir": "/",
        "allow_stdio_access": true,
        "no_new_privileges": false,
    },
    {
        "command": ["/bin/svc10", "--serve"],
        "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}, {"pattern": "SVC_10_.+=.+", "strategy": "re2", "required": false}],
        "layers": ["1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e", "4646464646464646464646464646464646464646464646464646464646464646"],
        "capabilities": {
            "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "effective": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "inheritable": [],
            "permitted": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "ambient": [],
        },
        "mounts": [{"destination": "/data", "options": ["rbind", "rshared", "rw"], "source": "sandbox:///tmp/atlas/emptydir/.+", "type": "bind"}],
        "exec_processes": [{"command": ["sh"], "signals": []}],
        "signals": [15],
        "user": {
            "user_idname": {"pattern": "", "strategy": "any"},
            "group_idnames": [{"pattern": "", "strategy": "any"}],
            "umask": "0022"
        },
        "seccomp_profile_sha256": "",
        "allow_elevated": false,
        "working_dir": "/",
        "allow_stdio_access": true,
        "no_new_privileges": false,
    },
    {
        "command": ["/bin/svc11", "--serve"],
        "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}, {"pattern": "SVC_11_.+=.+", "strategy": "re2", "required": false}],
        "layers": ["1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f", "4747474747474747474747474747474747474747474747474747474747474747"],
        "capabilities": {
            "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "effective": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "inheritable": [],
            "permitted": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "ambient": [],
        },
        "mounts": [{"destination": "/data", "options": ["rbind", "rshared", "rw"], "source": "sandbox:///tmp/atlas/emptydir/.+", "type": "bind"}],
        "exec_processes": [{"command": ["sh"], "signals": []}],
        "signals": [15],
        "user": {
            "user_idname": {"pattern": "", "strategy": "any"},
            "group_idnames": [{"pattern": "", "strategy": "any"}],
            "umask": "0022"
        },
        "seccomp_profile_sha256": "",
        "allow_elevated": false,
        "working_dir": "/",
        "allow_stdio_access": true,
        "no_new_privileges": false,
    },
    {
        "command": ["/bin/svc12", "--serve"],
        "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}, {"pattern": "SVC_12_.+=.+", "strategy": "re2", "required": false}],
        "layers": ["2020202020202020202020202020202020202020202020202020202020202020", "4848484848484848484848484848484848484848484848484848484848484848"],
        "capabilities": {
            "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "effective": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "inheritable": [],
            "permitted": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "ambient": [],
        },
        "mounts": [{"destination": "/data", "options": ["rbind", "rshared", "rw"], "source": "sandbox:///tmp/atlas/emptydir/.+", "type": "bind"}],
        "exec_processes": [{"command": ["sh"], "signals": []}],
        "signals": [15],
        "user": {
            "user_idname": {"pattern": "", "strategy": "any"},
            "group_idnames": [{"pattern": "", "strategy": "any"}],
            "umask": "0022"
        },
        "seccomp_profile_sha256": "",
        "allow_elevated": false,
        "working_dir": "/",
        "allow_stdio_access": true,
        "no_new_privileges": false,
    },
    {
        "command": ["/bin/svc13", "--serve"],
        "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}, {"pattern": "SVC_13_.+=.+", "strategy": "re2", "required": false}],
        "layers": ["2121212121212121212121212121212121212121212121212121212121212121", "4949494949494949494949494949494949494949494949494949494949494949"],
        "capabilities": {
            "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "effective": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "inheritable": [],
            "permitted": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "ambient": [],
        },
        "mounts": [{"destination": "/data", "options": ["rbind", "rshared", "rw"], "source": "sandbox:///tmp/atlas/emptydir/.+", "type": "bind"}],
        "exec_processes": [{"command": ["sh"], "signals": []}],
        "signals": [15],
        "user": {
            "user_idname": {"pattern": "", "strategy": "any"},
            "group_idnames": [{"pattern": "", "strategy": "any"}],
            "umask": "0022"
        },
        "seccomp_profile_sha256": "",
        "allow_elevated": false,
        "working_dir": "/",
        "allow_stdio_access": true,
        "no_new_privileges": false,
    },
    {
        "command": ["/bin/svc14", "--serve"],
        "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}, {"pattern": "SVC_14_.+=.+", "strategy": "re2", "required": false}],
        "layers": ["2222222222222222222222222222222222222222222222222222222222222222", "4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a"],
        "capabilities": {
            "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "effective": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "inheritable": [],
            "permitted": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "ambient": [],
        },
        "mounts": [{"destination": "/data", "options": ["rbind", "rshared", "rw"], "source": "sandbox:///tmp/atlas/emptydir/.+", "type": "bind"}],
        "exec_processes": [{"command": ["sh"], "signals": []}],
        "signals": [15],
        "user": {
            "user_idname": {"pattern": "", "strategy": "any"},
            "group_idnames": [{"pattern": "", "strategy": "any"}],
            "umask": "0022"
        },
        "seccomp_profile_sha256": "",
        "allow_elevated": false,
        "working_dir": "/",
        "allow_stdio_access": true,
        "no_new_privileges": false,
    },
    {
        "command": ["/bin/svc15", "--serve"],
        "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}, {"pattern": "SVC_15_.+=.+", "strategy": "re2", "required": false}],
        "layers": ["2323232323232323232323232323232323232323232323232323232323232323", "4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b"],
        "capabilities": {
            "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "effective": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "inheritable": [],
            "permitted": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "ambient": [],
        },
        "mounts": [{"destination": "/data", "options": ["rbind", "rshared", "rw"], "source": "sandbox:///tmp/atlas/emptydir/.+", "type": "bind"}],
        "exec_processes": [{"command": ["sh"], "signals": []}],
        "signals": [15],
        "user": {
            "user_idname": {"pattern": "", "strategy": "any"},
            "group_idnames": [{"pattern": "", "strategy": "any"}],
            "umask": "0022"
        },
        "seccomp_profile_sha256": "",
        "allow_elevated": false,
        "working_dir": "/",
        "allow_stdio_access": true,
        "no_new_privileges": false,
    },
    {
        "command": ["/bin/svc16", "--serve"],
        "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}, {"pattern": "SVC_16_.+=.+", "strategy": "re2", "required": false}],
        "layers": ["2424242424242424242424242424242424242424242424242424242424242424", "4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c"],
        "capabilities": {
            "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "effective": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "inheritable": [],
            "permitted": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "ambient": [],
        },
        "mounts": [{"destination": "/data", "options": ["rbind", "rshared", "rw"], "source": "sandbox:///tmp/atlas/emptydir/.+", "type": "bind"}],
        "exec_processes": [{"command": ["sh"], "signals": []}],
        "signals": [15],
        "user": {
            "user_idname": {"pattern": "", "strategy": "any"},
            "group_idnames": [{"pattern": "", "strategy": "any"}],
            "umask": "0022"
        },
        "seccomp_profile_sha256": "",
        "allow_elevated": false,
        "working_dir": "/",
        "allow_stdio_access": true,
        "no_new_privileges": false,
    },
    {
        "command": ["/bin/svc17", "--serve"],
        "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}, {"pattern": "SVC_17_.+=.+", "strategy": "re2", "required": false}],
        "layers": ["2525252525252525252525252525252525252525252525252525252525252525", "4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d"],
        "capabilities": {
            "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "effective": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "inheritable": [],
            "permitted": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "ambient": [],
        },
        "mounts": [{"destination": "/data", "options": ["rbind", "rshared", "rw"], "source": "sandbox:///tmp/atlas/emptydir/.+", "type": "bind"}],
        "exec_processes": [{"command": ["sh"], "signals": []}],
        "signals": [15],
        "user": {
            "user_idname": {"pattern": "", "strategy": "any"},
            "group_idnames": [{"pattern": "", "strategy": "any"}],
            "umask": "0022"
        },
        "seccomp_profile_sha256": "",
        "allow_elevated": false,
        "working_dir": "/",
        "allow_stdio_access": true,
        "no_new_privileges": false,
    },
    {
        "command": ["/bin/svc18", "--serve"],
        "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}, {"pattern": "SVC_18_.+=.+", "strategy": "re2", "required": false}],
        "layers": ["2626262626262626262626262626262626262626262626262626262626262626", "4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e"],
        "capabilities": {
            "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "effective": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "inheritable": [],
            "permitted": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "ambient": [],
        },
        "mounts": [{"destination": "/data", "options": ["rbind", "rshared", "rw"], "source": "sandbox:///tmp/atlas/emptydir/.+", "type": "bind"}],
        "exec_processes": [{"command": ["sh"], "signals": []}],
        "signals": [15],
        "user": {
            "user_idname": {"pattern": "", "strategy": "any"},
            "group_idnames": [{"pattern": "", "strategy": "any"}],
            "umask": "0022"
        },
        "seccomp_profile_sha256": "",
        "allow_elevated": false,
        "working_dir": "/",
        "allow_stdio_access": true,
        "no_new_privileges": false,
    },
    {
        "command": ["/bin/svc19", "--serve"],
        "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}, {"pattern": "SVC_19_.+=.+", "strategy": "re2", "required": false}],
        "layers": ["2727272727272727272727272727272727272727272727272727272727272727", "4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f"],
        "capabilities": {
            "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "effective": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "inheritable": [],
            "permitted": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "ambient": [],
        },
        "mounts": [{"destination": "/data", "options": ["rbind", "rshared", "rw"], "source": "sandbox:///tmp/atlas/emptydir/.+", "type": "bind"}],
        "exec_processes": [{"command": ["sh"], "signals": []}],
        "signals": [15],
        "user": {
            "user_idname": {"pattern": "", "strategy": "any"},
            "group_idnames": [{"pattern": "", "strategy": "any"}],
            "umask": "0022"
        },
        "seccomp_profile_sha256": "",
        "allow_elevated": false,
        "working_dir": "/",
        "allow_stdio_access": true,
        "no_new_privileges": false,
    },
]
allow_properties_access := true
allow_dump_stacks := false
allow_runtime_logging := false
allow_host_network := false
allow_environment_variable_dropping := false
allow_unencrypted_scratch := false
allow_capability_dropping := false
allow_log_provider_dropping := false


mount_device := data.framework.mount_device
rw_mount_device := data.framework.rw_mount_device
mount_blockdev := data.framework.mount_blockdev
unmount_device := data.framework.unmount_device
rw_unmount_device := data.framework.rw_unmount_device
unmount_blockdev := data.framework.unmount_blockdev
mount_overlay := data.framework.mount_overlay
unmount_overlay := data.framework.unmount_overlay
mount_cims:= data.framework.mount_cims
registry_changes := data.framework.registry_changes
create_container := data.framework.create_container
exec_in_container := data.framework.exec_in_container
exec_external := data.framework.exec_external
shutdown_container := data.framework.shutdown_container
signal_container_process := data.framework.signal_container_process
plan9_mount := data.framework.plan9_mount
plan9_unmount := data.framework.plan9_unmount
get_properties := data.framework.get_properties
dump_stacks := data.framework.dump_stacks
runtime_logging := data.framework.runtime_logging
load_fragment := data.framework.load_fragment
scratch_mount := data.framework.scratch_mount
scratch_unmount := data.framework.scratch_unmount
log_provider := data.framework.log_provider
load_transparency_trust_list := data.framework.load_transparency_trust_list
host_network := data.framework.host_network
reason := data.framework.reason

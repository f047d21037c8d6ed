package policy

api_version := "0.12.0"
framework_version := "0.5.0"

fragments := [
    {"issuer": "did:web:contoso.github.io", "feed": "contoso.azurecr.io/infra", "minimum_svn": "1", "includes": ["containers", "fragments", "external_processes"]},
    {"issuer": "did:web:contoso.github.io", "feed": "contoso.azurecr.io/ns", "minimum_svn": "1", "includes": ["containers", "namespace"]},
]
containers := [
    {
        "command": ["/pause"],
        "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}, {"pattern": "TERM=xterm", "strategy": "string", "required": false}],
        "layers": ["0101010101010101010101010101010101010101010101010101010101010101"],
        "capabilities": {
            "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "effective": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "inheritable": [],
            "permitted": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "ambient": [],
        },
        "mounts": [],
        "exec_processes": [],
        "signals": [],
        "user": {
            "user_idname": {"pattern": "", "strategy": "any"},
            "group_idnames": [{"pattern": "", "strategy": "any"}],
            "umask": "0022"
        },
        "seccomp_profile_sha256": "",
        "allow_elevated": false,
        "working_dir": "/",
        "allow_stdio_access": false,
        "no_new_privileges": false,
    },
    {
        "command": ["python3", "app.py"],
        "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}, {"pattern": "APP_.+=.+", "strategy": "re2", "required": false}, {"name": "MODE", "name_strategy": "string", "value": "(prod|test)", "value_strategy": "re2", "required": true}],
        "layers": ["0202020202020202020202020202020202020202020202020202020202020202", "0303030303030303030303030303030303030303030303030303030303030303"],
        "capabilities": {
            "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
            "effective": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
            "inheritable": [],
            "permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
            "ambient": [],
        },
        "mounts": [{"destination": "/data", "options": ["rbind", "rshared", "rw"], "source": "sandbox:///tmp/atlas/emptydir/.+", "type": "bind"}],
        "exec_processes": [{"command": ["sh"], "signals": [15]},{"command": ["top", "-b"], "signals": []}],
        "signals": [9, 15],
        "user": {
            "user_idname": {"pattern": "1000", "strategy": "id"},
            "group_idnames": [{"pattern": "1000", "strategy": "id"}, {"pattern": "^adm.*$", "strategy": "re2"}],
            "umask": "0022"
        },
        "seccomp_profile_sha256": "abababababababababababababababababababababababababababababababab",
        "allow_elevated": false,
        "working_dir": "/app",
        "allow_stdio_access": true,
        "no_new_privileges": true,
    },
    {
        "command": ["/bin/agent"],
        "env_rules": [{"pattern": ".+", "strategy": "re2", "required": false}],
        "layers": ["0404040404040404040404040404040404040404040404040404040404040404"],
        "capabilities": null,
        "mounts": [],
        "exec_processes": [],
        "signals": [15],
        "user": {
            "user_idname": {"pattern": "", "strategy": "any"},
            "group_idnames": [{"pattern": "", "strategy": "any"}],
            "umask": "0022"
        },
        "seccomp_profile_sha256": "",
        "allow_elevated": true,
        "working_dir": "/",
        "allow_stdio_access": true,
        "no_new_privileges": false,
    },
    {
        "command": ["/srv"],
        "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}],
        "layers": ["0505050505050505050505050505050505050505050505050505050505050505"],
        "capabilities": {
            "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "effective": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "inheritable": [],
            "permitted": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "ambient": [],
        },
        "mounts": [],
        "exec_processes": [],
        "signals": [],
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
        "command": ["/srv"],
        "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}],
        "layers": ["0505050505050505050505050505050505050505050505050505050505050505"],
        "capabilities": {
            "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "effective": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "inheritable": [],
            "permitted": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "ambient": [],
        },
        "mounts": [],
        "exec_processes": [],
        "signals": [],
        "user": {
            "user_idname": {"pattern": "", "strategy": "any"},
            "group_idnames": [{"pattern": "", "strategy": "any"}],
            "umask": "0022"
        },
        "seccomp_profile_sha256": "",
        "allow_elevated": false,
        "working_dir": "/",
        "allow_stdio_access": false,
        "no_new_privileges": false,
    },
    {
        "command": ["/job"],
        "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}, {"pattern": "A=1", "strategy": "string", "required": false}],
        "layers": ["0606060606060606060606060606060606060606060606060606060606060606"],
        "capabilities": {
            "bounding": ["CAP_KILL", "CAP_CHOWN"],
            "effective": ["CAP_KILL", "CAP_CHOWN"],
            "inheritable": [],
            "permitted": ["CAP_KILL", "CAP_CHOWN"],
            "ambient": [],
        },
        "mounts": [],
        "exec_processes": [],
        "signals": [],
        "user": {
            "user_idname": {"pattern": "", "strategy": "any"},
            "group_idnames": [{"pattern": "", "strategy": "any"}],
            "umask": "0022"
        },
        "seccomp_profile_sha256": "",
        "allow_elevated": false,
        "working_dir": "/",
        "allow_stdio_access": false,
        "no_new_privileges": false,
    },
    {
        "command": ["/job"],
        "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}, {"pattern": "B=2", "strategy": "string", "required": false}],
        "layers": ["0606060606060606060606060606060606060606060606060606060606060606"],
        "capabilities": {
            "bounding": ["CAP_KILL"],
            "effective": ["CAP_KILL"],
            "inheritable": [],
            "permitted": ["CAP_KILL"],
            "ambient": [],
        },
        "mounts": [],
        "exec_processes": [],
        "signals": [],
        "user": {
            "user_idname": {"pattern": "", "strategy": "any"},
            "group_idnames": [{"pattern": "", "strategy": "any"}],
            "umask": "0022"
        },
        "seccomp_profile_sha256": "",
        "allow_elevated": false,
        "working_dir": "/",
        "allow_stdio_access": false,
        "no_new_privileges": false,
    },
]
external_processes := [
    {"command": ["ls", "-l", "/dev/mapper"], "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}], "working_dir": "/", "allow_stdio_access": false},
    {"command": ["bash"], "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}, {"pattern": "DEBUG=.*", "strategy": "re2", "required": false}], "working_dir": "/", "allow_stdio_access": true},
    {"command": ["cat"], "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}], "working_dir": "/", "allow_stdio_access": true},
    {"command": ["cat"], "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}], "working_dir": "/", "allow_stdio_access": false},
]
allow_properties_access := true
allow_dump_stacks := false
allow_runtime_logging := true
allow_host_network := false
allow_environment_variable_dropping := true
allow_unencrypted_scratch := false
allow_capability_dropping := true
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

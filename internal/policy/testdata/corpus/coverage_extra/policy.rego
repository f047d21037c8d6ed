package policy

api_version := "0.12.0"
framework_version := "0.5.0"

fragments := [
    {"issuer": "did:web:contoso.github.io", "feed": "contoso.azurecr.io/nested", "minimum_svn": "1", "includes": ["containers", "fragments"], "required_receipts": ["ledger-1", "TTL:ttl-a"]},
    {"issuer": "did:web:contoso.github.io", "feed": "contoso.azurecr.io/star", "minimum_svn": "1", "includes": ["containers"], "required_receipts": ["*"]},
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
        "command": ["/share"],
        "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}],
        "layers": ["2828282828282828282828282828282828282828282828282828282828282828"],
        "capabilities": {
            "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "effective": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "inheritable": [],
            "permitted": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
            "ambient": [],
        },
        "mounts": [{"destination": "/share", "options": ["rbind", "rw"], "source": "plan9://share", "type": "bind"},{"destination": "/hp", "options": ["rbind", "rw"], "source": "hugepages:///2M/.+", "type": "bind"}],
        "exec_processes": [],
        "signals": [],
        "user": {
            "user_idname": {"pattern": "app", "strategy": "name"},
            "group_idnames": [{"pattern": "", "strategy": "any"}],
            "umask": "0077"
        },
        "seccomp_profile_sha256": "",
        "allow_elevated": false,
        "working_dir": "/",
        "allow_stdio_access": true,
        "no_new_privileges": false,
    },
    {
        "mounted_cim": ["cim-a"],
        "registry_changes": {"add_values": [{"key": {"hive": "System", "name": "k"}, "name": "v", "type": "DWord", "dword_value": 1}]},
        "command": ["cmd.exe"],
        "env_rules": [],
        "layers": ["2929292929292929292929292929292929292929292929292929292929292929"],
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
        "command": ["/priv"],
        "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}],
        "layers": ["2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a"],
        "capabilities": null,
        "mounts": [],
        "exec_processes": [{"command": ["sh"], "signals": []}],
        "signals": [],
        "user": {
            "user_idname": {"pattern": "", "strategy": "any"},
            "group_idnames": [{"pattern": "", "strategy": "any"}],
            "umask": "0022"
        },
        "seccomp_profile_sha256": "",
        "allow_elevated": true,
        "working_dir": "/",
        "allow_stdio_access": false,
        "no_new_privileges": false,
    },
    {
        "command": ["/cap"],
        "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}],
        "layers": ["2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b"],
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
        "command": ["/cap"],
        "env_rules": [{"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": false}],
        "layers": ["2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b"],
        "capabilities": {
            "bounding": ["CAP_KILL", "CAP_NET_RAW"],
            "effective": ["CAP_KILL", "CAP_NET_RAW"],
            "inheritable": [],
            "permitted": ["CAP_KILL", "CAP_NET_RAW"],
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
allow_properties_access := true
allow_dump_stacks := false
allow_runtime_logging := false
allow_host_network := false
allow_environment_variable_dropping := false
allow_unencrypted_scratch := false
allow_capability_dropping := true
allow_log_provider_dropping := true



transparency_trust_lists := [
    {"issuer": "did:web:ttl.example", "subject": "ttl-a", "minimum_svn": "2", "allowed_ledgers": ["ledger-1", "ledger-2"]},
    {"issuer": "did:web:ttl.example", "subject": "ttl-any", "minimum_svn": "1", "allowed_ledgers": ["*"]},
]

allowed_log_providers := ["Microsoft-Windows-Foo", "Other"]

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

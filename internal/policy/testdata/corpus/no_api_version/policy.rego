package policy

mount_device := {"allowed": true}

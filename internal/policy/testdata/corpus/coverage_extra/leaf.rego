package leaf

svn := "1"
framework_version := "0.5.0"

parameters_api := {
  "env_param": {
    "default": {
      "value": ".+",
      "value_strategy": "re2"
    }
  }
}

containers := [
  {
        "allow_elevated": false,
    "allow_stdio_access": true,
    "capabilities": {
      "ambient": [],
      "bounding": [],
      "effective": [],
      "inheritable": [],
      "permitted": []
    },
    "id": "container_id:tag",
    "name": "sidecarcontainer",
    "no_new_privileges": false,
    "seccomp_profile_sha256": "",
    "signals": [],
    "user": {
      "group_idnames": [
        {
          "pattern": "",
          "strategy": "any"
        }
      ],
      "umask": "0022",
      "user_idname": {
        "pattern": "",
        "strategy": "any"
      }
    },
    "working_dir": "/",

    "command": [
      "init"
    ],
    "env_rules": [
      {
        "name": "ENV_VAR_PARAMETER",
        "name_strategy": "string",
        "value": parameter("env_param").value,
        "value_strategy": parameter("env_param").value_strategy
      }
    ],
    "exec_processes": [],
    "layers": [
      "0000000000000000000000000000000000000000000000000000000000000000"
    ],
    "mounts": []
  }
]

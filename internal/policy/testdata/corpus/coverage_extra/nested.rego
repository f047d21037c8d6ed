package nested

svn := "1"
framework_version := "0.5.0"

containers := []

fragments := [
    {"issuer": "did:web:contoso.github.io", "feed": "contoso.azurecr.io/leaf", "minimum_svn": "1", "includes": ["containers"], "parameters": {"env_param": {"value": "p1", "value_strategy": "string"}}},
]

package nsfrag

svn := 3
framework_version := "0.5.0"

containers := []

custom_value := "from the namespace"

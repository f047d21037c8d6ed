// Package hcsv2 is the GCS's host state and its request handlers: the
// containers and processes the host created, the utility VM's own
// processes, and the ModifySettings resources. Each bridge message has a
// thin handler file that decodes the body, then calls into the state, which
// drives the OCI runtime, cgroups, storage and stdio relays below it.
package hcsv2

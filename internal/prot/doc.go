// Package prot holds the wire format of the bridge between the host (HCS or
// the host client in this module) and the Linux guest compute service: the
// 16-byte message header, the message identifiers, the JSON bodies of every
// request, response and notification, the guest resource settings carried by
// ModifySettings, and the HRESULT error codes.
//
// Constant values, JSON keys and HRESULTs here are the protocol: they must
// match hcsshim's Linux GCS exactly. Nothing in this package knows about
// connections, handlers or containers.
package prot

//go:build !linux

package edge

import "net"

// unreadInput cannot ask the socket here: connections close at once, and a
// client still sending a body a handler did not read may see a reset.
func unreadInput(net.Conn) bool { return false }

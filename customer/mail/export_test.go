package mail

import (
	"context"
	"net"
)

// SetDial replaces how s opens TCP connections, so a test can give a
// non-loopback host name to a server on 127.0.0.1.
func SetDial(s *SMTP, dial func(ctx context.Context, network, addr string) (net.Conn, error)) {
	s.dial = dial
}

package main

import (
	"errors"
	"net"
)

// listen opens a listener for an address flag (--addr, --metrics-addr),
// on loopback unless the address names another host: ":8080" is
// 127.0.0.1:8080, and every interface takes 0.0.0.0:8080 (or [::]:8080)
// in full. net.Listen alone would serve ":8080", and an empty value
// (a script's unset variable), to the whole network.
func listen(flag, addr string) (net.Listener, error) {
	if addr == "" {
		return nil, badInputf("%s \"\": give host:port, such as 127.0.0.1:8080 (0.0.0.0:8080 listens on every interface)", flag)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		var ae *net.AddrError
		if errors.As(err, &ae) {
			err = errors.New(ae.Err)
		}
		return nil, badInputf("%s %s: %v; give host:port, such as 127.0.0.1:8080", flag, addr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, badInputf("%s %s: %v", flag, addr, err)
	}
	return ln, nil
}

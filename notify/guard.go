package notify

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pactwatch/pactwatch"
)

// blocked are the ranges a webhook may not reach unless the allow-list
// names them: this host, private networks, link-local (cloud metadata at
// 169.254.169.254), unique-local, carrier-grade NAT, and addresses that are
// not unicast destinations at all.
var blocked = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",       // "this network"
		"10.0.0.0/8",      // private
		"100.64.0.0/10",   // carrier-grade NAT
		"127.0.0.0/8",     // loopback
		"169.254.0.0/16",  // link-local, cloud metadata
		"172.16.0.0/12",   // private
		"192.0.0.0/24",    // IETF protocol assignments
		"192.0.2.0/24",    // documentation
		"192.168.0.0/16",  // private
		"198.18.0.0/15",   // benchmarking
		"198.51.100.0/24", // documentation
		"203.0.113.0/24",  // documentation
		"224.0.0.0/4",     // multicast
		"240.0.0.0/4",     // reserved, broadcast
		"::/128",          // unspecified
		"::1/128",         // loopback
		"64:ff9b::/96",    // NAT64: would reach any IPv4 address, private ones too
		"64:ff9b:1::/48",  // local-use NAT64
		"100::/64",        // discard
		"2001:db8::/32",   // documentation
		"2002::/16",       // 6to4: embeds an IPv4 address
		"fc00::/7",        // unique-local
		"fe80::/10",       // link-local
		"ff00::/8",        // multicast
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// Resolver is the part of *net.Resolver the guard uses (tests fake it).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Guard refuses webhook destinations in blocked ranges unless Allow names
// them. It checks twice: when an admin subscribes a URL (CheckURL: every
// address the name resolves to), and on every connection (Control, run by
// the dialer with the address actually dialled), because a name's
// addresses can change between the two (DNS rebinding).
//
// The allow-list holds addresses and prefixes, not names: a name is only as
// good as its next resolution.
type Guard struct {
	Allow    []netip.Prefix
	Resolver Resolver // nil: net.DefaultResolver
}

// ErrBlocked is wrapped by the guard's refusals.
var ErrBlocked = errors.New("address not allowed for webhooks")

// ParseAllow parses an allow-list of IP addresses and CIDR prefixes, e.g.
// "127.0.0.1", "10.20.0.0/16", "::1".
func ParseAllow(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for i, s := range list {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "allow["+strconv.Itoa(i)+"]", "%q is not an IP address or CIDR prefix (names are not accepted: their addresses can change)", s)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// Allowed reports whether a webhook may connect to the address.
func (g *Guard) Allowed(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range g.Allow {
		if p.Contains(a) {
			return true
		}
	}
	if !a.IsValid() || a.Zone() != "" {
		return false
	}
	for _, p := range blocked {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// CheckURL validates a subscription URL: http or https, no credentials,
// and every address its host resolves to allowed. Errors are EINVALID
// (malformed) or EFORBIDDEN (blocked), with Field "url".
func (g *Guard) CheckURL(ctx context.Context, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "url", "not a URL: %v", err)
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "url", "want an http or https URL")
	case u.User != nil:
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "url", "credentials do not belong in a webhook URL")
	case u.Hostname() == "":
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "url", "no host")
	}
	addrs, err := g.lookup(ctx, u.Hostname())
	if err != nil {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "url", "cannot resolve %s: %v", u.Hostname(), err)
	}
	for _, a := range addrs {
		if !g.Allowed(a) {
			e := pactwatch.FieldErrorf(pactwatch.EFORBIDDEN, "url", "%s resolves to %s, a private, loopback or reserved address; an admin must allow-list it", u.Hostname(), a)
			e.Err = ErrBlocked
			return nil, e
		}
	}
	return u, nil
}

func (g *Guard) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{a}, nil
	}
	r := g.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err == nil && len(addrs) == 0 {
		err = errors.New("no addresses")
	}
	return addrs, err
}

// Control is a net.Dialer Control function: it refuses a connection to an
// address the guard does not allow, after resolution, whatever the URL said.
func (g *Guard) Control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return err
	}
	if !g.Allowed(ap.Addr()) {
		return &pactwatch.Error{Code: pactwatch.EFORBIDDEN, Field: "url", Message: "webhook refused: " + ap.Addr().String() + " is not allowed", Err: ErrBlocked}
	}
	return nil
}

// Client returns the HTTP client webhooks go through: every dial checked
// by Control, no proxy (a proxy would dial for us, unchecked), no
// redirects (a 3xx is a failed attempt, not an invitation elsewhere).
func (g *Guard) Client(timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: timeout, Control: g.Control}
	t := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{Transport: t, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"

	"github.com/partnerdesk/partnerdesk/apperr"
)

// Targets guards what a webhook may be pointed at. A server that POSTs
// wherever a client says could be made to reach what only it reaches (its
// loopback, the private network, a cloud's metadata service at
// 169.254.169.254): such addresses are refused when a webhook is saved,
// and again on every connection, after DNS resolution, so that a name that
// resolves elsewhere later (DNS rebinding) gains nothing.
type Targets struct {
	// AllowPrivate lets webhooks reach loopback, private and link-local
	// addresses: for a deployment whose receivers are on its own network,
	// and for tests with a local receiver.
	AllowPrivate bool
	// Resolver resolves host names at creation; net.DefaultResolver when nil.
	Resolver *net.Resolver
}

// ErrRefusedAddress is returned (wrapped) for a target address the guard refuses.
var ErrRefusedAddress = errors.New("webhooks: the target address is not public")

// refused reports whether ip is an address no webhook may reach: loopback,
// private, link-local, unspecified, multicast, and the shared address
// space of carrier-grade NAT; IPv4-mapped IPv6 addresses as their IPv4.
func refused(ip netip.Addr) bool {
	ip = ip.Unmap()
	return !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() ||
		cgnat.Contains(ip) || thisNetwork.Contains(ip)
}

var (
	cgnat       = netip.MustParsePrefix("100.64.0.0/10")
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")
)

// Check parses raw as a webhook's target, and refuses it (BAD_USER_INPUT
// on field) unless it is an http or https URL whose host resolves only to
// addresses the guard allows.
func (t Targets) Check(ctx context.Context, field, raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return apperr.Invalid(field, "the URL does not parse: %v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return apperr.Invalid(field, "the URL must be http or https")
	case u.Hostname() == "":
		return apperr.Invalid(field, "the URL names no host")
	case u.User != nil:
		return apperr.Invalid(field, "the URL may not hold credentials: verify the signature instead")
	case len(raw) > 2048:
		return apperr.Invalid(field, "the URL is longer than 2048 characters")
	}
	if t.AllowPrivate {
		return nil
	}
	r := t.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	addrs, err := r.LookupNetIP(ctx, "ip", u.Hostname())
	if err != nil {
		return apperr.Invalid(field, "the URL's host does not resolve: %v", err)
	}
	for _, a := range addrs {
		if refused(a) {
			return apperr.Invalid(field, "the URL's host resolves to %s, which is not a public address", a.Unmap())
		}
	}
	return nil
}

// control refuses, when a connection is about to be made, an address the
// guard refuses: the address dialled is the resolved one.
func (t Targets) control(_, address string, _ syscall.RawConn) error {
	if t.AllowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrRefusedAddress, address)
	}
	if refused(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrRefusedAddress, ap.Addr().Unmap())
	}
	return nil
}

// Client returns the HTTP client deliveries go through: every connection
// checked by the guard, no proxy (it would dial for us, unchecked), no
// redirect followed (its target was never checked), and timeout bounding
// a whole attempt.
func (t Targets) Client(timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: timeout, Control: t.control}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           d.DialContext,
			TLSHandshakeTimeout:   timeout,
			ResponseHeaderTimeout: timeout,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       time.Minute,
			ForceAttemptHTTP2:     true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// dispatchInterval is how often each instance delivers the end-of-scope
// notifications that are due.
const dispatchInterval = 3 * time.Second

// webhookSender POSTs end-of-scope notifications: the I/O that scopes
// leaves to cmd (see scopes.Sender).
type webhookSender struct {
	client *http.Client
	policy scopes.WebhookPolicy
	// dialer makes every connection and checks its address; tests give it
	// a Resolver of their own.
	dialer *net.Dialer
}

// newWebhookSender returns a sender that goes only where policy allows:
// the URL's scheme and literal address before the request, and the address
// each connection is made to, after DNS, so that a host name that resolves
// to an internal address (or starts to: DNS rebinding) is refused too.
func newWebhookSender(policy scopes.WebhookPolicy) *webhookSender {
	dialer := &net.Dialer{
		Timeout: scopes.WebhookTimeout,
		ControlContext: func(_ context.Context, _, address string, _ syscall.RawConn) error {
			return checkDialAddr(policy, address)
		},
	}
	transport := &http.Transport{
		// No proxy from the environment: a proxy would make the
		// connection that the address check cannot see.
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   scopes.WebhookTimeout,
		ExpectContinueTimeout: time.Second,
	}
	return &webhookSender{policy: policy, dialer: dialer, client: &http.Client{
		Transport: transport,
		Timeout:   scopes.WebhookTimeout,
		// A webhook answers where it is: a redirect is a failed delivery,
		// reported with its status, rather than a POST sent somewhere else.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// checkDialAddr is the connect-time check: address is the "ip:port" that
// the dialer is about to connect to, resolved already.
func checkDialAddr(policy scopes.WebhookPolicy, address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("refused: cannot read the address %q to check it: %w", address, err)
	}
	if err := policy.CheckAddr(ap.Addr()); err != nil {
		return refusedError{err}
	}
	return nil
}

// refusedError is a webhook that the policy refused: its message is the
// policy's, without the error code, as the log and the outbox keep it.
type refusedError struct{ err error }

func (e refusedError) Error() string { return "refused: " + scopes.ErrorMessage(e.err) }

func (e refusedError) Unwrap() error { return e.err }

// Send POSTs body as JSON to url; any answer but 2xx is an error, and so is
// a URL or an address that the policy refuses.
func (w *webhookSender) Send(ctx context.Context, url string, body []byte) error {
	// Checked again here, not only when the URL was set: the policy may have
	// changed since, and the outbox may hold URLs from before it existed.
	if err := w.policy.CheckURL(url); err != nil {
		return fmt.Errorf("webhook %s: %w", url, refusedError{err})
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook %s: %w", url, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "scopestore/"+version)
	res, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	defer res.Body.Close()
	// Read a little of the answer so that the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("webhook %s answered %s", url, res.Status)
	}
	return nil
}

// webhookPolicy is where end-of-scope webhooks may point, from
// --webhook-allow-http and --webhook-allow-networks.
func (c *Config) webhookPolicy() scopes.WebhookPolicy {
	return scopes.WebhookPolicy{AllowHTTP: c.WebhookAllowHTTP, AllowNetworks: c.WebhookAllowNetworks}
}

// prefixList is a flag of networks: CIDRs or single addresses, separated by
// commas or spaces; given twice, the lists add up.
type prefixList []netip.Prefix

func (p *prefixList) String() string {
	if p == nil {
		return ""
	}
	parts := make([]string, len(*p))
	for i, pr := range *p {
		parts[i] = pr.String()
	}
	return strings.Join(parts, ",")
}

func (p *prefixList) Set(s string) error {
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		if pr, err := netip.ParsePrefix(f); err == nil {
			*p = append(*p, pr.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return fmt.Errorf("%q is neither a CIDR like 10.1.2.0/24 nor an IP address", f)
		}
		*p = append(*p, netip.PrefixFrom(a.WithZone(""), a.BitLen()))
	}
	return nil
}

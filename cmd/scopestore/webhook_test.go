package main

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// fakeDNS is a resolver that answers names from a table, as a DNS server
// that an attacker controls would: its names resolve to internal addresses.
func fakeDNS(table map[string]netip.Addr) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		client, server := net.Pipe()
		go serveDNS(server, table)
		return client, nil
	}}
}

// serveDNS answers one query over a stream connection (a 2-byte length,
// then the message) with the table's address when its type matches the
// query's, A or AAAA, and no answer otherwise.
func serveDNS(conn net.Conn, table map[string]netip.Addr) {
	defer conn.Close()
	var size [2]byte
	if _, err := io.ReadFull(conn, size[:]); err != nil {
		return
	}
	q := make([]byte, binary.BigEndian.Uint16(size[:]))
	if _, err := io.ReadFull(conn, q); err != nil || len(q) < 12 {
		return
	}
	// The question: labels, then type and class.
	i, labels := 12, []string{}
	for i < len(q) && q[i] != 0 {
		n := int(q[i])
		labels = append(labels, string(q[i+1:i+1+n]))
		i += 1 + n
	}
	question := q[12 : i+5]
	qtype := binary.BigEndian.Uint16(q[i+1 : i+3])
	addr, found := table[strings.ToLower(strings.Join(labels, "."))]
	var answer []byte
	if found && ((qtype == 1 && addr.Is4()) || (qtype == 28 && addr.Is6())) {
		answer = []byte{0xc0, 12, 0, byte(qtype), 0, 1, 0, 0, 0, 60, 0, byte(addr.BitLen() / 8)}
		answer = append(answer, addr.AsSlice()...)
	}
	msg := append([]byte{q[0], q[1], 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0}, question...)
	if answer != nil {
		msg[7] = 1
		msg = append(msg, answer...)
	}
	out := binary.BigEndian.AppendUint16(nil, uint16(len(msg)))
	_, _ = conn.Write(append(out, msg...))
}

// countingListener counts the connections a refused webhook must not make.
type countingListener struct {
	net.Listener
	accepted atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepted.Add(1)
	}
	return c, err
}

// A host name that resolves to an internal address is refused when the
// sender connects, whatever the address, so that DNS (rebinding included)
// cannot take a webhook inside; the reason is in the error, and nothing
// reaches the address.
func TestWebhookSender_RefusesInternalAddressesAtConnect(t *testing.T) {
	ln := &countingListener{Listener: httptest.NewUnstartedServer(nil).Listener}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})}}
	srv.Start()
	t.Cleanup(srv.Close)
	port := srv.URL[strings.LastIndexByte(srv.URL, ':')+1:]

	table := map[string]netip.Addr{}
	refused := map[string]string{
		"loopback.test":  "127.0.0.1",
		"loopback6.test": "::1",
		"metadata.test":  "169.254.169.254",
		"linklocal.test": "fe80::1",
		"ten.test":       "10.0.0.5",
		"172.test":       "172.16.0.9",
		"192.test":       "192.168.0.9",
		"ula.test":       "fc00::9",
		"zero.test":      "0.0.0.0",
		"multicast.test": "224.0.0.251",
		"cgnat.test":     "100.64.1.1",
		"mapped.test":    "::ffff:127.0.0.1", // Go's resolver unmaps it: refused as 127.0.0.1
	}
	for name, addr := range refused {
		table[name] = netip.MustParseAddr(addr)
	}
	sender := newWebhookSender(scopes.WebhookPolicy{AllowHTTP: true})
	sender.dialer.Resolver = fakeDNS(table)
	for name, addr := range refused {
		err := sender.Send(context.Background(), "http://"+name+":"+port+"/end", []byte(`{}`))
		if err == nil || !strings.Contains(err.Error(), "refused") || !strings.Contains(err.Error(), netip.MustParseAddr(addr).Unmap().String()) ||
			!strings.Contains(err.Error(), "--webhook-allow-networks") {
			t.Errorf("%s (%s): got %v; want a refusal at connect naming the address", name, addr, err)
		}
		var scopesErr *scopes.Error
		if !errors.As(err, &scopesErr) {
			t.Errorf("%s: the refusal %v does not wrap the policy's error", name, err)
		}
	}
	if n := ln.accepted.Load(); n != 0 {
		t.Fatalf("%d connections reached the receiver; want none", n)
	}

	// Allowed networks are reached, through the same resolver.
	open := newWebhookSender(scopes.WebhookPolicy{AllowHTTP: true, AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	open.dialer.Resolver = fakeDNS(table)
	if err := open.Send(context.Background(), "http://loopback.test:"+port+"/end", []byte(`{}`)); err != nil {
		t.Fatalf("allowed network: %v", err)
	}
	if n := ln.accepted.Load(); n != 1 {
		t.Fatalf("%d connections with the network allowed; want 1", n)
	}
}

// A URL whose host is an internal address, literal or oddly spelled, or
// localhost, is refused before any lookup or connection; so is plain http
// without --webhook-allow-http.
func TestWebhookSender_RefusesURLs(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	port := u.Port()
	sender := newWebhookSender(scopes.WebhookPolicy{AllowHTTP: true})
	for _, host := range []string{"127.0.0.1", "[::1]", "localhost", "0x7f000001", "2130706433", "127.1", "[::ffff:127.0.0.1]", "169.254.169.254"} {
		err := sender.Send(context.Background(), "http://"+host+":"+port+"/end", []byte(`{}`))
		if err == nil || !strings.Contains(err.Error(), "refused") {
			t.Errorf("%s: got %v; want refused", host, err)
		}
	}
	httpsOnly := newWebhookSender(scopes.WebhookPolicy{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	err := httpsOnly.Send(context.Background(), srv.URL+"/end", []byte(`{}`))
	if err == nil || !strings.Contains(err.Error(), "--webhook-allow-http") {
		t.Errorf("plain http without the opt-in: got %v; want a refusal naming --webhook-allow-http", err)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("%d requests reached the receiver; want none", n)
	}
	withBoth := newWebhookSender(scopes.WebhookPolicy{AllowHTTP: true, AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	if err := withBoth.Send(context.Background(), srv.URL+"/end", []byte(`{}`)); err != nil || hits.Load() != 1 {
		t.Fatalf("with both opt-ins: %v, %d requests", err, hits.Load())
	}
}

// --webhook-allow-networks reads CIDRs and single addresses, from the flag
// given twice or from a list.
func TestPrefixList(t *testing.T) {
	var p prefixList
	if err := p.Set("10.1.2.3/24, 127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if err := p.Set("::1"); err != nil {
		t.Fatal(err)
	}
	if got := p.String(); got != "10.1.2.0/24,127.0.0.1/32,::1/128" {
		t.Fatalf("String() = %q", got)
	}
	if err := p.Set("10.0.0.0/33"); err == nil || !strings.Contains(err.Error(), "CIDR") {
		t.Fatalf("a bad CIDR: %v", err)
	}
}

package sqlstore_test

import (
	"context"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/scopestore/scopestore/scopes"
)

// A store over a server that is down opens, fails every call with an error
// (never "not found"), and says why.
func TestOutageOpenSucceeds(t *testing.T) {
	for _, c := range []scopes.Connection{
		{Name: "down", Type: "mysql", Params: map[string]string{"host": "127.0.0.1", "port": "1", "database": "sessions", "username": "root"}},
		{Name: "down", Type: "postgres", Params: map[string]string{"host": "127.0.0.1", "port": "1", "database": "sessions", "username": "postgres"}},
	} {
		t.Run(c.Type, func(t *testing.T) {
			ctx := context.Background()
			s := mustOpen(t, c)
			defer s.Close()
			key := scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}
			rec, found, err := s.Load(ctx, key, time.Now())
			if err == nil || found || rec.Version != 0 {
				t.Errorf("Load from a server that is down = %+v, %v, %v; want an error", rec, found, err)
			} else if !strings.Contains(err.Error(), "connection refused") {
				t.Errorf("Load error %q does not say the connection was refused", err)
			}
			known := []byte(`{"n":1}`)
			if rec, found, err := s.LoadKnown(ctx, key, time.Now(), known); err == nil || found || rec.Data != nil {
				t.Errorf("LoadKnown from a server that is down = %+v, %v, %v; want an error", rec, found, err)
			}
			for _, expect := range []string{scopes.ExpectAny, scopes.ExpectAbsent, scopes.NewRev()} {
				// Not an *scopes.Error: the engine sends the write again until
				// the server answers (see Store.Write).
				if res, err := s.Write(ctx, scopes.Record{Key: key, Rev: scopes.NewRev()}, expect, time.Now()); err == nil || res.Written || scopes.ErrorCode(err) != scopes.EInternal {
					t.Errorf("Write (expect %q) to a server that is down = %+v, %v; want an error of unknown outcome", expect, res, err)
				}
			}
			if err := s.Ping(ctx); err == nil {
				t.Error("Ping of a server that is down succeeded")
			}
			if keys, err := s.DeleteExpired(ctx, time.Now(), 10); err == nil || len(keys) != 0 {
				t.Errorf("DeleteExpired = %d, %v; want an error", len(keys), err)
			}

			health := s.Verify(ctx)
			if len(health) != 5 || health[0].Name != "connect" {
				t.Fatalf("Verify = %v", health)
			}
			if msg := scopes.ErrorMessage(health[0].Err); !strings.Contains(msg, "connection refused at 127.0.0.1:1") {
				t.Errorf("connect check: %q; want it to say connection refused at 127.0.0.1:1", msg)
			}
			for _, h := range health[1:] {
				if h.Err == nil || !strings.Contains(h.Err.Error(), "skipped") {
					t.Errorf("%s check after a failed connect: %v; want it skipped", h.Name, h.Err)
				}
			}
		})
	}
}

// A store opened while its server is down starts working when the server
// comes back, and again after a second outage, without being reopened.
func TestServersOutageRecovery(t *testing.T) {
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			ctx := context.Background()
			// A database of its own on the real server; the store that
			// comes with it is not used.
			unused, dsn := srv.open(t)
			_ = unused.Close()
			target, proxied := proxiedDSN(t, srv.name, dsn)

			p := &proxy{target: target}
			addr := p.freeAddr(t)
			c := scopes.Connection{Name: "flaky", Type: srv.name, Params: map[string]string{"dsn": proxied(addr)}}
			if srv.name == "postgres" {
				c.Params = map[string]string{"url": proxied(addr)}
			}
			s := mustOpen(t, c)
			defer s.Close()

			key := scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}
			if _, found, err := s.Load(ctx, key, time.Now()); err == nil || found {
				t.Fatalf("Load while down = %v, %v; want an error", found, err)
			}

			p.start(t, addr)
			rec := scopes.Record{Key: key, Rev: scopes.NewRev(), Expires: time.Now().Add(time.Hour), Version: 1, Data: []byte(`{"back":true}`)}
			if res, err := s.Write(ctx, rec, scopes.ExpectAbsent, time.Now()); err != nil || !res.Written {
				t.Fatalf("Write once the server is back = %+v, %v", res, err)
			}

			p.stop()
			if _, _, err := s.Load(ctx, key, time.Now()); err == nil {
				t.Error("Load during the second outage succeeded")
			}
			p.start(t, addr)
			defer p.stop()
			got, found, err := s.Load(ctx, key, time.Now())
			if err != nil || !found || string(got.Data) != `{"back":true}` {
				t.Errorf("Load after the second outage = %s, %v, %v", got.Data, found, err)
			}
		})
	}
}

// proxiedDSN returns the server address of dsn and a function that writes
// the same DSN for another address.
func proxiedDSN(t *testing.T, dialect, dsn string) (string, func(addr string) string) {
	t.Helper()
	if dialect == "mysql" {
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			t.Fatal(err)
		}
		return cfg.Addr, func(addr string) string {
			c := cfg.Clone()
			c.Addr = addr
			return c.FormatDSN()
		}
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host, func(addr string) string {
		v := *u
		v.Host = addr
		return v.String()
	}
}

// proxy forwards TCP connections to target while it runs, standing in for
// a database server that goes down and comes back.
type proxy struct {
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
	wg     sync.WaitGroup
}

// freeAddr returns an address on which nothing listens.
func (p *proxy) freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

func (p *proxy) start(t *testing.T, addr string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("proxy: %v", err)
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Go(func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", p.target)
			if err != nil {
				_ = in.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, in, out)
			p.mu.Unlock()
			p.wg.Go(func() { _, _ = io.Copy(out, in); _ = out.Close() })
			p.wg.Go(func() { _, _ = io.Copy(in, out); _ = in.Close() })
		}
	})
}

// stop closes the listener and every forwarded connection, as a server
// that goes down does.
func (p *proxy) stop() {
	p.mu.Lock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
}

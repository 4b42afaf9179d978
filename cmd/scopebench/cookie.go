package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// clientsPath is the bench app's client scopes, which the cookie scenario
// keeps in cookie storage.
const clientsPath = "/api/v1/apps/" + benchApp + "/clients"

// maxCookieData bounds the cookie scenario's data: a token holds at most
// 4096 bytes, about 2.8 KB of JSON, so a larger -size is cut to this.
const maxCookieData = 2048

// cookie measures the client scope's cycle in cookie storage — a load
// with the token, then a save with the token it answered — in turns with
// the same exchange on bare-memory, and divides the throughputs. What it
// adds over the memory scenario is the sealing and opening of a token on
// every call, and the token's bytes on the wire both ways.
func (b *bench) cookie(ctx context.Context) (Result, error) {
	res := Result{Baseline: bareMemory}
	if err := b.useCookie(ctx); err != nil {
		return res, err
	}
	c, err := b.startBare(ctx, bareMemory)
	if err != nil {
		return res, err
	}
	defer c.Stop()
	data := b.data
	if len(data) > maxCookieData {
		data = makeData(maxCookieData)
	}
	var tokens sync.Map // cfid → the last token it answered
	s, base, err := b.pair(ctx,
		b.spec("cookie", b.createCookies(data, &tokens), b.cookieOp(data, &tokens)),
		b.spec(bareMemory+" (with cookie)", b.createScopes(c.addr, ""), b.cycleOp(c.addr, "")))
	if err != nil {
		return res, err
	}
	return throughput(s, base, bareMemory), nil
}

// useCookie sets the bench app's client storage to cookie and waits for
// the server to apply it.
func (b *bench) useCookie(ctx context.Context) error {
	if _, err := b.cli(ctx, "app", "settings", benchApp, "--client-storage", "cookie"); err != nil {
		return err
	}
	w := newWorker(0)
	defer w.close()
	deadline := time.Now().Add(b.cfg.CacheTTL + 15*time.Second)
	for {
		body, err := w.do(ctx, "GET", b.server.addr+"/api/v1/apps/"+benchApp+"/settings", b.key, nil, 200, true)
		if err != nil {
			return err
		}
		var v struct {
			Settings struct {
				Storage string `json:"clientStorage"`
			} `json:"settings"`
		}
		if err := json.Unmarshal(body, &v); err != nil {
			return fmt.Errorf("GET settings: %w", err)
		}
		if v.Settings.Storage == "cookie" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("scopestore still shows clientStorage %s", v.Settings.Storage)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// createCookies makes a worker create its client scopes and keep their tokens.
func (b *bench) createCookies(data []byte, tokens *sync.Map) func(context.Context, *worker) error {
	return func(ctx context.Context, w *worker) error {
		for range scopesPerClient {
			body, tok, err := b.withToken(ctx, w, "POST", clientsPath, "", putBody(data, 0), http.StatusCreated, true)
			if err != nil {
				return err
			}
			var sc struct {
				CFID string `json:"cfid"`
			}
			if err := json.Unmarshal(body, &sc); err != nil || sc.CFID == "" {
				return fmt.Errorf("POST %s answered no cfid: %.200s", clientsPath, body)
			}
			w.cfids = append(w.cfids, sc.CFID)
			tokens.Store(sc.CFID, tok)
		}
		return nil
	}
}

// cookieOp loads a client scope with its token and saves it with the token
// the load answered, keeping the save's.
func (b *bench) cookieOp(data []byte, tokens *sync.Map) func(context.Context, *worker) error {
	return func(ctx context.Context, w *worker) error {
		cfid := w.nextCFID()
		tok, _ := tokens.Load(cfid)
		path := clientsPath + "/" + cfid
		_, next, err := b.withToken(ctx, w, "GET", path, tok.(string), nil, http.StatusOK, false)
		if err != nil {
			return err
		}
		w.seq++
		_, next, err = b.withToken(ctx, w, "PUT", path, next, putBody(data, w.seq), http.StatusOK, false)
		if err != nil {
			return err
		}
		tokens.Store(cfid, next)
		return nil
	}
}

// withToken sends one request to scopestore with a Scope-Token and returns
// the answer's (and its body when keep is true).
func (b *bench) withToken(ctx context.Context, w *worker, method, path, token string, body []byte, want int, keep bool) ([]byte, string, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.server.addr+path, rd)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Authorization", "Bearer "+b.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Scope-Token", token)
	}
	res, err := w.client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer res.Body.Close()
	if res.StatusCode != want {
		msg, _ := io.ReadAll(io.LimitReader(res.Body, 300))
		return nil, "", fmt.Errorf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, want, bytes.TrimSpace(msg))
	}
	next := res.Header.Get("Scope-Token")
	if next == "" {
		return nil, "", fmt.Errorf("%s %s answered no Scope-Token", method, path)
	}
	if keep {
		out, err := io.ReadAll(res.Body)
		return out, next, err
	}
	_, err = io.Copy(io.Discard, res.Body)
	return nil, next, err
}

package client_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/scopestore/scopestore/web/client"
)

func TestScopes_CRUD(t *testing.T) {
	forEachBackend(t, func(t *testing.T, ts *testServer) {
		c := newClient(t, ts)
		for _, kind := range []struct {
			name string
			api  *client.Scopes
		}{{"sessions", c.Sessions()}, {"clients", c.Clients()}} {
			t.Run(kind.name, func(t *testing.T) {
				ctx := context.Background()
				s := kind.api
				rec, err := s.Create(ctx, map[string]any{"cart": []int{1, 2}})
				if err != nil {
					t.Fatal(err)
				}
				if rec.Version != 1 || rec.CFToken == "" || rec.URLToken == "" || rec.Storage == "" {
					t.Fatalf("created %+v", rec)
				}
				if kind.name == "sessions" && rec.SessionID == "" {
					t.Errorf("a session without sessionid: %+v", rec)
				}
				got, err := s.Get(ctx, rec.CFID)
				if err != nil {
					t.Fatal(err)
				}
				if cart, _ := got.Data["cart"].([]any); len(cart) != 2 || cart[0] != 1.0 {
					t.Fatalf("data %v", got.Data)
				}

				// Put, conditional: the right version passes, a stale one is 412.
				put, err := s.Put(ctx, rec.CFID, map[string]any{"user": "ann"}, got.Version)
				if err != nil {
					t.Fatal(err)
				}
				if put.Version != 2 || put.Data["user"] != "ann" || put.Data["cart"] != nil {
					t.Fatalf("put %+v", put)
				}
				if _, err := s.Put(ctx, rec.CFID, map[string]any{"user": "bob"}, 1); !errors.Is(err, client.ErrPreconditionFailed) {
					t.Fatalf("stale Put: %v, want ErrPreconditionFailed", err)
				}

				// Patch: set, unset, incr in one step.
				p, err := s.Patch(ctx, rec.CFID, client.Patch{Set: map[string]any{"lang": "de"}, Unset: []string{"user"}, Incr: map[string]int64{"views": 2}})
				if err != nil {
					t.Fatal(err)
				}
				if p.Data["lang"] != "de" || p.Data["user"] != nil || p.Data["views"] != 2.0 || p.Version != 3 {
					t.Fatalf("patched %+v", p)
				}
				if _, err := s.Patch(ctx, rec.CFID, client.Patch{Incr: map[string]int64{"lang": 1}}); !errors.Is(err, client.ErrConflict) {
					t.Fatalf("incr of a string: %v, want ErrConflict", err)
				}
				if _, err := s.Patch(ctx, rec.CFID, client.Patch{Set: map[string]any{"x": 1}, IfVersion: 1}); !errors.Is(err, client.ErrPreconditionFailed) {
					t.Fatalf("stale Patch: %v, want ErrPreconditionFailed", err)
				}

				if err := s.Touch(ctx, rec.CFID); err != nil {
					t.Fatal(err)
				}
				if err := s.Delete(ctx, rec.CFID); err != nil {
					t.Fatal(err)
				}
				for name, f := range map[string]func() error{
					"Get":    func() error { _, err := s.Get(ctx, rec.CFID); return err },
					"Touch":  func() error { return s.Touch(ctx, rec.CFID) },
					"Delete": func() error { return s.Delete(ctx, rec.CFID) },
					"Patch":  func() error { _, err := s.Patch(ctx, rec.CFID, client.Patch{Set: map[string]any{"a": 1}}); return err },
				} {
					err := f()
					var e *client.Error
					if !errors.Is(err, client.ErrNotFound) || !errors.As(err, &e) || e.Status != http.StatusNotFound || e.Message == "" {
						t.Errorf("%s after Delete: %v, want ErrNotFound with a message", name, err)
					}
				}
			})
		}
	})
}

func TestScopes_CreateWithID(t *testing.T) {
	forEachBackend(t, func(t *testing.T, ts *testServer) {
		ctx := context.Background()
		s := newClient(t, ts).Sessions()
		cfid := client.NewCFID()
		rec, err := s.CreateWithID(ctx, cfid, map[string]any{"n": 1})
		if err != nil {
			t.Fatal(err)
		}
		if rec.CFID != cfid || rec.Version != 1 || rec.Data["n"] != 1.0 {
			t.Fatalf("created %+v", rec)
		}
		if _, err := s.CreateWithID(ctx, cfid, nil); !errors.Is(err, client.ErrPreconditionFailed) {
			t.Fatalf("second create: %v, want ErrPreconditionFailed", err)
		}
		if got, _ := s.Get(ctx, cfid); got == nil || got.Data["n"] != 1.0 {
			t.Fatalf("the second create changed the scope: %+v", got)
		}
		empty, err := s.CreateWithID(ctx, client.NewCFID(), nil)
		if err != nil || len(empty.Data) != 0 {
			t.Fatalf("create without data: %+v, %v", empty, err)
		}
	})
}

func TestScopes_Rotate(t *testing.T) {
	forEachBackend(t, func(t *testing.T, ts *testServer) {
		ctx := context.Background()
		s := newClient(t, ts).Sessions()
		old, err := s.Create(ctx, map[string]any{"user": "ann"})
		if err != nil {
			t.Fatal(err)
		}
		rec, err := s.Rotate(ctx, old.CFID, "")
		if err != nil {
			t.Fatal(err)
		}
		if rec.CFID == old.CFID || rec.Version != 1 || rec.Data["user"] != "ann" {
			t.Fatalf("rotated %+v", rec)
		}

		// During the grace: the old cfid reads, names the new one, refuses changes.
		got, err := s.Get(ctx, old.CFID)
		if err != nil {
			t.Fatal(err)
		}
		if got.RotatedTo != rec.CFID || got.Data["user"] != "ann" {
			t.Fatalf("old cfid during the grace: %+v", got)
		}
		_, err = s.Patch(ctx, old.CFID, client.Patch{Set: map[string]any{"x": 1}})
		var e *client.Error
		if !errors.Is(err, client.ErrRotated) || !errors.As(err, &e) || e.RotatedTo() != rec.CFID {
			t.Fatalf("PATCH of the old cfid: %v, want ErrRotated to %s", err, rec.CFID)
		}
		if _, err := s.Rotate(ctx, old.CFID, ""); !errors.Is(err, client.ErrRotated) {
			t.Fatalf("second rotate: %v, want ErrRotated", err)
		}

		// A chosen new cfid.
		chosen := client.NewCFID()
		again, err := s.Rotate(ctx, rec.CFID, chosen)
		if err != nil || again.CFID != chosen {
			t.Fatalf("rotate to %s: %+v, %v", chosen, again, err)
		}

		time.Sleep(rotateGrace + 1500*time.Millisecond)
		if _, err := s.Get(ctx, old.CFID); !errors.Is(err, client.ErrNotFound) {
			t.Fatalf("old cfid after the grace: %v, want ErrNotFound", err)
		}
		if got, err := s.Get(ctx, chosen); err != nil || got.Data["user"] != "ann" {
			t.Fatalf("the rotated session: %+v, %v", got, err)
		}
	})
}

func TestScopes_ListCountClear(t *testing.T) {
	forEachBackend(t, func(t *testing.T, ts *testServer) {
		ctx := context.Background()
		s := newClient(t, ts).Sessions()
		want := map[string]bool{}
		for range 7 {
			rec, err := s.Create(ctx, map[string]any{"n": 1})
			if err != nil {
				t.Fatal(err)
			}
			want[rec.CFID] = true
		}
		seen := map[string]bool{}
		cursor, pages := "", 0
		for {
			p, err := s.List(ctx, 3, cursor)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if len(p.Scopes) > 3 {
				t.Fatalf("page of %d with limit 3", len(p.Scopes))
			}
			for _, r := range p.Scopes {
				if seen[r.CFID] {
					t.Fatalf("%s listed twice", r.CFID)
				}
				seen[r.CFID] = true
			}
			if p.Next == "" {
				break
			}
			cursor = p.Next
		}
		if len(seen) != len(want) || pages < 3 {
			t.Fatalf("listed %d scopes in %d pages, want %d in at least 3", len(seen), pages, len(want))
		}
		all := 0
		for r, err := range s.All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			if !want[r.CFID] {
				t.Fatalf("All returned %s, which was never created", r.CFID)
			}
			all++
		}
		if all != len(want) {
			t.Fatalf("All returned %d scopes, want %d", all, len(want))
		}
		if n, err := s.Count(ctx); err != nil || n != int64(len(want)) {
			t.Fatalf("Count = %d, %v; want %d", n, err, len(want))
		}
		if n, err := s.Clear(ctx); err != nil || n != int64(len(want)) {
			t.Fatalf("Clear = %d, %v; want %d", n, err, len(want))
		}
		if n, err := s.Count(ctx); err != nil || n != 0 {
			t.Fatalf("Count after Clear = %d, %v", n, err)
		}
	})
}

func TestClient_Settings(t *testing.T) {
	ts := startServer(t, backends[0])
	c := newClient(t, ts)
	ctx := context.Background()
	st, err := c.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.App != "shop" || !st.SessionManagement() || !st.ClientManagement() || st.SessionTimeout() != 30*time.Minute ||
		st.ClientTimeout() != 90*24*time.Hour || st.Sources["sessionStorage"] == "" || len(st.Storages["session"]) == 0 {
		t.Fatalf("settings %+v", st)
	}
	st, err = c.PutSettings(ctx, map[string]any{"sessionTimeout": "2h", "clientManagement": false})
	if err != nil {
		t.Fatal(err)
	}
	if st.SessionTimeout() != 2*time.Hour || st.ClientManagement() {
		t.Fatalf("after PutSettings: %+v", st.Values)
	}
	if _, err := c.Clients().Create(ctx, nil); !errors.Is(err, client.ErrForbidden) {
		t.Fatalf("a client scope with client management off: %v, want ErrForbidden", err)
	}
}

func TestClient_Errors(t *testing.T) {
	ts := startServer(t, backends[0])
	ctx := context.Background()

	bad, err := client.New(ts.URL, "shop", "not-the-key")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.Sessions().Create(ctx, nil); !errors.Is(err, client.ErrUnauthorized) {
		t.Fatalf("wrong key: %v, want ErrUnauthorized", err)
	}

	c := newClient(t, ts)
	if _, err := c.Sessions().Get(ctx, "../../settings"); !errors.Is(err, client.ErrBadCFID) {
		t.Fatalf("a cfid that is not a UUID: %v, want ErrBadCFID", err)
	}

	// Nothing listens there: unavailable, with the API's usual wait.
	addr := "127.0.0.1:" + strconv.Itoa(closedPort)
	down, err := client.New("http://"+addr, "shop", ts.Key)
	if err != nil {
		t.Fatal(err)
	}
	_, err = down.Sessions().Get(ctx, client.NewCFID())
	var e *client.Error
	if !errors.Is(err, client.ErrUnavailable) || !errors.As(err, &e) || e.Status != 0 || client.RetryAfter(err) != 5*time.Second {
		t.Fatalf("unreachable server: %v, want ErrUnavailable with RetryAfter 5s", err)
	}

	for _, args := range [][3]string{
		{"127.0.0.1:8080", "shop", "k"}, {"ftp://h", "shop", "k"}, {"http://h", "", "k"}, {"http://h", "shop", ""}, {"http://h?x=1", "shop", "k"},
	} {
		if _, err := client.New(args[0], args[1], args[2]); err == nil {
			t.Errorf("New(%q, %q, %q) accepted", args[0], args[1], args[2])
		}
	}
}

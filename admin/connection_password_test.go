package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// formPassword holds '@' and ':', which broke the split of a MySQL DSN.
const formPassword = "Hx4@q:Lm"

// showsFormPassword tells which part of formPassword s shows, "" for none.
func showsFormPassword(s string) string {
	for _, f := range []string{formPassword, url.QueryEscape(formPassword), "Hx4", "q:Lm", "Other-pw-5"} {
		if strings.Contains(s, f) {
			return f
		}
	}
	return ""
}

// Every type the console creates, its password typed every way its form
// takes it: the lists, the edit form, the datasource's tables page, the
// verify answer and the audit log never show it, and the connection keeps
// it; typed twice, differently, the form is refused, showing neither.
func TestPasswordsInURLsNeverShown(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	ctx := context.Background()
	esc := url.QueryEscape(formPassword)
	userinfo := url.UserPassword("app", formPassword).String()
	cases := []struct {
		kind   string
		fields url.Values
	}{
		{"cache", url.Values{"type": {"redis"}, "url": {"redis://:" + url.PathEscape(formPassword) + "@127.0.0.1:1/0"}}},
		{"cache", url.Values{"type": {"redis"}, "url": {"redis://127.0.0.1:1/0?password=" + esc}}},
		{"cache", url.Values{"type": {"redis"}, "host": {"127.0.0.1"}, "port": {"1"}, "password": {formPassword}}},
		{"datasource", url.Values{"type": {"mysql"}, "dsn": {"app:" + formPassword + "@tcp(127.0.0.1:1)/db"}}},
		{"datasource", url.Values{"type": {"mysql"}, "dsn": {"app@tcp(127.0.0.1:1)/db?password=" + esc}}},
		{"datasource", url.Values{"type": {"mysql"}, "host": {"127.0.0.1"}, "port": {"1"}, "database": {"db"}, "password": {formPassword}}},
		{"datasource", url.Values{"type": {"postgres"}, "url": {"postgres://" + userinfo + "@127.0.0.1:1/db"}}},
		{"datasource", url.Values{"type": {"postgres"}, "url": {"postgres://app@127.0.0.1:1/db?password=" + esc}}},
		{"datasource", url.Values{"type": {"postgres"}, "url": {"host=127.0.0.1 port=1 dbname=db password='" + formPassword + "'"}}},
		{"datasource", url.Values{"type": {"postgres"}, "host": {"127.0.0.1"}, "port": {"1"}, "database": {"db"}, "password": {formPassword}}},
		{"datasource", url.Values{"type": {"sqlite"}, "file": {filepath.Join(t.TempDir(), "s.db")}, "password": {formPassword}}},
	}
	checked := 0
	seen := func(what string, p page) {
		t.Helper()
		checked++
		if f := showsFormPassword(p.body); f != "" {
			t.Errorf("%s shows %q", what, f)
		}
	}
	for i, c := range cases {
		name := c.fields.Get("type") + "-" + string(rune('a'+i))
		c.fields.Set("name", name)
		c.fields.Set("storage", "on")
		base := "/admin/" + c.kind + "s"
		tc.get(base + "/new?type=" + c.fields.Get("type"))
		p := tc.post(base, c.fields)
		mustStatus(t, p, http.StatusSeeOther)
		seen(name+": the edit form", tc.get(p.location))
		seen(name+": the list", tc.get(base))
		seen(name+": verify", tc.post(base+"/"+name+"/verify", nil))
		if c.kind == "datasource" {
			seen(name+": the tables", tc.get(base+"/"+name+"/tables"))
		}
		stored, _, err := tc.config.Connection(ctx, name)
		if err != nil || stored.Secret != formPassword {
			t.Errorf("%s: stored password %q, %v", name, stored.Secret, err)
		}
		// Saving the edit form as shown keeps the password.
		p = tc.get(base + "/" + name)
		form := url.Values{"storage": {"on"}}
		for _, f := range []string{"url", "dsn", "host", "port", "database", "file"} {
			if v := inputValue(p, f); v != "" {
				form.Set(f, v)
			}
		}
		p = tc.post(base+"/"+name, form)
		mustStatus(t, p, http.StatusSeeOther)
		if stored, _, _ := tc.config.Connection(ctx, name); stored.Secret != formPassword {
			t.Errorf("%s: after saving the form, password %q", name, stored.Secret)
		}

		// Typed twice, differently: refused beside the field, neither shown.
		if c.fields.Get("password") == "" {
			twice := url.Values{}
			for k, v := range c.fields {
				twice[k] = v
			}
			twice.Set("name", name+"-twice")
			twice.Set("password", "Other-pw-5")
			tc.get(base + "/new?type=" + c.fields.Get("type"))
			p = tc.post(base, twice)
			mustStatus(t, p, http.StatusUnprocessableEntity)
			seen(name+": the form given two passwords", p)
			if !strings.Contains(p.body, "give the password once") || !strings.Contains(p.body, "Type the password again") {
				t.Errorf("%s: two passwords: no message in the form, or no hint to type it again", name)
			}
		}
	}
	seen("the caches", tc.get("/admin/caches"))
	seen("the datasources", tc.get("/admin/datasources"))
	p := tc.get("/admin/audit")
	seen("the audit log", p)
	if !strings.Contains(p.body, "password ********") {
		t.Error("the audit log does not say a password was set")
	}
	if checked < 40 {
		t.Errorf("checked %d pages", checked)
	}
}

// A connection stored by an older version with its password inside the
// dsn (with '@' in it): the console shows it without, and saving its form
// keeps the password, encrypted.
func TestOlderPasswordInDSNHidden(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	ctx := context.Background()
	err := tc.config.CreateConnection(ctx, scopes.Connection{Name: "legacy", Kind: "datasource", Type: "mysql", Storage: true,
		Params: map[string]string{"dsn": "app:" + formPassword + "@tcp(127.0.0.1:1)/db"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/admin/datasources", "/admin/datasources/legacy", "/admin/datasources/legacy/tables"} {
		if p := tc.get(path); showsFormPassword(p.body) != "" {
			t.Errorf("%s shows the password", path)
		}
	}
	p := tc.get("/admin/datasources/legacy")
	if v := inputValue(p, "dsn"); v != "app@tcp(127.0.0.1:1)/db" {
		t.Errorf("dsn shown as %q", v)
	}
	if !strings.Contains(p.testid("password-hint"), "leave empty to keep") {
		t.Errorf("password hint %q", p.testid("password-hint"))
	}
	p = tc.post("/admin/datasources/legacy", url.Values{"dsn": {inputValue(p, "dsn")}, "storage": {"on"}})
	mustStatus(t, p, http.StatusSeeOther)
	stored, _, _ := tc.config.Connection(ctx, "legacy")
	if stored.Secret != formPassword || stored.Params["dsn"] != "app@tcp(127.0.0.1:1)/db" {
		t.Errorf("after saving: dsn %q, password %q", stored.Params["dsn"], stored.Secret)
	}
	if p := tc.get("/admin/audit"); showsFormPassword(p.body) != "" {
		t.Error("the audit log shows the password")
	}
}

package admin

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// formFields are the names the console's forms read; the fuzzer fills them
// in this order, so that its values reach every parser.
var formFields = []string{
	"name", "confirm", "username", "password", "token",
	"storage", "verify", "remove_password", "url", "host", "port", "mode", "master", "database", "tls", "prefix",
	"pool_size", "timeout", "min_replicas_acked", "replica_timeout", "strict", "dsn", "file",
	scopes.SessionType, "sessionManagement", "sessionStorage", "sessionCluster",
	"sessionTimeout.days", "sessionTimeout.hours", "sessionTimeout.minutes", "sessionTimeout.seconds",
	"clientManagement", "clientStorage", "clientCluster",
	"clientTimeout.days", "clientTimeout.hours", "clientTimeout.minutes", "clientTimeout.seconds",
	scopes.ScopeEndWebhook, scopes.SensitiveKeys,
	"app", "scope", "key", "value", "cursor", "order", "live",
}

// fuzzContext is a POST of form to the console, with query as its query
// string: what a browser, or anyone, may send.
func fuzzContext(form url.Values, query string) echo.Context {
	req := httptest.NewRequest(http.MethodPost, "/admin/x", strings.NewReader(form.Encode()))
	req.URL.RawQuery = query
	req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationForm)
	return echo.New().NewContext(req, httptest.NewRecorder())
}

// FuzzFormParsers checks that the console's form parsers and their
// validation never panic, whatever the form holds.
func FuzzFormParsers(f *testing.F) {
	f.Add("shop\nyes\nadmin\nsecret-password\ntok", "app=shop&scope=session&prefix=0f&order=cfid")
	f.Add("db\n\n\n\n\non\non\n\nredis://:pw@host:6379/0\nhost\n6379\nsentinel\nmymaster\n0\non\nsc:\n10\n5s\n1\n1s\non\nroot:pw@tcp(h:3306)/db\n/tmp/x.db\n"+
		"cfml\ntrue\nmemory\nfalse\n1\n2\n3\n4\ninherit\nfile\ntrue\n90\n\n\n\nhttps://x/hook\na,b", "scope=client&key=user&value=%22%22&live=off")
	f.Add("\xff\n-1\n99999999999999999999\n9223372036854775807\n", "prefix=%ff&cursor=%00")
	f.Add("", "actor=alice&action=session.&target=%25_&from=2026-03-01&to=2026-02-30&before=1773497366535897_2&after=x_1")
	f.Fuzz(func(t *testing.T, values, query string) {
		form := url.Values{}
		for i, v := range strings.Split(values, "\n") {
			form.Add(formFields[i%len(formFields)], v)
		}
		c := fuzzContext(form, query)

		app := readAppForm(c)
		app.validate()
		_ = confirmed(c)

		_ = readLoginForm(c)
		audit := readAuditForm(c)
		if audit.validate() {
			_, _ = audit.pagePath(audit.Before, audit.After), audit.exportPath()
		}
		for _, token := range []bool{false, true} {
			setup := readSetupForm(c)
			setup.TokenRequired = token
			setup.validate()
		}

		for _, kt := range [][2]string{{"cache", "redis"}, {"datasource", "mysql"}, {"datasource", "postgres"}, {"datasource", "sqlite"},
			{"cache", "memcached"}, {"cache", form.Get("name")}, {form.Get("name"), form.Get("mode")}} {
			conn := readConnectionForm(c, kt[0], kt[1])
			if conn.validate() {
				_ = conn.connection()
			}
		}

		settings := readSettingsForm(c)
		if settings.validate() {
			_ = settings.values()
		}
		settings.checkTogether(scopes.Effective{}, map[scopes.Kind][]string{scopes.Session: {"memory"}, scopes.Client: {"file"}})

		sessions := readSessionsForm(c)
		apps := []string{"shop", form.Get("app")}
		sessions.withDefaults(apps)
		if sessions.validate(apps) {
			_ = sessions.query()
			_ = sessions.values(form.Get("cursor"), true)
			_ = sessions.pagePath(form.Get("cursor"))
		}
	})
}

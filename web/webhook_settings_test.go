package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// An app's key declares its scopeEndWebhook only among allowedWebhooks,
// which an administrator sets: anything else is 403 naming the setting;
// GET settings shows the list as an array and why a declared URL that the
// list no longer holds is not used.
func TestAPI_PutWebhookOnlyAmongAllowed(t *testing.T) {
	api := newTestAPI(t)
	key := api.app("shop", map[string]string{scopes.AllowedWebhooks: "https://a.example/end https://b.example/end"})
	for _, body := range []string{
		`{"scopeEndWebhook":"http://127.0.0.1:6379/"}`,
		`{"scopeEndWebhook":"https://169.254.169.254/latest/meta-data"}`,
		`{"scopeEndWebhook":"https://[::1]/"}`,
		`{"scopeEndWebhook":"https://evil.example/end"}`,
		`{"allowedWebhooks":["https://evil.example/end"]}`,
	} {
		r := api.do("PUT", "/api/v1/apps/shop/settings", key, body)
		if r.status != http.StatusForbidden || !strings.Contains(string(r.body), "allowedWebhooks") {
			t.Errorf("PUT %s: %d %s; want 403 naming allowedWebhooks", body, r.status, r.body)
		}
	}
	for _, url := range []string{"https://b.example/end", ""} {
		r := api.do("PUT", "/api/v1/apps/shop/settings", key, `{"scopeEndWebhook":"`+url+`"}`)
		mustStatus(t, r, http.StatusOK)
	}
	mustStatus(t, api.do("PUT", "/api/v1/apps/shop/settings", key, `{"scopeEndWebhook":"https://b.example/end"}`), http.StatusOK)
	if _, err := api.dir.SetAppSettings(context.Background(), "shop", map[string]string{scopes.AllowedWebhooks: "https://a.example/end"}); err != nil {
		t.Fatal(err)
	}
	r := api.do("GET", "/api/v1/apps/shop/settings", key, "")
	mustStatus(t, r, http.StatusOK)
	got := r.json(t)
	if list, ok := got["settings"].(map[string]any)["allowedWebhooks"].([]any); !ok || len(list) != 1 || list[0] != "https://a.example/end" {
		t.Errorf("allowedWebhooks = %v; want an array of the one URL", got["settings"].(map[string]any)["allowedWebhooks"])
	}
	if why, _ := got["refused"].(map[string]any)["scopeEndWebhook"].(string); !strings.Contains(why, "not listed in allowedWebhooks") {
		t.Errorf("refused = %v; want why scopeEndWebhook is not used", got["refused"])
	}
}

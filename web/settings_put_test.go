package web_test

import (
	"net/http"
	"slices"
	"testing"
)

// sensitiveKeysOf reads the sensitiveKeys of a settings answer.
func sensitiveKeysOf(t *testing.T, r response) []string {
	t.Helper()
	raw, ok := r.json(t)["settings"].(map[string]any)["sensitiveKeys"].([]any)
	if !ok {
		t.Fatalf("sensitiveKeys is not an array: %s", r.body)
	}
	keys := make([]string, len(raw))
	for i, k := range raw {
		keys[i], _ = k.(string)
	}
	return keys
}

func TestAPI_PutSensitiveKeys(t *testing.T) {
	cases := []struct {
		name, body string
		want       []string
	}{
		{"array", `{"sensitiveKeys":["dob", " Address ","DOB"]}`, []string{"dob", "Address"}},
		{"string", `{"sensitiveKeys":"dob, address,,iban"}`, []string{"dob", "address", "iban"}},
		{"empty array", `{"sensitiveKeys":[]}`, []string{}},
		{"empty string", `{"sensitiveKeys":""}`, []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			api := newTestAPI(t)
			key := api.app("shop", nil)
			r := api.do("PUT", "/api/v1/apps/shop/settings", key, c.body)
			mustStatus(t, r, http.StatusOK)
			if got := sensitiveKeysOf(t, r); !slices.Equal(got, c.want) {
				t.Errorf("PUT answers sensitiveKeys %q, want %q", got, c.want)
			}
			r = api.do("GET", "/api/v1/apps/shop/settings", key, "")
			mustStatus(t, r, http.StatusOK)
			if got := sensitiveKeysOf(t, r); !slices.Equal(got, c.want) {
				t.Errorf("GET answers sensitiveKeys %q, want %q", got, c.want)
			}
			if src := r.json(t)["sources"].(map[string]any)["sensitiveKeys"]; src != "app" {
				t.Errorf("sensitiveKeys comes from %v, want app", src)
			}
		})
	}
}

func TestAPI_PutSensitiveKeysRefused(t *testing.T) {
	cases := []struct {
		name, body string
		status     int
		code       string
	}{
		{"a number in the array", `{"sensitiveKeys":["dob",1]}`, http.StatusBadRequest, "invalid"},
		{"a comma in a name", `{"sensitiveKeys":["dob,iban"]}`, http.StatusBadRequest, "invalid"},
		{"a name too long", `{"sensitiveKeys":["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]}`, http.StatusUnprocessableEntity, "invalid_settings"},
		{"an array for a timeout", `{"sessionTimeout":["30m"]}`, http.StatusBadRequest, "invalid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			api := newTestAPI(t)
			key := api.app("shop", nil)
			r := api.do("PUT", "/api/v1/apps/shop/settings", key, c.body)
			mustStatus(t, r, c.status)
			if got := r.errorCode(t); got != c.code {
				t.Errorf("error code %q, want %q", got, c.code)
			}
		})
	}
}

package scopes

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestCanonicalSetting(t *testing.T) {
	cases := []struct {
		name, value         string
		wantName, wantValue string
		code                string
	}{
		{"sessionStorage", "RAM", SessionStorage, "memory", ""},
		{"SESSIONSTORAGE", "Registry", SessionStorage, "file", ""},
		{"sessionStorage", "MyRedis", SessionStorage, "myredis", ""},
		{"sessionCluster", "yes", SessionCluster, "true", ""},
		{"clientManagement", "No", ClientManagement, "false", ""},
		{"sessionTimeout", "1800", SessionTimeout, "30m", ""},
		{"sessionType", "J2EE", SessionType, "j2ee", ""},
		{"sessionType", "php", "", "", EInvalidSettings},
		{"sessionCluster", "maybe", "", "", EInvalidSettings},
		{"sessionTimeout", "0", "", "", EInvalidSettings},
		{"sessionStorage", "  ", "", "", EInvalidSettings},
		{"sessionStorag", "file", "", "", EInvalid},
		{"scopeEndWebhook", " https://shop.example/ended?k=1 ", ScopeEndWebhook, "https://shop.example/ended?k=1", ""},
		{"scopeEndWebhook", "http://10.0.0.5:8080/hook", ScopeEndWebhook, "http://10.0.0.5:8080/hook", ""},
		{"scopeEndWebhook", "", ScopeEndWebhook, "", ""},
		{"scopeEndWebhook", "ftp://shop.example/", "", "", EInvalidSettings},
		{"scopeEndWebhook", "/ended", "", "", EInvalidSettings},
		{"scopeEndWebhook", "https://user:pw@shop.example/", "", "", EInvalidSettings},
		{"scopeEndWebhook", "https://shop.example/#x", "", "", EInvalidSettings},
		{"sensitiveKeys", "", SensitiveKeys, "", ""},
		{"sensitiveKeys", " dob , , iban,DOB, Address ,dob", SensitiveKeys, "dob,iban,Address", ""},
		{"sensitiveKeys", ",,", SensitiveKeys, "", ""},
		{"sensitiveKeys", strings.Repeat("k", 64), SensitiveKeys, strings.Repeat("k", 64), ""},
		{"sensitiveKeys", "dob," + strings.Repeat("k", 65), "", "", EInvalidSettings},
		{"sensitiveKeys", strings.Repeat("é", 64), SensitiveKeys, strings.Repeat("é", 64), ""},
		{"sensitiveKeys", keyList(64), SensitiveKeys, keyList(64), ""},
		{"sensitiveKeys", keyList(65), "", "", EInvalidSettings},
		{"sensitiveKeys", keyList(64) + ",K0,k63", SensitiveKeys, keyList(64), ""},
	}
	for _, c := range cases {
		name, value, err := CanonicalSetting(c.name, c.value)
		if ErrorCode(err) != c.code || name != c.wantName || value != c.wantValue {
			t.Errorf("CanonicalSetting(%q, %q) = %q, %q, %v; want %q, %q, code %q", c.name, c.value, name, value, err, c.wantName, c.wantValue, c.code)
		}
	}
}

// keyList writes n distinct key names, k0 to k(n-1), as a list.
func keyList(n int) string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "k" + strconv.Itoa(i)
	}
	return strings.Join(keys, ",")
}

func TestResolveSensitiveKeys(t *testing.T) {
	if got := Resolve(nil, nil).Settings.SensitiveKeys; got != nil {
		t.Errorf("default sensitiveKeys = %q, want none", got)
	}
	eff := Resolve(Layer{SensitiveKeys: {"iban", FromAdmin}}, Layer{SensitiveKeys: {"dob,Address", FromApp}})
	if got := eff.Settings.SensitiveKeys; !slices.Equal(got, []string{"dob", "Address"}) || eff.From[SensitiveKeys] != FromApp {
		t.Errorf("sensitiveKeys = %q from %s, want the app's [dob Address]", got, eff.From[SensitiveKeys])
	}
}

func TestResolvePrecedence(t *testing.T) {
	server := Layer{SessionStorage: {"file", FromAdmin}, SessionTimeout: {"1h", FromAdmin}}
	app := Layer{SessionTimeout: {"2h", FromApp}, ClientCluster: {"true", FromAdmin}}
	eff := Resolve(server, app)
	checks := []struct{ name, value, from string }{
		{SessionStorage, "file", FromServer},
		{SessionTimeout, "2h", FromApp},
		{ClientCluster, "true", FromAdmin},
		{ClientStorage, "file", FromDefault},
		{ClientTimeout, "90d", FromDefault},
		{SessionManagement, "true", FromDefault},
	}
	for _, c := range checks {
		if eff.Values[c.name] != c.value || eff.From[c.name] != c.from {
			t.Errorf("%s = %q from %q; want %q from %q", c.name, eff.Values[c.name], eff.From[c.name], c.value, c.from)
		}
	}
	s := eff.Settings
	if s.Session.Storage != "file" || s.Session.Timeout != 2*time.Hour || !s.Client.Cluster || s.Client.Timeout != 90*24*time.Hour || !s.Session.Management {
		t.Errorf("typed settings %+v", s)
	}
}

func TestSettingsValidate(t *testing.T) {
	valid := func(k Kind) []string { return []string{"memory", "file", "redis1"} }
	ok := Resolve(Layer{SessionStorage: {"redis1", FromAdmin}}, nil).Settings
	if err := ok.Validate(valid); err != nil {
		t.Fatal(err)
	}
	unknown := Resolve(Layer{ClientStorage: {"couch", FromAdmin}}, nil).Settings
	err := unknown.Validate(valid)
	if ErrorCode(err) != EInvalidSettings || !strings.Contains(ErrorMessage(err), "memory, file, redis1") {
		t.Fatalf("unknown storage: %v", err)
	}
	j2ee := Resolve(Layer{SessionType: {"j2ee", FromApp}, SessionStorage: {"file", FromApp}}, nil).Settings
	if err := j2ee.Validate(valid); ErrorCode(err) != EInvalidSettings {
		t.Fatalf("j2ee with a storage: %v", err)
	}
	j2eeMemory := Resolve(Layer{SessionType: {"j2ee", FromApp}}, nil).Settings
	if err := j2eeMemory.Validate(valid); err != nil {
		t.Fatalf("j2ee in memory: %v", err)
	}
}

func TestRetryDelay(t *testing.T) {
	for attempts, want := range map[int]time.Duration{1: 5 * time.Second, 2: 10 * time.Second, 3: 20 * time.Second,
		10: 2560 * time.Second, 11: time.Hour, 100: time.Hour} {
		if got := RetryDelay(attempts); got != want {
			t.Errorf("RetryDelay(%d) = %v, want %v", attempts, got, want)
		}
	}
}

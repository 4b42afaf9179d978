package scopes

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Setting names, as the API, the CLI and the config store write them.
const (
	SessionManagement = "sessionManagement"
	SessionType       = "sessionType"
	SessionStorage    = "sessionStorage"
	SessionCluster    = "sessionCluster"
	SessionTimeout    = "sessionTimeout"
	ClientManagement  = "clientManagement"
	ClientStorage     = "clientStorage"
	ClientCluster     = "clientCluster"
	ClientTimeout     = "clientTimeout"
	// ScopeEndWebhook is the URL that scopestore POSTs to when one of the
	// app's scopes, session or client, ends, or a session is rotated (see
	// Notification); "" is off.
	ScopeEndWebhook = "scopeEndWebhook"
	// AllowedWebhooks lists the URLs that the app may declare as its
	// scopeEndWebhook through the API. Only an administrator sets it, so
	// that an API key cannot make scopestore POST wherever it likes.
	AllowedWebhooks = "allowedWebhooks"
	// SensitiveKeys is a comma-separated list of data key names whose values
	// the admin console masks, at any depth, besides its built-in patterns.
	SensitiveKeys = "sensitiveKeys"
	// MaxScopes bounds the app's live scopes of each kind (Limits).
	MaxScopes = "maxScopes"
	// MaxMemory bounds the bytes the app's scopes take in the memory
	// storage (Limits).
	MaxMemory = "maxMemory"
	// MaxCreateRate bounds the scopes the app creates a second on one
	// instance (Limits).
	MaxCreateRate = "maxCreateRate"
	// LockStorage is where the app's named locks live (lock.go): memory,
	// for one instance only, or a storage connection that can hold locks.
	LockStorage = "lockStorage"
	// ApplicationStorage is where the app's one application scope lives:
	// memory keeps one per instance; a shared storage shares it.
	ApplicationStorage = "applicationStorage"
	// ApplicationTimeout is how long the application scope lives unused.
	ApplicationTimeout = "applicationTimeout"
	// ServerScopeWrite lets the app write the server scope; every app
	// reads it. Only an administrator sets it.
	ServerScopeWrite = "serverScopeWrite"
	// ServerStorage is where the deployment's one server scope lives. It
	// is a server default only: no app sets it.
	ServerStorage = "serverStorage"
)

// Bounds of the sensitiveKeys list, so that a declared list stays a list of
// names rather than a payload.
const (
	MaxSensitiveKeys    = 64
	MaxSensitiveKeySize = 64
)

// MaxAllowedWebhooks bounds the allowedWebhooks list.
const MaxAllowedWebhooks = 32

// Session types: only cfml sessions can live in a storage; j2ee sessions stay
// in memory, as in Lucee.
const (
	SessionTypeCFML = "cfml"
	SessionTypeJ2EE = "j2ee"
)

// Where an effective setting comes from.
const (
	FromDefault = "default" // scopestore's built-in default
	FromServer  = "server"  // the server defaults set by an administrator
	FromApp     = "app"     // declared by the application through the API
	FromAdmin   = "admin"   // set for this app by an administrator
)

type settingKind int

const (
	boolSetting settingKind = iota
	timeoutSetting
	storageSetting
	sessionTypeSetting
	urlSetting
	keyListSetting
	urlListSetting
	countSetting
	sizeSetting
)

type settingDef struct {
	name string
	kind settingKind
	def  string
	// adminOnly settings are never declared by the app itself.
	adminOnly bool
	// serverOnly settings are set in the server defaults only, never for
	// one app.
	serverOnly bool
}

// settingDefs lists every setting with its built-in default, in display order.
var settingDefs = []settingDef{
	{SessionManagement, boolSetting, "true", false, false},
	{SessionType, sessionTypeSetting, SessionTypeCFML, false, false},
	{SessionStorage, storageSetting, StorageMemory, false, false},
	{SessionCluster, boolSetting, "false", false, false},
	{SessionTimeout, timeoutSetting, "30m", false, false},
	{ClientManagement, boolSetting, "true", false, false},
	{ClientStorage, storageSetting, StorageFile, false, false},
	{ClientCluster, boolSetting, "false", false, false},
	{ClientTimeout, timeoutSetting, "90d", false, false},
	{ScopeEndWebhook, urlSetting, "", false, false},
	{AllowedWebhooks, urlListSetting, "", true, false},
	{SensitiveKeys, keyListSetting, "", false, false},
	// Limits: generous enough for a busy app, low enough that one API key
	// cannot take a whole instance; only an administrator changes them.
	{MaxScopes, countSetting, "1000000", true, false},
	{MaxMemory, sizeSetting, "256MiB", true, false},
	{MaxCreateRate, countSetting, "10000", true, false},
	{LockStorage, storageSetting, StorageMemory, false, false},
	// Lucee's default applicationTimeout is one day.
	{ApplicationStorage, storageSetting, StorageMemory, false, false},
	{ApplicationTimeout, timeoutSetting, "1d", false, false},
	{ServerScopeWrite, boolSetting, "false", true, false},
	{ServerStorage, storageSetting, StorageMemory, true, true},
}

// SettingNames lists every setting name in display order.
func SettingNames() []string {
	names := make([]string, len(settingDefs))
	for i, d := range settingDefs {
		names[i] = d.name
	}
	return names
}

func lookupSetting(name string) (settingDef, bool) {
	for _, d := range settingDefs {
		if strings.EqualFold(d.name, name) {
			return d, true
		}
	}
	return settingDef{}, false
}

// ListSetting tells whether a setting's value is a list, which the API
// also accepts as an array of strings.
func ListSetting(name string) bool {
	d, ok := lookupSetting(name)
	return ok && (d.kind == keyListSetting || d.kind == urlListSetting)
}

// SettingFlag is a setting's command-line flag, without its dashes:
// session-storage for sessionStorage.
func SettingFlag(name string) string {
	var b strings.Builder
	for _, r := range name {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('-')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// AdminOnlySetting tells whether only an administrator may set a setting:
// an app that declares it is refused.
func AdminOnlySetting(name string) bool {
	d, ok := lookupSetting(name)
	return ok && d.adminOnly
}

// ServerOnlySetting tells whether a setting is a server default only, set
// for the whole deployment and never for one app.
func ServerOnlySetting(name string) bool {
	d, ok := lookupSetting(name)
	return ok && d.serverOnly
}

// CanonicalSetting checks one setting's value and returns the setting's
// canonical name and value as the config store keeps them. It knows the
// shape of each value, not which storages exist: Settings.Validate does that.
func CanonicalSetting(name, value string) (string, string, error) {
	d, ok := lookupSetting(name)
	if !ok {
		return "", "", unknownSetting(name)
	}
	value = strings.TrimSpace(value)
	switch d.kind {
	case boolSetting:
		b, err := ParseBool(value)
		if err != nil {
			return "", "", Errorf(EInvalidSettings, "%s: %q is not true or false", d.name, value)
		}
		return d.name, strconv.FormatBool(b), nil
	case timeoutSetting:
		t, err := ParseTimeout(value)
		if err != nil {
			return "", "", Errorf(EInvalidSettings, "%s: %v", d.name, err)
		}
		return d.name, FormatTimeout(t), nil
	case storageSetting:
		s := NormalizeStorage(value)
		if s == "" {
			return "", "", Errorf(EInvalidSettings, "%s: a storage name is required", d.name)
		}
		return d.name, s, nil
	case sessionTypeSetting:
		t := strings.ToLower(value)
		if t != SessionTypeCFML && t != SessionTypeJ2EE {
			return "", "", Errorf(EInvalidSettings, "%s: %q is neither cfml nor j2ee", d.name, value)
		}
		return d.name, t, nil
	case urlSetting:
		u, err := CanonicalWebhook(value)
		if err != nil {
			return "", "", Errorf(EInvalidSettings, "%s: %s", d.name, ErrorMessage(err))
		}
		return d.name, u, nil
	case keyListSetting:
		keys, err := canonicalKeyList(value)
		if err != nil {
			return "", "", Errorf(EInvalidSettings, "%s: %s", d.name, ErrorMessage(err))
		}
		return d.name, strings.Join(keys, ","), nil
	case countSetting:
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil || n < 0 {
			return "", "", Errorf(EInvalidSettings, "%s: %q is not a whole number of 0 or more (0: no limit)", d.name, value)
		}
		return d.name, strconv.FormatInt(n, 10), nil
	case sizeSetting:
		n, err := ParseSize(value)
		if err != nil {
			return "", "", Errorf(EInvalidSettings, "%s: %v (0: no limit)", d.name, err)
		}
		return d.name, FormatSize(n), nil
	case urlListSetting:
		urls, err := canonicalURLList(value)
		if err != nil {
			return "", "", Errorf(EInvalidSettings, "%s: %s", d.name, ErrorMessage(err))
		}
		return d.name, strings.Join(urls, ","), nil
	}
	return "", "", Errorf(EInternal, "setting %s has no parser", d.name)
}

// canonicalKeyList reads a comma-separated list of key names: each trimmed,
// empty ones dropped, and a name repeated in another case kept once, as
// first written, since the console compares names in any case.
func canonicalKeyList(s string) ([]string, error) {
	var keys []string
	for _, k := range strings.Split(s, ",") {
		k = strings.TrimSpace(k)
		if k == "" || slices.ContainsFunc(keys, func(seen string) bool { return strings.EqualFold(seen, k) }) {
			continue
		}
		if r := []rune(k); len(r) > MaxSensitiveKeySize {
			return nil, Errorf(EInvalidSettings, "the key name %q is longer than %d characters", string(r[:16])+"…", MaxSensitiveKeySize)
		}
		keys = append(keys, k)
	}
	if len(keys) > MaxSensitiveKeys {
		return nil, Errorf(EInvalidSettings, "%d key names given; at most %d are kept", len(keys), MaxSensitiveKeys)
	}
	return keys, nil
}

// canonicalURLList reads a list of webhook URLs separated by commas, spaces
// or line breaks (a URL that holds a comma spells it %2C): each checked by
// CanonicalWebhook, a repeated one kept once.
func canonicalURLList(s string) ([]string, error) {
	var urls []string
	for _, raw := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		u, err := CanonicalWebhook(raw)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(urls, u) {
			urls = append(urls, u)
		}
	}
	if len(urls) > MaxAllowedWebhooks {
		return nil, Errorf(EInvalidSettings, "%d URLs given; at most %d are kept", len(urls), MaxAllowedWebhooks)
	}
	return urls, nil
}

// splitKeyList reads a canonical list; "" is none.
func splitKeyList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func unknownSetting(name string) error {
	return Errorf(EInvalid, "unknown setting %q; the settings are %s", name, strings.Join(SettingNames(), ", "))
}

// ParseBool reads a boolean as CFML writes one: true/false, yes/no, 1/0 or
// on/off, in any case.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "1", "on":
		return true, nil
	case "false", "no", "0", "off":
		return false, nil
	}
	return false, fmt.Errorf("not a boolean")
}

// Entry is one setting set in a layer, with who set it (FromApp or FromAdmin).
type Entry struct {
	Value string
	By    string
}

// Layer holds the settings set at one level, server or app, by canonical name.
// A setting absent from a layer is inherited from the level below.
type Layer map[string]Entry

// ScopeSettings are the effective settings of one scope kind of an app.
type ScopeSettings struct {
	Management bool
	Storage    string
	Cluster    bool
	Timeout    time.Duration
}

// Settings are an app's effective scope settings.
type Settings struct {
	SessionType string
	Session     ScopeSettings
	Client      ScopeSettings
	// EndWebhook is the URL notified when a scope of the app ends; "" is off.
	// One that the app declared is kept only if AllowedWebhooks lists it.
	EndWebhook string
	// AllowedWebhooks are the URLs the app may declare as its EndWebhook.
	AllowedWebhooks []string
	// SensitiveKeys are the data key names whose values the console masks,
	// at any depth and in any case; nil is none besides the built-in patterns.
	SensitiveKeys []string
	// Limits bound what the app holds and creates.
	Limits Limits
	// LockStorage is the storage of the app's named locks.
	LockStorage string
	// Application are the settings of the app's application scope, Server
	// those of the server scope (a server default); both are always on
	// and shared by every visitor.
	Application ScopeSettings
	Server      ScopeSettings
	// ServerScopeWrite tells whether the app may write the server scope.
	ServerScopeWrite bool
}

// Of returns the settings of one scope kind.
func (s Settings) Of(k Kind) ScopeSettings {
	switch k {
	case Client:
		return s.Client
	case Application:
		return s.Application
	case Server:
		return s.Server
	}
	return s.Session
}

// Effective are an app's settings with, for each setting name, where its value
// comes from (FromDefault, FromServer, FromApp or FromAdmin).
type Effective struct {
	Settings Settings
	Values   map[string]string
	From     map[string]string
	// Refused says, by setting name, why a value in Values is not applied:
	// a scopeEndWebhook that the app declared and allowedWebhooks no
	// longer lists (or never did, before allowedWebhooks existed). nil
	// when every value applies.
	Refused map[string]string
}

// Resolve applies the app layer over the server layer over the built-in
// defaults. Values in the layers are canonical (see CanonicalSetting).
func Resolve(server, app Layer) Effective {
	eff := Effective{Values: map[string]string{}, From: map[string]string{}}
	for _, d := range settingDefs {
		value, from := d.def, FromDefault
		if e, ok := server[d.name]; ok {
			value, from = e.Value, FromServer
		}
		if e, ok := app[d.name]; ok && !d.serverOnly {
			value, from = e.Value, e.By
		}
		eff.Values[d.name], eff.From[d.name] = value, from
	}
	v := eff.Values
	eff.Settings = Settings{
		SessionType: v[SessionType],
		Session: ScopeSettings{
			Management: v[SessionManagement] == "true",
			Storage:    v[SessionStorage],
			Cluster:    v[SessionCluster] == "true",
			Timeout:    mustTimeout(v[SessionTimeout]),
		},
		Client: ScopeSettings{
			Management: v[ClientManagement] == "true",
			Storage:    v[ClientStorage],
			Cluster:    v[ClientCluster] == "true",
			Timeout:    mustTimeout(v[ClientTimeout]),
		},
		EndWebhook:      v[ScopeEndWebhook],
		AllowedWebhooks: splitKeyList(v[AllowedWebhooks]),
		SensitiveKeys:   splitKeyList(v[SensitiveKeys]),
		Limits: Limits{
			MaxScopes:     mustCount(v[MaxScopes]),
			MaxMemory:     mustSize(v[MaxMemory]),
			MaxCreateRate: mustCount(v[MaxCreateRate]),
		},
		LockStorage: v[LockStorage],
		Application: ScopeSettings{
			Management: true,
			Storage:    v[ApplicationStorage],
			Cluster:    true,
			Timeout:    mustTimeout(v[ApplicationTimeout]),
		},
		Server: ScopeSettings{
			Management: true,
			Storage:    v[ServerStorage],
			Cluster:    true,
			Timeout:    ServerScopeTimeout,
		},
		ServerScopeWrite: v[ServerScopeWrite] == "true",
	}
	if w := eff.Settings.EndWebhook; w != "" && eff.From[ScopeEndWebhook] == FromApp && !slices.Contains(eff.Settings.AllowedWebhooks, w) {
		// Only an administrator chooses where scopestore POSTs: an app's
		// own choice counts only while allowedWebhooks lists it.
		eff.Settings.EndWebhook = ""
		eff.Refused = map[string]string{ScopeEndWebhook: "declared by the application but not listed in " + AllowedWebhooks +
			", so no notification is sent: an administrator must list it in allowedWebhooks or set scopeEndWebhook for the app"}
	}
	return eff
}

// mustCount reads a canonical count; one that does not parse (a
// hand-edited config row) is no limit, as a limit protects capacity, not
// data.
func mustCount(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// mustSize reads a canonical size as mustCount reads a count.
func mustSize(s string) int64 {
	n, err := ParseSize(s)
	if err != nil {
		return 0
	}
	return n
}

// mustTimeout reads a canonical timeout; a value that does not parse (a
// hand-edited config row) falls back to the smallest timeout rather than
// keeping scopes forever.
func mustTimeout(s string) time.Duration {
	d, err := ParseTimeout(s)
	if err != nil {
		return MinTimeout
	}
	return d
}

// Validate checks that the settings can be applied: each storage must be one
// that validNames returns for its scope kind, and a j2ee session cannot live
// in a storage.
func (s Settings) Validate(validNames func(Kind) []string) error {
	if s.Session.Storage == StorageCookie {
		return sessionCookie()
	}
	for _, k := range StoredKinds {
		name := s.Of(k).Storage
		valid := validNames(k)
		if !slices.Contains(valid, name) {
			return Errorf(EInvalidSettings, "%sStorage: unknown storage %q; valid storages for the %s scope are %s",
				k, name, k, strings.Join(valid, ", "))
		}
	}
	if s.SessionType == SessionTypeJ2EE && s.Session.Storage != StorageMemory {
		return Errorf(EInvalidSettings,
			"sessionType j2ee keeps sessions in memory and cannot use storage %q: set sessionType to cfml, or sessionStorage to memory",
			s.Session.Storage)
	}
	return nil
}

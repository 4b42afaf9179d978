package admin

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// settingsForm is the scope settings form as submitted, on the Scope page
// (the server defaults) and on an app's page. Each value is either what the
// administrator chose or scopes.Inherit, which the Scope page calls "built-in
// default" and an app's page "inherit".
type settingsForm struct {
	SessionType string
	Session     scopeFields
	Client      scopeFields
	// EndWebhook is the scopeEndWebhook URL as typed; empty means inherit,
	// as the timeouts' empty numbers do.
	EndWebhook string
	// AllowedWebhooks is the allowedWebhooks list as typed, its URLs
	// separated by commas or spaces; empty means inherit.
	AllowedWebhooks string
	// SensitiveKeys is the sensitiveKeys list as typed, comma-separated;
	// empty means inherit, as EndWebhook's does.
	SensitiveKeys string
	// Limits are maxScopes, maxMemory and maxCreateRate as typed, by
	// setting name; empty means inherit.
	Limits map[string]string
	// LockStorage is the lockStorage chosen, or scopes.Inherit.
	LockStorage string
	// Application holds applicationStorage and applicationTimeout, and
	// Server serverStorage: the shared scopes have no management or
	// cluster setting (form_shared.go).
	Application scopeFields
	Server      scopeFields
	// ServerScopeWrite is serverScopeWrite: true, false or scopes.Inherit.
	ServerScopeWrite string
	// ServerDefaults tells that the form sets the server defaults, the
	// one level that holds serverStorage; an app's form never sends it.
	ServerDefaults bool
	// Errors holds one message per setting name; "form" is a message about
	// the form as a whole.
	Errors map[string]string
}

// scopeFields are the settings that the session and the client scope share.
type scopeFields struct {
	Management string
	Storage    string
	Cluster    string
	Timeout    timeoutFields
}

// timeoutFields are the four numbers of a timeout, as typed: all four empty
// means inherit.
type timeoutFields struct {
	Days, Hours, Minutes, Seconds string
}

func (t timeoutFields) parts() []string { return []string{t.Days, t.Hours, t.Minutes, t.Seconds} }

// inherit tells whether all four numbers are empty.
func (t timeoutFields) inherit() bool {
	return strings.TrimSpace(t.Days+t.Hours+t.Minutes+t.Seconds) == ""
}

// splitTimeout writes d as the four numbers of the form.
func splitTimeout(d time.Duration) timeoutFields {
	s := int64(d / time.Second)
	return timeoutFields{
		Days:    strconv.FormatInt(s/86400, 10),
		Hours:   strconv.FormatInt(s%86400/3600, 10),
		Minutes: strconv.FormatInt(s%3600/60, 10),
		Seconds: strconv.FormatInt(s%60, 10),
	}
}

// duration reads the four numbers; empty ones count as 0. Its message
// follows the setting's label: "must be at least 1 second: …".
func (t timeoutFields) duration() (time.Duration, string) {
	units := []time.Duration{24 * time.Hour, time.Hour, time.Minute, time.Second}
	var d time.Duration
	for i, p := range t.parts() {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil || n < 0 {
			return 0, "must be whole numbers of 0 or more: correct the days, hours, minutes or seconds"
		}
		if n > int64(scopes.MaxTimeout/units[i]) {
			return 0, "can be at most 3650 days: enter a shorter time"
		}
		d += time.Duration(n) * units[i]
	}
	switch {
	case d < scopes.MinTimeout:
		return 0, "must be at least 1 second: enter days, hours, minutes or seconds, or leave all four empty to inherit"
	case d > scopes.MaxTimeout:
		return 0, "can be at most 3650 days: enter a shorter time"
	}
	return d, ""
}

func readTimeout(c echo.Context, setting string) timeoutFields {
	v := func(unit string) string { return strings.TrimSpace(c.FormValue(setting + "." + unit)) }
	return timeoutFields{Days: v("days"), Hours: v("hours"), Minutes: v("minutes"), Seconds: v("seconds")}
}

func readScopeFields(c echo.Context, k scopes.Kind) scopeFields {
	p := string(k)
	return scopeFields{
		Management: strings.TrimSpace(c.FormValue(p + "Management")),
		Storage:    strings.TrimSpace(c.FormValue(p + "Storage")),
		Cluster:    strings.TrimSpace(c.FormValue(p + "Cluster")),
		Timeout:    readTimeout(c, p+"Timeout"),
	}
}

func readSettingsForm(c echo.Context) settingsForm {
	return settingsForm{
		SessionType:     strings.TrimSpace(c.FormValue(scopes.SessionType)),
		Session:         readScopeFields(c, scopes.Session),
		Client:          readScopeFields(c, scopes.Client),
		EndWebhook:      strings.TrimSpace(c.FormValue(scopes.ScopeEndWebhook)),
		AllowedWebhooks: strings.TrimSpace(c.FormValue(scopes.AllowedWebhooks)),
		SensitiveKeys:   strings.TrimSpace(c.FormValue(scopes.SensitiveKeys)),
		Limits:          readLimits(c),
		LockStorage:     strings.TrimSpace(c.FormValue(scopes.LockStorage)),
		Application: scopeFields{Storage: strings.TrimSpace(c.FormValue(scopes.ApplicationStorage)),
			Timeout: readTimeout(c, scopes.ApplicationTimeout)},
		Server:           scopeFields{Storage: strings.TrimSpace(c.FormValue(scopes.ServerStorage))},
		ServerScopeWrite: strings.TrimSpace(c.FormValue(scopes.ServerScopeWrite)),
		Errors:           map[string]string{},
	}
}

// limitSettings are the settings of the form's Limits section, in order.
var limitSettings = []string{scopes.MaxScopes, scopes.MaxMemory, scopes.MaxCreateRate}

func readLimits(c echo.Context) map[string]string {
	l := map[string]string{}
	for _, name := range limitSettings {
		l[name] = strings.TrimSpace(c.FormValue(name))
	}
	return l
}

// settingsFormFrom fills the form with the settings set at one level: those
// whose source explicit accepts show their value, the others inherit.
func settingsFormFrom(eff scopes.Effective, explicit func(from string) bool) settingsForm {
	value := func(name string) string {
		if explicit(eff.From[name]) {
			return eff.Values[name]
		}
		return scopes.Inherit
	}
	fields := func(k scopes.Kind) scopeFields {
		f := scopeFields{
			Management: value(string(k) + "Management"),
			Storage:    value(string(k) + "Storage"),
			Cluster:    value(string(k) + "Cluster"),
		}
		if name := string(k) + "Timeout"; explicit(eff.From[name]) {
			f.Timeout = splitTimeout(eff.Settings.Of(k).Timeout)
		}
		return f
	}
	f := settingsForm{SessionType: value(scopes.SessionType), Session: fields(scopes.Session),
		Client: fields(scopes.Client), Errors: map[string]string{}}
	if w := value(scopes.ScopeEndWebhook); w != scopes.Inherit {
		f.EndWebhook = w
	}
	if urls := value(scopes.AllowedWebhooks); urls != scopes.Inherit {
		f.AllowedWebhooks = strings.ReplaceAll(urls, ",", ", ")
	}
	if keys := value(scopes.SensitiveKeys); keys != scopes.Inherit {
		f.SensitiveKeys = strings.ReplaceAll(keys, ",", ", ")
	}
	f.Limits = map[string]string{}
	for _, name := range limitSettings {
		if l := value(name); l != scopes.Inherit {
			f.Limits[name] = l
		}
	}
	f.LockStorage = value(scopes.LockStorage)
	f.Application = scopeFields{Storage: value(scopes.ApplicationStorage)}
	if explicit(eff.From[scopes.ApplicationTimeout]) {
		f.Application.Timeout = splitTimeout(eff.Settings.Application.Timeout)
	}
	f.Server = scopeFields{Storage: value(scopes.ServerStorage)}
	f.ServerScopeWrite = value(scopes.ServerScopeWrite)
	return f
}

// of returns the fields of one scope kind.
func (f settingsForm) of(k scopes.Kind) scopeFields {
	switch k {
	case scopes.Client:
		return f.Client
	case scopes.Application:
		return f.Application
	case scopes.Server:
		return f.Server
	}
	return f.Session
}

// validate checks what the form itself can know, every setting at once,
// each message naming the setting by its label; which storages exist and
// whether the settings fit together is checkTogether's.
func (f *settingsForm) validate() bool {
	oneOf := func(name, value, choices string, valid ...string) {
		for _, v := range append(valid, scopes.Inherit) {
			if value == v {
				return
			}
		}
		f.Errors[name] = settingLabels[name] + " must be " + choices + ": choose one."
	}
	oneOf(scopes.SessionType, f.SessionType, "cfml, j2ee or inherited", scopes.SessionTypeCFML, scopes.SessionTypeJ2EE)
	for _, k := range scopes.Kinds {
		s, p := f.of(k), string(k)
		oneOf(p+"Management", s.Management, "enabled, disabled or inherited", "true", "false")
		oneOf(p+"Cluster", s.Cluster, "true, false or inherited", "true", "false")
		if s.Storage == "" {
			f.Errors[p+"Storage"] = settingLabels[p+"Storage"] + " is required: choose a storage, or inherit it."
		}
		if !s.Timeout.inherit() {
			if _, msg := s.Timeout.duration(); msg != "" {
				f.Errors[p+"Timeout"] = settingLabels[p+"Timeout"] + " " + msg + "."
			}
		}
	}
	if _, err := scopes.CanonicalWebhook(f.EndWebhook); err != nil {
		f.Errors[scopes.ScopeEndWebhook] = settingLabels[scopes.ScopeEndWebhook] + ": " + scopes.ErrorMessage(err) +
			". Enter an http:// or https:// URL without a password, or leave it empty to inherit."
	}
	if _, _, err := scopes.CanonicalSetting(scopes.AllowedWebhooks, f.AllowedWebhooks); err != nil {
		_, msg, _ := strings.Cut(scopes.ErrorMessage(err), ": ")
		f.Errors[scopes.AllowedWebhooks] = settingLabels[scopes.AllowedWebhooks] + ": " + msg + fmt.Sprintf(
			". Enter at most %d https:// URLs without a password, separated by commas, or leave it empty to inherit.", scopes.MaxAllowedWebhooks)
	}
	for _, name := range limitSettings {
		if f.Limits[name] == "" {
			continue
		}
		if _, _, err := scopes.CanonicalSetting(name, f.Limits[name]); err != nil {
			_, msg, _ := strings.Cut(scopes.ErrorMessage(err), ": ")
			f.Errors[name] = settingLabels[name] + ": " + msg + ". Leave it empty to inherit."
		}
	}
	if _, _, err := scopes.CanonicalSetting(scopes.SensitiveKeys, f.SensitiveKeys); err != nil {
		_, msg, _ := strings.Cut(scopes.ErrorMessage(err), ": ")
		f.Errors[scopes.SensitiveKeys] = settingLabels[scopes.SensitiveKeys] + ": " + msg + fmt.Sprintf(
			". List at most %d names of at most %d characters, separated by commas.", scopes.MaxSensitiveKeys, scopes.MaxSensitiveKeySize)
	}
	f.validateLockStorage()
	f.validateShared(oneOf)
	return len(f.Errors) == 0
}

// checkTogether checks what the Directory would refuse of the settings as a
// whole, so that it shows beside its field with the form's other messages
// rather than alone after them: a storage that its scope cannot use, and
// j2ee sessions kept elsewhere than in memory. inherited gives the value of
// each setting left to inherit; valid lists the storages of each scope.
func (f *settingsForm) checkTogether(inherited scopes.Effective, valid map[scopes.Kind][]string) bool {
	for _, k := range f.storageKinds() {
		name, s := string(k)+"Storage", f.of(k).Storage
		if s == "" || s == scopes.Inherit || f.Errors[name] != "" {
			continue
		}
		if k == scopes.Session && scopes.NormalizeStorage(s) == scopes.StorageCookie {
			f.Errors[name] = "Session storage cannot be cookie: cookie is for the client scope only. Choose " + joinOr(valid[k]) + "."
			continue
		}
		if !slices.Contains(valid[k], scopes.NormalizeStorage(s)) {
			f.Errors[name] = fmt.Sprintf("%s %s is not available: choose %s, or a cache or datasource whose Storage box is ticked.",
				settingLabels[name], s, joinOr(valid[k]))
		}
	}
	typ, storage := f.SessionType, f.Session.Storage
	if typ == scopes.Inherit {
		typ = inherited.Values[scopes.SessionType]
	}
	if storage == scopes.Inherit {
		storage = inherited.Values[scopes.SessionStorage]
	}
	if typ == scopes.SessionTypeJ2EE && scopes.NormalizeStorage(storage) != scopes.StorageMemory && f.Errors[scopes.SessionType] == "" {
		f.Errors[scopes.SessionType] = "Session type j2ee keeps sessions in the servlet container's memory, so it cannot use storage " +
			storage + ": choose cfml, or memory as the session storage."
	}
	return len(f.Errors) == 0
}

// joinOr lists choices as a sentence does: "a, b or c".
func joinOr(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// values returns each setting as the config store writes it, or
// scopes.Inherit; validate must have passed.
func (f settingsForm) values() map[string]string {
	v := map[string]string{scopes.SessionType: f.SessionType, scopes.ScopeEndWebhook: scopes.Inherit,
		scopes.AllowedWebhooks: scopes.Inherit, scopes.SensitiveKeys: scopes.Inherit}
	if _, urls, _ := scopes.CanonicalSetting(scopes.AllowedWebhooks, f.AllowedWebhooks); urls != "" {
		v[scopes.AllowedWebhooks] = urls
	}
	if f.EndWebhook != "" {
		v[scopes.ScopeEndWebhook] = f.EndWebhook
	}
	for _, name := range limitSettings {
		v[name] = scopes.Inherit
		if _, l, err := scopes.CanonicalSetting(name, f.Limits[name]); err == nil && f.Limits[name] != "" {
			v[name] = l
		}
	}
	// A list that canonicalizes to none ("," say) inherits, as an empty one does.
	if _, keys, _ := scopes.CanonicalSetting(scopes.SensitiveKeys, f.SensitiveKeys); keys != "" {
		v[scopes.SensitiveKeys] = keys
	}
	v[scopes.LockStorage] = f.lockStorageValue()
	f.sharedValues(v)
	for _, k := range scopes.Kinds {
		s, p := f.of(k), string(k)
		v[p+"Management"], v[p+"Cluster"] = s.Management, s.Cluster
		v[p+"Storage"] = s.Storage
		if s.Storage != scopes.Inherit {
			v[p+"Storage"] = scopes.NormalizeStorage(s.Storage)
		}
		v[p+"Timeout"] = scopes.Inherit
		if !s.Timeout.inherit() {
			d, _ := s.Timeout.duration()
			v[p+"Timeout"] = scopes.FormatTimeout(d)
		}
	}
	return v
}

// changes returns only the settings whose submitted value differs from what
// the level holds now, so that saving an untouched form changes nothing and
// does not turn a setting an app declared into one an administrator set.
func (f settingsForm) changes(current scopes.Effective, explicit func(from string) bool) map[string]string {
	out := map[string]string{}
	for name, v := range f.values() {
		now := scopes.Inherit
		if explicit(current.From[name]) {
			now = current.Values[name]
		}
		if v != now {
			out[name] = v
		}
	}
	return out
}

// directoryError puts a refusal of the Directory beside the field it names
// ("sessionStorage: unknown storage …"), naming the setting by its label,
// or above the form, and tells whether err was such a refusal rather than a
// failure. checkTogether catches most of these first.
func (f *settingsForm) directoryError(err error) bool {
	if code := scopes.ErrorCode(err); code != scopes.EInvalidSettings && code != scopes.EInvalid {
		return false
	}
	msg := scopes.ErrorMessage(err)
	for _, name := range scopes.SettingNames() {
		if rest, ok := strings.CutPrefix(msg, name+":"); ok {
			f.Errors[name] = sentence(settingLabels[name] + ":" + rest)
			return true
		}
		if rest, ok := strings.CutPrefix(msg, name+" "); ok {
			f.Errors[name] = sentence(settingLabels[name] + " " + rest)
			return true
		}
	}
	f.Errors["form"] = sentence(msg)
	return true
}

// sentence makes a message a sentence: a capital first letter and a full stop.
func sentence(msg string) string {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return msg
	}
	r, n := utf8.DecodeRuneInString(msg)
	msg = string(unicode.ToUpper(r)) + msg[n:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

// errorCount is how many settings have a message beside them.
func (f settingsForm) errorCount() int {
	n := len(f.Errors)
	if _, ok := f.Errors["form"]; ok {
		n--
	}
	return n
}

// field returns the submitted value of a setting other than a timeout.
func (f settingsForm) field(name string) string {
	switch name {
	case scopes.SessionType:
		return f.SessionType
	case scopes.SessionManagement:
		return f.Session.Management
	case scopes.SessionStorage:
		return f.Session.Storage
	case scopes.SessionCluster:
		return f.Session.Cluster
	case scopes.ClientManagement:
		return f.Client.Management
	case scopes.ClientStorage:
		return f.Client.Storage
	case scopes.ClientCluster:
		return f.Client.Cluster
	case scopes.LockStorage:
		return f.LockStorage
	case scopes.ApplicationStorage:
		return f.Application.Storage
	case scopes.ServerStorage:
		return f.Server.Storage
	case scopes.ServerScopeWrite:
		return f.ServerScopeWrite
	}
	return ""
}

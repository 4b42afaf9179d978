package scopes

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// DefaultCacheTTL is how long a Directory trusts what it read from the config
// store; changes made by another process show up within this time.
const DefaultCacheTTL = 5 * time.Second

// Directory is the registry of apps: their API keys and their effective
// settings, on top of a ConfigStore, with a short cache so that an API
// request does not cost a config read.
type Directory struct {
	config   ConfigStore
	storages Storages
	// CacheTTL bounds how stale the cache may be; 0 turns it off.
	CacheTTL time.Duration
	// Now returns the current time.
	Now func() time.Time
	// Auditor, when set, records every change in the audit log.
	Auditor Auditor
	// Webhooks is where an administrator may point webhooks; a URL it
	// refuses is refused when set, with the reason, rather than failing
	// every delivery later. Its zero value is https to public addresses.
	Webhooks WebhookPolicy

	mu        sync.Mutex
	keys      map[[sha256.Size]byte]cached[string]
	effective map[string]cached[Effective]
	// misses holds the digests of keys the config store did not know, until
	// when (directory_miss.go).
	misses map[[sha256.Size]byte]time.Time
	// gen counts forget's calls, so that a lookup that began before a change
	// does not cache what it read.
	gen uint64
	// declarations limits each app's changes of its own settings
	// (directory_declare.go).
	declarations sync.Map
	// used holds when this instance last recorded each key's use, and uses
	// counts those writes in flight (apikey_keys.go); forget keeps them.
	used map[[sha256.Size]byte]time.Time
	uses sync.WaitGroup
}

type cached[T any] struct {
	value   T
	expires time.Time
}

// NewDirectory returns a Directory over a config store and the storages.
func NewDirectory(config ConfigStore, storages Storages) *Directory {
	d := &Directory{config: config, storages: storages, CacheTTL: DefaultCacheTTL, Now: time.Now}
	d.forget()
	return d
}

// forgetApp drops app's cached settings after a change of them: the other
// apps' settings and every API key stay cached.
func (d *Directory) forgetApp(app string) {
	d.mu.Lock()
	delete(d.effective, app)
	d.gen++
	d.mu.Unlock()
}

// forget empties the cache after a change made through this directory.
func (d *Directory) forget() {
	d.mu.Lock()
	d.keys = map[[sha256.Size]byte]cached[string]{}
	d.effective = map[string]cached[Effective]{}
	d.misses = map[[sha256.Size]byte]time.Time{}
	d.gen++
	d.mu.Unlock()
}

func configError(err error) error {
	if err == nil || ErrorCode(err) != EInternal {
		return err
	}
	return Unavailable("the config store", err)
}

// Authenticate returns the app that owns an API key.
func (d *Directory) Authenticate(ctx context.Context, key string) (string, error) {
	if key == "" {
		return "", Errorf(EUnauthorized, "an API key is required: send Authorization: Bearer <key>")
	}
	// The cache is keyed by the digest itself: no hex string to build
	// and allocate on every request.
	sum := keyDigest(key)
	now := d.Now()
	d.mu.Lock()
	c, ok := d.keys[sum]
	if ok && now.Before(c.expires) {
		due := d.useDueLocked(sum, now)
		d.mu.Unlock()
		if due {
			d.recordUse(sum, now)
		}
		return c.value, nil
	}
	missed, gen := d.missedLocked(sum, now), d.gen
	d.mu.Unlock()
	if missed {
		return "", unknownKey()
	}
	app, found, err := d.config.AppForKey(ctx, hex.EncodeToString(sum[:]))
	if err != nil {
		return "", configError(err)
	}
	if !found {
		d.rememberMiss(sum, gen, now)
		return "", unknownKey()
	}
	if d.CacheTTL > 0 {
		d.mu.Lock()
		if d.gen == gen {
			d.keys[sum] = cached[string]{app, now.Add(d.CacheTTL)}
		}
		d.mu.Unlock()
	}
	d.mu.Lock()
	due := d.useDueLocked(sum, now)
	d.mu.Unlock()
	if due {
		d.recordUse(sum, now)
	}
	return app, nil
}

// CreateApp registers an app and returns its first API key, which is shown
// once and never stored.
func (d *Directory) CreateApp(ctx context.Context, name string) (string, error) {
	if err := ValidateAppName(name); err != nil {
		return "", err
	}
	key, hash := NewAPIKey()
	if err := d.config.CreateApp(ctx, name, hash, d.Now()); err != nil {
		return "", configError(err)
	}
	d.forget()
	d.audit(ctx, "app.create", name, "created with one API key")
	return key, nil
}

// RotateKey revokes every key of an app and returns a new one.
func (d *Directory) RotateKey(ctx context.Context, name string) (string, error) {
	key, hash := NewAPIKey()
	found, err := d.config.ReplaceKeys(ctx, name, hash, d.Now())
	if err != nil {
		return "", configError(err)
	}
	if !found {
		return "", appNotFound(name)
	}
	d.forget()
	d.audit(ctx, "app.key.rotate", name, "every API key revoked, a new one issued")
	return key, nil
}

// RevokeKeys revokes every key of an app: it can call the API again only
// after a new key is issued.
func (d *Directory) RevokeKeys(ctx context.Context, name string) error {
	found, err := d.config.RevokeKeys(ctx, name, d.Now())
	if err != nil {
		return configError(err)
	}
	if !found {
		return appNotFound(name)
	}
	d.forget()
	d.audit(ctx, "app.key.revoke", name, "every API key revoked")
	return nil
}

// Apps lists the apps by name.
func (d *Directory) Apps(ctx context.Context) ([]App, error) {
	apps, err := d.config.Apps(ctx)
	if err != nil {
		return nil, configError(err)
	}
	sort.Slice(apps, func(i, j int) bool { return apps[i].Name < apps[j].Name })
	return apps, nil
}

func appNotFound(name string) error {
	return Errorf(ENotFound, "no app named %q; create it with `scopestore app create %s`", name, name)
}

// Effective returns an app's effective settings.
func (d *Directory) Effective(ctx context.Context, app string) (Effective, error) {
	now := d.Now()
	d.mu.Lock()
	c, ok := d.effective[app]
	d.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.value, nil
	}
	a, found, err := d.config.App(ctx, app)
	if err != nil {
		return Effective{}, configError(err)
	}
	if !found {
		return Effective{}, appNotFound(app)
	}
	server, err := d.config.ServerLayer(ctx)
	if err != nil {
		return Effective{}, configError(err)
	}
	eff := Resolve(server, a.Layer)
	if d.CacheTTL > 0 {
		d.mu.Lock()
		d.effective[app] = cached[Effective]{eff, now.Add(d.CacheTTL)}
		d.mu.Unlock()
	}
	return eff, nil
}

// ServerSettings returns the server defaults resolved over the built-in ones.
func (d *Directory) ServerSettings(ctx context.Context) (Effective, error) {
	server, err := d.config.ServerLayer(ctx)
	if err != nil {
		return Effective{}, configError(err)
	}
	return Resolve(server, nil), nil
}

// StorageNames lists the storages a scope of kind k may use.
func (d *Directory) StorageNames(ctx context.Context, k Kind) ([]string, error) {
	names, err := d.storages.Names(ctx, k)
	return names, configError(err)
}

// Inherit is the setting value that, given to SetAppSettings or
// SetServerSettings, removes the setting so that it is inherited again.
const Inherit = "inherit"

// DeclareSettings is the app's own declaration, like Application.cfc: it
// replaces whatever the app declared before. Settings that an administrator
// set for the app stay unless the app declares them too.
//
// The app chooses its scopeEndWebhook only among the allowedWebhooks that an
// administrator set for it (or "", none), and never sets allowedWebhooks:
// otherwise any API key could make scopestore POST to an address of its
// choosing, inside the network scopestore runs in.
func (d *Directory) DeclareSettings(ctx context.Context, app string, values map[string]string) (Effective, error) {
	if err := refuseServerOnly(values); err != nil {
		return Effective{}, err
	}
	for name := range values {
		if AdminOnlySetting(name) {
			def, _ := lookupSetting(name)
			return Effective{}, Errorf(EForbidden, "%s is set by an administrator only, on the app's page of the console or with `scopestore app settings %s --%s …`: leave it out of the declaration",
				def.name, app, SettingFlag(def.name))
		}
	}
	return d.changeApp(ctx, app, declareAction, func(l Layer) error {
		for name, e := range l {
			if e.By == FromApp {
				delete(l, name)
			}
		}
		return apply(l, values, FromApp)
	}, func(eff Effective) error {
		// Every FromApp entry is in values: the declaration replaced the rest.
		w := eff.Values[ScopeEndWebhook]
		if eff.From[ScopeEndWebhook] != FromApp || w == "" || slices.Contains(eff.Settings.AllowedWebhooks, w) {
			return nil
		}
		allowed := "none yet"
		if len(eff.Settings.AllowedWebhooks) > 0 {
			allowed = strings.Join(eff.Settings.AllowedWebhooks, ", ")
		}
		return Errorf(EForbidden, "%s: %s is not in %s, the webhooks an administrator allowed for app %s (%s): declare one of them, or \"\" for none, or ask an administrator to add it to %s",
			ScopeEndWebhook, w, AllowedWebhooks, app, allowed, AllowedWebhooks)
	})
}

// SetAppSettings sets settings for an app as an administrator; the value
// Inherit removes a setting.
func (d *Directory) SetAppSettings(ctx context.Context, app string, values map[string]string) (Effective, error) {
	if err := refuseServerOnly(values); err != nil {
		return Effective{}, err
	}
	if err := d.checkWebhooks(values); err != nil {
		return Effective{}, err
	}
	return d.changeApp(ctx, app, "app.settings", func(l Layer) error { return apply(l, values, FromAdmin) }, nil)
}

// refuseServerOnly refuses, for one app, a setting that only the server
// defaults hold, saying where to set it.
func refuseServerOnly(values map[string]string) error {
	for name := range values {
		if ServerOnlySetting(name) {
			def, _ := lookupSetting(name)
			return Errorf(EInvalidSettings, "%s is set for the whole deployment, not for one app: set it with `scopestore scope defaults --%s …` or on the console's Scope page",
				def.name, SettingFlag(def.name))
		}
	}
	return nil
}

// checkWebhooks refuses webhook URLs that an administrator sets and that
// the Webhooks policy would refuse at every delivery, saying why.
func (d *Directory) checkWebhooks(values map[string]string) error {
	for name, value := range values {
		def, ok := lookupSetting(name)
		if !ok || (def.kind != urlSetting && def.kind != urlListSetting) || strings.EqualFold(strings.TrimSpace(value), Inherit) {
			continue
		}
		_, canon, err := CanonicalSetting(name, value)
		if err != nil {
			return err
		}
		for _, u := range splitKeyList(canon) {
			if err := d.Webhooks.CheckURL(u); err != nil {
				return Errorf(EInvalidSettings, "%s: %s", def.name, ErrorMessage(err))
			}
		}
	}
	return nil
}

func (d *Directory) changeApp(ctx context.Context, app, action string, edit func(Layer) error, check func(Effective) error) (Effective, error) {
	a, found, err := d.config.App(ctx, app)
	if err != nil {
		return Effective{}, configError(err)
	}
	if !found {
		return Effective{}, appNotFound(app)
	}
	server, err := d.config.ServerLayer(ctx)
	if err != nil {
		return Effective{}, configError(err)
	}
	layer := Layer{}
	for k, v := range a.Layer {
		layer[k] = v
	}
	if err := edit(layer); err != nil {
		return Effective{}, err
	}
	eff := Resolve(server, layer)
	if err := d.validate(ctx, eff.Settings); err != nil {
		return Effective{}, err
	}
	if check != nil {
		if err := check(eff); err != nil {
			return Effective{}, err
		}
	}
	change := DiffLayers(a.Layer, layer)
	if change == "" {
		// An app that declares the same settings on every request costs no write.
		return eff, nil
	}
	if action == declareAction && !d.takeDeclaration(app) {
		return Effective{}, Errorf(ETooManyRequests, "app %q changed its settings %d times in the last few minutes: declare them once, when the app starts, rather than on every request; try again in a minute",
			app, declarationBurst)
	}
	if _, err := d.config.SetAppLayer(ctx, app, layer); err != nil {
		return Effective{}, configError(err)
	}
	d.forgetApp(app)
	d.audit(ctx, action, app, change)
	return eff, nil
}

// SetServerSettings changes the server defaults; the value Inherit puts a
// setting back to its built-in default. A change that would leave an app
// with settings that cannot work is refused with the names of those apps.
func (d *Directory) SetServerSettings(ctx context.Context, values map[string]string) (Effective, error) {
	if err := d.checkWebhooks(values); err != nil {
		return Effective{}, err
	}
	server, err := d.config.ServerLayer(ctx)
	if err != nil {
		return Effective{}, configError(err)
	}
	layer := Layer{}
	for k, v := range server {
		layer[k] = v
	}
	if err := apply(layer, values, FromAdmin); err != nil {
		return Effective{}, err
	}
	eff := Resolve(layer, nil)
	if err := d.validate(ctx, eff.Settings); err != nil {
		return Effective{}, err
	}
	apps, err := d.config.Apps(ctx)
	if err != nil {
		return Effective{}, configError(err)
	}
	var broken []string
	for _, a := range apps {
		if d.validate(ctx, Resolve(layer, a.Layer).Settings) != nil {
			broken = append(broken, a.Name)
		}
	}
	if len(broken) > 0 {
		sort.Strings(broken)
		return Effective{}, Errorf(EInvalidSettings, "these apps would be left with settings that cannot work: %s; change their settings first", strings.Join(broken, ", "))
	}
	change := DiffLayers(server, layer)
	if change == "" {
		return eff, nil
	}
	if err := d.config.SetServerLayer(ctx, layer); err != nil {
		return Effective{}, configError(err)
	}
	d.forget()
	d.audit(ctx, "server.settings", "server defaults", change)
	return eff, nil
}

// audit records a change; a failure to record it is logged, never returned,
// since the change itself has been made.
func (d *Directory) audit(ctx context.Context, action, target, detail string) {
	if d.Auditor == nil {
		return
	}
	e := AuditEntry{At: d.Now(), Actor: ActorFrom(ctx), Action: action, Target: target, Detail: detail}
	if err := d.Auditor.AddAudit(ctx, e); err != nil {
		slog.ErrorContext(ctx, "audit log write failed", "action", action, "target", target, "err", err)
	}
}

// DiffLayers describes what changed between two layers, one setting per
// part ("sessionStorage: inherited → file"), "" when nothing did.
func DiffLayers(old, new Layer) string {
	var parts []string
	for _, name := range SettingNames() {
		o, oldOK := old[name]
		n, newOK := new[name]
		if oldOK == newOK && o == n {
			continue
		}
		from, to := "inherited", "inherited"
		if oldOK {
			from = o.Value
		}
		if newOK {
			to = n.Value
		}
		if from == to {
			parts = append(parts, name+": now set by "+n.By)
			continue
		}
		parts = append(parts, name+": "+from+" → "+to)
	}
	return strings.Join(parts, "; ")
}

func apply(l Layer, values map[string]string, by string) error {
	for name, value := range values {
		if strings.EqualFold(strings.TrimSpace(value), Inherit) {
			def, ok := lookupSetting(name)
			if !ok {
				return unknownSetting(name)
			}
			delete(l, def.name)
			continue
		}
		canon, v, err := CanonicalSetting(name, value)
		if err != nil {
			return err
		}
		l[canon] = Entry{Value: v, By: by}
	}
	return nil
}

func (d *Directory) validate(ctx context.Context, s Settings) error {
	var names = map[Kind][]string{}
	for _, k := range StoredKinds {
		n, err := d.storages.Names(ctx, k)
		if err != nil {
			return configError(err)
		}
		names[k] = n
	}
	if err := d.validateLockStorage(ctx, s.LockStorage); err != nil {
		return err
	}
	return s.Validate(func(k Kind) []string { return names[k] })
}

// Health is the state of one dependency: the config store or a storage.
type Health struct {
	Name string
	Err  error
}

// StoragesInUse maps each storage that the server defaults or an app's
// effective settings name for a scope (session, client, application, and
// the server scope for the defaults) to the apps that use it ("" stands
// for the server defaults).
func (d *Directory) StoragesInUse(ctx context.Context) (map[string][]string, error) {
	server, err := d.config.ServerLayer(ctx)
	if err != nil {
		return nil, configError(err)
	}
	apps, err := d.config.Apps(ctx)
	if err != nil {
		return nil, configError(err)
	}
	use := map[string][]string{}
	add := func(s Settings, who string) {
		for _, k := range StoredKinds {
			if k == Server && who != "" {
				// The server scope is the server defaults', not each app's.
				continue
			}
			name := s.Of(k).Storage
			if !slices.Contains(use[name], who) {
				use[name] = append(use[name], who)
			}
		}
	}
	add(Resolve(server, nil).Settings, "")
	for _, a := range apps {
		add(Resolve(server, a.Layer).Settings, a.Name)
	}
	return use, nil
}

// Check pings the config store and every storage in use, in name order.
func (d *Directory) Check(ctx context.Context) []Health {
	out := []Health{{Name: "config", Err: configError(d.config.Ping(ctx))}}
	use, err := d.StoragesInUse(ctx)
	if err != nil {
		return out
	}
	names := make([]string, 0, len(use))
	for name := range use {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		h := Health{Name: "storage " + name}
		st, err := d.storages.Store(ctx, name)
		if err == nil {
			err = st.Ping(ctx)
		}
		if err != nil && ErrorCode(err) == EInternal {
			err = Unavailable("storage "+quote(name), err)
		}
		h.Err = err
		out = append(out, h)
	}
	return out
}

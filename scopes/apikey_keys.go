package scopes

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// APIKey is one API key of an app as the config store keeps it: never the
// key itself, only what an administrator needs to tell the keys apart and
// to see which one is still in use before revoking it.
type APIKey struct {
	// ID names the key in the console, the command line and the audit log.
	ID    int64
	App   string
	Label string
	// Created is when the key was issued.
	Created time.Time
	// LastUsed is the last API call made with the key that an instance
	// recorded, to within KeyUseInterval; zero when it was never used.
	LastUsed time.Time
	// Revoked is when the key was revoked; zero while it is active.
	Revoked time.Time
}

// Active tells whether the key still opens its app.
func (k APIKey) Active() bool { return k.Revoked.IsZero() }

// Name is how messages and the audit log name the key: its id and label.
func (k APIKey) Name() string { return fmt.Sprintf("API key %d (%q)", k.ID, k.Label) }

// MaxKeyLabel is the longest label a key may have, in characters: the
// config store's label column holds 100.
const MaxKeyLabel = 100

// KeyUseInterval is how often an instance records the use of one key at
// most: a busy key costs one config store write a minute per instance, not
// one per request, and last-used times are that precise.
const KeyUseInterval = time.Minute

// maxKeyUses bounds the memory of when each key's use was last recorded;
// only valid keys get there, so it is reached only with thousands of keys.
const maxKeyUses = 4096

// ValidateKeyLabel trims a key's label and checks it: at most MaxKeyLabel
// characters of text, no control characters, so that it shows on one line
// in the console and the command line. An empty label is allowed: the
// config store then names the key "key N".
func ValidateKeyLabel(label string) (string, error) {
	label = strings.TrimSpace(label)
	switch {
	case !utf8.ValidString(label) || strings.ContainsFunc(label, unicode.IsControl):
		return "", Errorf(EInvalid, "the key label must be text on one line, without control characters")
	case utf8.RuneCountInString(label) > MaxKeyLabel:
		return "", Errorf(EInvalid, "the key label is longer than %d characters", MaxKeyLabel)
	}
	return label, nil
}

// AddKey issues one more API key for an app, labelled label ("" for the
// next "key N"), and returns it; the app's other keys keep working, so that
// the new key can be deployed before the old one is revoked. The key is
// shown once and never stored.
func (d *Directory) AddKey(ctx context.Context, app, label string) (string, APIKey, error) {
	label, err := ValidateKeyLabel(label)
	if err != nil {
		return "", APIKey{}, err
	}
	key, hash := NewAPIKey()
	k, found, err := d.config.AddKey(ctx, app, hash, label, d.Now())
	if err != nil {
		return "", APIKey{}, configError(err)
	}
	if !found {
		return "", APIKey{}, appNotFound(app)
	}
	d.forget()
	d.audit(ctx, "app.key.add", app, k.Name()+" added; the other keys keep working")
	return key, k, nil
}

// Keys lists an app's API keys, revoked ones too, oldest first.
func (d *Directory) Keys(ctx context.Context, app string) ([]APIKey, error) {
	keys, found, err := d.config.Keys(ctx, app)
	if err != nil {
		return nil, configError(err)
	}
	if !found {
		return nil, appNotFound(app)
	}
	return keys, nil
}

// RevokeKey revokes one API key of an app and returns it with the number of
// active keys left. It refuses, with EConflict, to revoke the app's last
// active key unless force: the app would be locked out, every call
// answered 401, until a new key is added. This instance stops accepting
// the key at once; another instance within its CacheTTL.
func (d *Directory) RevokeKey(ctx context.Context, app string, id int64, force bool) (APIKey, int, error) {
	k, left, found, err := d.config.RevokeKey(ctx, app, id, force, d.Now())
	if err != nil {
		return APIKey{}, 0, configError(err)
	}
	if !found {
		if _, ok, err := d.config.App(ctx, app); err != nil {
			return APIKey{}, 0, configError(err)
		} else if !ok {
			return APIKey{}, 0, appNotFound(app)
		}
		return APIKey{}, 0, Errorf(ENotFound, "app %q has no API key %d; `scopestore app key list %s` lists its keys", app, id, app)
	}
	d.forget()
	detail := k.Name() + fmt.Sprintf(" revoked; %d active keys left", left)
	if left == 1 {
		detail = k.Name() + " revoked; 1 active key left"
	}
	if left == 0 {
		detail = k.Name() + " revoked; it was the last active key: the app is locked out until a new key is added"
	}
	d.audit(ctx, "app.key.revoke", app, detail)
	return k, left, nil
}

// ErrLastKey is the cause of RevokeKey's refusal to revoke an app's last
// active key without force, which a front end may offer to force
// (errors.Is).
var ErrLastKey = errors.New("the last active API key")

// LastKeyRefusal is the config store's refusal to revoke k, the last active
// key of its app, without force.
func LastKeyRefusal(k APIKey) error {
	return &Error{Code: EConflict, Err: ErrLastKey, Message: fmt.Sprintf(
		"%s is the last active API key of %s: revoking it would lock %s out, every API call answered 401, until a new key is added; add the new key and deploy it first",
		k.Name(), k.App, k.App)}
}

// useDueLocked tells whether the use of the key with digest sum at now is
// to be recorded — at most once per KeyUseInterval per key on this
// instance — and marks it recorded; d.mu is held.
func (d *Directory) useDueLocked(sum [sha256.Size]byte, now time.Time) bool {
	if last, ok := d.used[sum]; ok && now.Sub(last) < KeyUseInterval {
		return false
	}
	if d.used == nil || len(d.used) >= maxKeyUses {
		// Entries past the interval would be written again anyway.
		for k, last := range d.used {
			if now.Sub(last) >= KeyUseInterval {
				delete(d.used, k)
			}
		}
		if d.used == nil || len(d.used) >= maxKeyUses {
			d.used = map[[sha256.Size]byte]time.Time{}
		}
	}
	// Marked before the write, and kept if it fails: a config store that
	// does not answer gets one attempt a minute per key, not one per
	// request.
	d.used[sum] = now
	return true
}

// recordUse writes the key's last use in the background, so that no API
// request waits for the config store.
func (d *Directory) recordUse(sum [sha256.Size]byte, now time.Time) {
	d.uses.Add(1)
	go func() {
		defer d.uses.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := d.config.KeyUsed(ctx, hex.EncodeToString(sum[:]), now); err != nil {
			slog.Warn("recording an API key's last use failed; its next use a minute from now tries again", "err", err)
		}
	}()
}

// WaitKeyUses waits for the writes of keys' last use that have started, so
// that a test, or a server shutting down, sees them done.
func (d *Directory) WaitKeyUses() { d.uses.Wait() }

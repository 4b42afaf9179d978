package admin

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// onceCookie carries a secret just made (an admin API token, an app's API
// key) from the POST that made it to the one GET that shows it, so that
// the form's answer is a redirect (Post/Redirect/Get): a reload of the
// page sends no form again, makes nothing, and finds the secret gone. A
// cookie rather than this instance's memory, since the GET may reach
// another instance; sealed under the browser's console session (onceAEAD),
// so that no other session opens it and nobody can plant one.
const onceCookie = "scopestore_once"

// onceLifetime bounds how long a secret waits for its page.
const onceLifetime = 2 * time.Minute

// keepOnce seals v for the next GET of path, in a cookie sent to path
// alone.
func keepOnce(c echo.Context, path string, v any) error {
	aead, err := onceAEAD(c)
	if err != nil {
		return err
	}
	plain, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("admin: keep a secret for its page: %w", err)
	}
	nonce := make([]byte, aead.NonceSize())
	_, _ = rand.Read(nonce)
	sealed := aead.Seal(nonce, nonce, plain, []byte(path))
	c.SetCookie(&http.Cookie{Name: onceCookie, Value: base64.RawURLEncoding.EncodeToString(sealed), Path: path,
		MaxAge: int(onceLifetime.Seconds()), HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure(c)})
	return nil
}

// takeOnce opens into v, and clears, what keepOnce kept for the request's
// path. It is false when there is nothing to open: the page was shown
// already (a reload), or the secret was kept for another session, or too
// long ago.
func takeOnce(c echo.Context, v any) bool {
	path := c.Request().URL.Path
	ck, err := c.Cookie(onceCookie)
	if err != nil || ck.Value == "" {
		return false
	}
	c.SetCookie(&http.Cookie{Name: onceCookie, Value: "", Path: path, MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: secure(c)})
	aead, err := onceAEAD(c)
	if err != nil {
		return false
	}
	sealed, err := base64.RawURLEncoding.DecodeString(ck.Value)
	n := aead.NonceSize()
	if err != nil || len(sealed) < n {
		return false
	}
	plain, err := aead.Open(nil, sealed[:n], sealed[n:], []byte(path))
	return err == nil && json.Unmarshal(plain, v) == nil
}

// onceAEAD is the cipher of the request's console session. Its key is a
// hash of the session id, which only the browser holds: the config store
// keeps another hash of it (hashID).
func onceAEAD(c echo.Context) (cipher.AEAD, error) {
	ck, err := c.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return nil, errors.New("admin: no console session to keep a secret for")
	}
	key := sha256.Sum256([]byte("scopestore shown once\x00" + ck.Value))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, fmt.Errorf("admin: cipher of a secret kept for its page: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("admin: cipher of a secret kept for its page: %w", err)
	}
	return aead, nil
}

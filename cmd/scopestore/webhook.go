package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// dispatchInterval is how often each instance delivers the end-of-scope
// notifications that are due.
const dispatchInterval = 3 * time.Second

// webhookSender POSTs end-of-scope notifications: the I/O that scopes
// leaves to cmd (see scopes.Sender).
type webhookSender struct {
	client *http.Client
}

func newWebhookSender() *webhookSender {
	return &webhookSender{client: &http.Client{
		Timeout: scopes.WebhookTimeout,
		// A webhook answers where it is: a redirect is a failed delivery,
		// reported with its status, rather than a POST sent somewhere else.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Send POSTs body as JSON to url; any answer but 2xx is an error.
func (w *webhookSender) Send(ctx context.Context, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook %s: %w", url, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "scopestore/"+version)
	res, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	defer res.Body.Close()
	// Read a little of the answer so that the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("webhook %s answered %s", url, res.Status)
	}
	return nil
}

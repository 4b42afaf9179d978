package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
)

// userAgent names this client in scopestore's logs.
const userAgent = "scopestore-go-client/1"

// call is one API request.
type call struct {
	method string
	path   string // below /api/v1/apps/{app}
	query  url.Values
	body   any // encoded as JSON; nil sends no body
	// ifMatch > 0 sends If-Match: "<ifMatch>".
	ifMatch int64
	// ifNoneMatch sends If-None-Match: *, the create-if-absent PUT.
	ifNoneMatch bool
	// idempotent calls are sent a second time after a connection error;
	// POST and PATCH never are, since their first try may have been applied.
	idempotent bool
	// want lists the statuses that mean success.
	want []int
}

// do sends the call and returns the answer's body when its status is one
// of want, else an *Error (unavailable when scopestore could not be reached).
func (c *Client) do(ctx context.Context, k call) ([]byte, error) {
	var body []byte
	if k.body != nil {
		var err error
		if body, err = json.Marshal(k.body); err != nil {
			return nil, &Error{Code: CodeInvalid, Message: "the request cannot be encoded as JSON: " + err.Error()}
		}
	}
	target := c.appURL + k.path
	if len(k.query) > 0 {
		target += "?" + k.query.Encode()
	}
	tries := 1
	if k.idempotent {
		tries = 2
	}
	var res *http.Response
	var err error
	for try := 0; try < tries; try++ {
		res, err = c.send(ctx, k, target, body)
		if err == nil || ctx.Err() != nil || timedOut(err) {
			break // a slow server is not asked twice
		}
	}
	if err != nil {
		return nil, unreachable(ctx, c.baseURL, err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, unreachable(ctx, c.baseURL, err)
	}
	if !slices.Contains(k.want, res.StatusCode) {
		return nil, errorFromResponse(res, out)
	}
	return out, nil
}

// send sends one try of the call.
func (c *Client) send(ctx context.Context, k call, target string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, k.method, target, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if k.ifMatch > 0 {
		req.Header.Set("If-Match", `"`+strconv.FormatInt(k.ifMatch, 10)+`"`)
	}
	if k.ifNoneMatch {
		req.Header.Set("If-None-Match", "*")
	}
	return c.hc.Do(req)
}

// decodeJSON decodes an answer into v.
func decodeJSON(b []byte, v any) error {
	if len(b) == 0 {
		return errors.New("empty answer")
	}
	return json.Unmarshal(b, v)
}

// decodeAnswer decodes a successful answer, turning a body that is not the
// expected JSON into an *Error.
func decodeAnswer(b []byte, v any) error {
	if err := decodeJSON(b, v); err != nil {
		return &Error{Code: CodeInternal, Message: "scopestore's answer is not the JSON expected: " + err.Error()}
	}
	return nil
}

// timedOut says whether err is a timeout rather than a refused or broken
// connection.
func timedOut(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

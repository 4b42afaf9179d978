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
	"sync"
)

// userAgent names this client in scopestore's logs.
const userAgent = "scopestore-go-client/1"

// call is one API request.
type call struct {
	method string
	path   string // below /api/v1/apps/{app}, or below the server's root with root
	// root says path starts at the server's root (/api/v1/server), not the app's.
	root  bool
	query url.Values
	body  any // encoded as JSON; nil sends no body
	// rawBody is the body already encoded, instead of body.
	rawBody []byte
	// ifMatch > 0 sends If-Match: "<ifMatch>".
	ifMatch int64
	// ifNoneMatch sends If-None-Match: *, the create-if-absent PUT.
	ifNoneMatch bool
	// ifFence > 0 sends If-Fence: <ifFence>, a lock's fence.
	ifFence int64
	// lockToken is sent as Lock-Token, to renew or release a lock.
	lockToken string
	// idempotent calls are sent a second time after a connection error;
	// POST and PATCH never are, since their first try may have been applied.
	idempotent bool
	// want lists the statuses that mean success.
	want []int
}

// do sends the call and returns the answer's body when its status is one
// of want, else an *Error (unavailable when scopestore could not be reached).
func (c *Client) do(ctx context.Context, k call) ([]byte, error) {
	var out []byte
	err := c.exchange(ctx, k, func(b []byte) error {
		out = bytes.Clone(b)
		return nil
	})
	return out, err
}

// doJSON sends the call and decodes its answer, when its status is one of
// want, into v; the answer is read into a pooled buffer.
func (c *Client) doJSON(ctx context.Context, k call, v any) error {
	return c.exchange(ctx, k, func(b []byte) error { return decodeAnswer(b, v) })
}

// answerBuffers hold answers while they are decoded.
var answerBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledAnswer is the largest buffer kept for the next answer.
const maxPooledAnswer = 64 << 10

// exchange sends the call and hands a successful answer's body to use,
// which must not keep it; a failure is an *Error.
func (c *Client) exchange(ctx context.Context, k call, use func([]byte) error) error {
	body := k.rawBody
	if body == nil && k.body != nil {
		var err error
		if body, err = json.Marshal(k.body); err != nil {
			return &Error{Code: CodeInvalid, Message: "the request cannot be encoded as JSON: " + err.Error()}
		}
	}
	target := c.appURL + k.path
	if k.root {
		target = c.baseURL + k.path
	}
	if len(k.query) > 0 {
		target += "?" + k.query.Encode()
	}
	tries := 1
	if k.idempotent {
		tries = 2
	}
	// Calls sent on the transport directly are bounded here, as
	// http.Client bounds its own; parent tells the caller's end from ours.
	parent := ctx
	if c.rt != nil && c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
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
		return unreachable(parent, c.baseURL, err)
	}
	defer res.Body.Close()
	buf := answerBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledAnswer {
			buf.Reset()
			answerBuffers.Put(buf)
		}
	}()
	buf.Reset()
	if _, err := buf.ReadFrom(res.Body); err != nil {
		return unreachable(parent, c.baseURL, err)
	}
	if !slices.Contains(k.want, res.StatusCode) {
		return errorFromResponse(res, buf.Bytes())
	}
	return use(buf.Bytes())
}

// Header values shared by every call; net/http only reads them.
var (
	headerJSON      = []string{"application/json"}
	headerUserAgent = []string{userAgent}
	headerAny       = []string{"*"}
)

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
	// The names are canonical already: no Header.Set, which would
	// canonicalize them and allocate each value again.
	h := req.Header
	h["Authorization"] = c.authorization
	h["Accept"] = headerJSON
	h["User-Agent"] = headerUserAgent
	if body != nil {
		h["Content-Type"] = headerJSON
	}
	if k.ifMatch > 0 {
		h["If-Match"] = []string{`"` + strconv.FormatInt(k.ifMatch, 10) + `"`}
	}
	if k.ifNoneMatch {
		h["If-None-Match"] = headerAny
	}
	if k.ifFence > 0 {
		h[ifFenceHeader] = []string{strconv.FormatInt(k.ifFence, 10)}
	}
	if k.lockToken != "" {
		h[lockTokenHeader] = []string{k.lockToken}
	}
	if tok := scopeTokenFrom(ctx); tok != "" {
		h[scopeTokenHeader] = []string{tok}
	}
	if c.rt == nil {
		return c.hc.Do(req)
	}
	res, err := c.rt.RoundTrip(req)
	if err != nil {
		if res != nil && res.Body != nil {
			_ = res.Body.Close()
		}
		return nil, err
	}
	if res == nil {
		return nil, errors.New("the transport answered neither a response nor an error")
	}
	return res, nil
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

package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/httpapi"
	"github.com/scopestore/scopestore/scopes"
)

// scopeKey reads and checks the app and cfid of the path. A cfid that is not
// a UUID is refused before any storage is touched.
func scopeKey(c echo.Context, k scopes.Kind) (scopes.Key, error) {
	cfid, ok := scopes.ParseCFID(c.Param("cfid"))
	if !ok {
		return scopes.Key{}, scopes.Errorf(scopes.EInvalid, "cfid %q is not a UUID like 0f8fad5b-d9cb-469f-a165-70867728950e", truncate(cfid, 80))
	}
	return scopes.Key{App: c.Param("app"), Kind: k, CFID: cfid}, nil
}

// scopeRequest reads and checks the scope named by the path and returns it
// with its app's effective settings.
func (s *Server) scopeRequest(c echo.Context, k scopes.Kind) (scopes.Key, scopes.Settings, error) {
	key, err := scopeKey(c, k)
	if err != nil {
		return key, scopes.Settings{}, err
	}
	eff, err := s.directory.Effective(c.Request().Context(), key.App)
	return key, eff.Settings, err
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// header returns the request's first value of the header named canonical,
// a name in canonical form (textproto.CanonicalMIMEHeaderKey): Header.Get
// would canonicalise the name again on every call, which costs as much as
// the lookup itself, several times a request.
func header(r *http.Request, canonical string) string {
	if v := r.Header[canonical]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// readBody reads the request body, refusing one over the limit.
func readBody(c echo.Context) ([]byte, error) {
	body, err := readAll(c.Request().Body, c.Request().ContentLength)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(mbe.Limit)
		}
		return nil, scopes.Errorf(scopes.EInvalid, "the request body could not be read: %v", err)
	}
	return bytes.TrimSpace(body), nil
}

// decodeJSON reads the request body into v, refusing an empty body, unknown
// fields, trailing data and bodies over the limit.
func decodeJSON(c echo.Context, v any) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	if len(body) == 0 {
		return scopes.Errorf(scopes.EInvalid, "the request body is empty: send a JSON object")
	}
	return unmarshalStrict(body, v)
}

func unmarshalStrict(body []byte, v any) error {
	if err := checkText(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return scopes.Errorf(scopes.EInvalid, "the request body is not the JSON this endpoint takes: %s", jsonProblem(err))
	}
	if dec.More() {
		return scopes.Errorf(scopes.EInvalid, "the request body holds more than one JSON value")
	}
	return nil
}

// jsonProblem turns a decoding error into a sentence without Go type names.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var text *jsontext.SyntacticError
	switch {
	case errors.As(err, &syn):
		return "malformed JSON at byte " + strconv.FormatInt(syn.Offset, 10) + ": " + syn.Error()
	case errors.As(err, &text) && strings.Contains(text.Err.Error(), "UTF-8"):
		// jsontext does not export the error it wraps here.
		return "the text at byte " + strconv.FormatInt(text.ByteOffset, 10) + " is not valid UTF-8: send strings as UTF-8, and binary data encoded (Base64, say)"
	case errors.As(err, &text) && strings.Contains(text.Err.Error(), `\u`):
		return "malformed JSON at byte " + strconv.FormatInt(text.ByteOffset, 10) + ": " + text.Err.Error() +
			` (an escape from \ud800 to \udbff must be followed by one from \udc00 to \udfff, together one character)`
	case errors.As(err, &text):
		return "malformed JSON at byte " + strconv.FormatInt(text.ByteOffset, 10) + ": " + text.Err.Error()
	case errors.As(err, &typ):
		if typ.Field != "" {
			return "field " + typ.Field + " has the wrong type (" + typ.Value + ")"
		}
		return "expected a JSON object, got " + typ.Value
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends too early"
	}
	return err.Error()
}

// writeScope answers with a scope and its version as ETag.
func writeScope(c echo.Context, status int, sc *scopes.Scope) error {
	withToken(c, sc)
	bp := scopeBufs.Get().(*[]byte)
	body := append(sc.AppendJSON((*bp)[:0]), '\n')
	// The three headers' values share one array, and the ETag and the
	// length one string: two allocations an answer instead of six (Set
	// would also canonicalise each name: "Etag" is ETag's canonical form).
	// A length given spares net/http the chunked encoding, which a scope
	// of a few KiB would otherwise take: a chunk header formatted with
	// fmt and a separate write for each chunk. With Content-Type set,
	// Blob sets none.
	var num [48]byte
	etag := httpapi.AppendETag(num[:0], sc.Version)
	both := string(strconv.AppendInt(etag, int64(len(body)), 10))
	values := []string{both[:len(etag)], both[len(etag):], echo.MIMEApplicationJSON}
	h := c.Response().Header()
	h["Etag"], h["Content-Length"], h["Content-Type"] = values[0:1:1], values[1:2:2], values[2:3:3]
	err := c.Blob(status, echo.MIMEApplicationJSON, body)
	// Blob has copied the bytes into the response's buffer (or failed):
	// the buffer serves the next answer. Huge ones are left to the GC.
	if cap(body) <= 64<<10 {
		*bp = body[:0]
		scopeBufs.Put(bp)
	}
	return err
}

// scopeBufs holds the buffers in which writeScope renders a scope.
var scopeBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// readAll is io.ReadAll into a buffer of the announced size, so that a
// body of a known length is read without growing (and copying) the buffer
// four times over. The announced size is the client's word: past 64 KiB
// the buffer grows as the bytes arrive (and limitBody bounds them).
func readAll(r io.Reader, size int64) ([]byte, error) {
	if size <= 0 || size > 64<<10 {
		return io.ReadAll(r)
	}
	// One byte more, so that the EOF is read without growing.
	b := make([]byte, 0, size+1)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

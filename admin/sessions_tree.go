package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
)

// sensitiveWords mark a key whose value the console does not show: a key
// whose name contains one of them, in any case, is masked at any depth. They
// apply to every app, besides the key names the app lists in its
// sensitiveKeys setting, so that an app that lists none is still covered.
var sensitiveWords = []string{"password", "secret", "token", "card", "ssn", "cvv", "iban"}

// mask is what the console shows instead of a sensitive value.
const mask = "••••"

// sensitiveKey tells whether the value of a data key is masked: its name is
// one of the app's sensitive keys, in any case, or contains a sensitive word.
func sensitiveKey(name string, keys []string) bool {
	for _, k := range keys {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	lower := strings.ToLower(name)
	for _, w := range sensitiveWords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

// Kinds of a node of the data tree.
const (
	nodeObject = "object"
	nodeArray  = "array"
	nodeString = "string"
	nodeValue  = "value"
	nodeMasked = "masked"
)

// treeNode is one member of a scope's data as the scope's page shows it:
// an object or array with its members, a string as its text, another value
// as JSON, or a masked value.
type treeNode struct {
	// Key is the member's name, or its index in an array ("[0]").
	Key  string
	Kind string
	// Text is a string's own text, unescaped, so that the page shows
	// <b> & 'x' as that, escaped as HTML by templ; for a value it is JSON:
	// a number, true, false, null, or a member nested too deep to draw.
	Text     string
	Children []treeNode
}

// maxTreeDepth bounds the nesting the page draws; deeper members are shown
// as their JSON text.
const maxTreeDepth = 32

// dataTree reads a scope's data, an object, into the members of its top
// level, in their stored order, with the values of sensitive keys masked:
// keys, the app's sensitiveKeys, and the names sensitiveWords mark.
func dataTree(data []byte, keys []string) ([]treeNode, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	r := treeReader{dec: dec, keys: keys}
	root, err := r.readNode("", 0, false)
	if err != nil {
		return nil, err
	}
	if root.Kind != nodeObject {
		return nil, errors.New("the data is not a JSON object")
	}
	return root.Children, nil
}

// treeReader reads a scope's data with the sensitive keys of its app.
type treeReader struct {
	dec  *json.Decoder
	keys []string
}

// readNode reads the next value as a node named key; masked drops its
// content, keeping only that there was one.
func (r treeReader) readNode(key string, depth int, masked bool) (treeNode, error) {
	dec := r.dec
	tok, err := dec.Token()
	if err != nil {
		return treeNode{}, err
	}
	delim, isDelim := tok.(json.Delim)
	if !isDelim {
		if masked {
			return treeNode{Key: key, Kind: nodeMasked, Text: mask}, nil
		}
		if str, ok := tok.(string); ok {
			return treeNode{Key: key, Kind: nodeString, Text: str}, nil
		}
		return treeNode{Key: key, Kind: nodeValue, Text: scalarText(tok)}, nil
	}
	n := treeNode{Key: key, Kind: nodeObject}
	if delim == '[' {
		n.Kind = nodeArray
	}
	for i := 0; dec.More(); i++ {
		var child treeNode
		if n.Kind == nodeObject {
			nameTok, err := dec.Token()
			if err != nil {
				return treeNode{}, err
			}
			name, _ := nameTok.(string)
			child, err = r.readNode(name, depth+1, masked || sensitiveKey(name, r.keys))
			if err != nil {
				return treeNode{}, err
			}
		} else {
			child, err = r.readNode("["+strconv.Itoa(i)+"]", depth+1, masked)
			if err != nil {
				return treeNode{}, err
			}
		}
		n.Children = append(n.Children, child)
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return treeNode{}, err
	}
	switch {
	case masked:
		return treeNode{Key: key, Kind: nodeMasked, Text: mask}, nil
	case depth >= maxTreeDepth:
		return treeNode{Key: key, Kind: nodeValue, Text: flatText(n)}, nil
	}
	return n, nil
}

// scalarText writes a JSON scalar token other than a string as JSON.
func scalarText(tok json.Token) string {
	switch v := tok.(type) {
	case nil:
		return "null"
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// jsonString writes s as a JSON string. Unlike json.Marshal it leaves <, >
// and & as they are: the page escapes them as HTML, and \u003c would show.
func jsonString(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// flatText writes a node as compact JSON, for members nested too deep to draw.
func flatText(n treeNode) string {
	var b strings.Builder
	writeFlat(&b, n, false)
	return b.String()
}

func writeFlat(w io.StringWriter, n treeNode, named bool) {
	if named {
		_, _ = w.WriteString(jsonString(n.Key) + ":")
	}
	switch n.Kind {
	case nodeObject, nodeArray:
		open, close := "{", "}"
		if n.Kind == nodeArray {
			open, close = "[", "]"
		}
		_, _ = w.WriteString(open)
		for i, c := range n.Children {
			if i > 0 {
				_, _ = w.WriteString(",")
			}
			writeFlat(w, c, n.Kind == nodeObject)
		}
		_, _ = w.WriteString(close)
	case nodeString:
		_, _ = w.WriteString(jsonString(n.Text))
	default:
		_, _ = w.WriteString(n.Text)
	}
}

// summary describes an object or array in its closed state: "3 keys", "2 items".
func (n treeNode) summary() string {
	count := len(n.Children)
	if n.Kind == nodeArray {
		if count == 1 {
			return "[ 1 item ]"
		}
		return "[ " + strconv.Itoa(count) + " items ]"
	}
	if count == 1 {
		return "{ 1 key }"
	}
	return "{ " + strconv.Itoa(count) + " keys }"
}

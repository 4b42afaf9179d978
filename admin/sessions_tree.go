package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/scopestore/scopestore/scopes"
)

// sensitiveWords are the built-in words that mark a sensitive key, as the
// pages list them; scopes.SensitiveKey applies them.
var sensitiveWords = scopes.SensitiveWords()

// mask is what the console shows instead of a sensitive value.
const mask = scopes.Mask

// Kinds of a node of the data tree.
const (
	nodeObject = "object"
	nodeArray  = "array"
	nodeString = "string"
	nodeValue  = "value"
	nodeMasked = "masked"
)

// Bounds of the tree a scope's page draws, so that a page costs the same
// however deep or large the data: 9,990 nested arrays and a 900 KB string
// took seconds of CPU and a megabyte of HTML per view before. What they cut
// is marked where it is cut, and the raw JSON page shows it all.
const (
	// maxTreeDepth bounds the nesting the page draws; a deeper object or
	// array is shown as the start of its JSON text.
	maxTreeDepth = 32
	// maxTreeNodes bounds the members the page draws; the members after
	// it are counted, not drawn.
	maxTreeNodes = 2000
	// maxTreeString bounds the bytes of one string, key or JSON text the
	// page shows; the rest is cut, with the full length beside it.
	maxTreeString = 1000
	// maxTreeText bounds the bytes of text the page shows in all.
	maxTreeText = 64 << 10
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
	// Count is how many members an object or array has; those after
	// Children were not drawn, as the tree had maxTreeNodes already.
	Count int
	// Length is the length in characters of a string, or of a deep
	// member's JSON, whose Text is only its start; 0 when Text is whole.
	Length int
}

// dataTreeView is a scope's data as its page draws it.
type dataTreeView struct {
	// Nodes are the members of the data's top level.
	Nodes []treeNode
	// Count is how many members the top level has; those after Nodes
	// were not drawn.
	Count int
	// Cut says that the tree leaves something out, so that the page
	// points to the raw JSON.
	Cut bool
}

// dataTree reads a scope's data, an object, into the members of its top
// level, in their stored order, masked by scopes.MaskData with keys (the
// app's sensitiveKeys): the tree never holds a sensitive value. It reads
// the data once, so its cost is linear in the data's size, and it keeps
// within maxTreeDepth, maxTreeNodes and maxTreeText whatever the data.
func dataTree(data []byte, keys []string) (dataTreeView, error) {
	masked, err := scopes.MaskData(data, keys)
	if err != nil {
		return dataTreeView{}, err
	}
	dec := json.NewDecoder(bytes.NewReader(masked))
	dec.UseNumber()
	r := treeReader{dec: dec, data: masked, keys: keys, budget: maxTreeText}
	root, err := r.readNode("", 0)
	if err != nil {
		return dataTreeView{}, err
	}
	if root.Kind != nodeObject {
		return dataTreeView{}, errors.New("the data is not a JSON object")
	}
	return dataTreeView{Nodes: root.Children, Count: root.Count, Cut: r.cut}, nil
}

// treeReader reads a scope's masked data with the sensitive keys of its
// app, counting what it draws.
type treeReader struct {
	dec  *json.Decoder
	data []byte
	keys []string
	// nodes counts the members drawn so far; budget is the text left.
	nodes  int
	budget int
	cut    bool
}

// readNode reads the next value as a node named key.
func (r *treeReader) readNode(key string, depth int) (treeNode, error) {
	start := r.dec.InputOffset()
	tok, err := r.dec.Token()
	if err != nil {
		return treeNode{}, err
	}
	delim, isDelim := tok.(json.Delim)
	if !isDelim {
		if str, ok := tok.(string); ok {
			n := treeNode{Key: key, Kind: nodeString}
			n.Text, n.Length = r.clip(str)
			return n, nil
		}
		return treeNode{Key: key, Kind: nodeValue, Text: scalarText(tok)}, nil
	}
	if depth >= maxTreeDepth {
		// Too deep to draw: the start of its JSON, read past, not built.
		if err := r.skipMembers(); err != nil {
			return treeNode{}, err
		}
		r.cut = true
		raw := bytes.TrimLeft(r.data[start:r.dec.InputOffset()], " \t\r\n,:")
		n := treeNode{Key: key, Kind: nodeValue}
		n.Text, n.Length = r.clip(string(raw))
		return n, nil
	}
	n := treeNode{Key: key, Kind: nodeObject}
	if delim == '[' {
		n.Kind = nodeArray
	}
	for ; r.dec.More(); n.Count++ {
		name := "[" + strconv.Itoa(n.Count) + "]"
		if n.Kind == nodeObject {
			nameTok, err := r.dec.Token()
			if err != nil {
				return treeNode{}, err
			}
			name, _ = nameTok.(string)
		}
		if r.nodes >= maxTreeNodes {
			r.cut = true
			if err := r.skipValue(); err != nil {
				return treeNode{}, err
			}
			continue
		}
		r.nodes++
		var child treeNode
		if n.Kind == nodeObject && scopes.SensitiveKey(name, r.keys) {
			// MaskData left the string Mask here; the page draws it as masked.
			if err := r.skipValue(); err != nil {
				return treeNode{}, err
			}
			child = treeNode{Kind: nodeMasked, Text: mask}
		} else if child, err = r.readNode("", depth+1); err != nil {
			return treeNode{}, err
		}
		child.Key, _ = r.clip(name)
		n.Children = append(n.Children, child)
	}
	if _, err := r.dec.Token(); err != nil { // the closing delimiter
		return treeNode{}, err
	}
	return n, nil
}

// skipValue reads past the next value without keeping it.
func (r *treeReader) skipValue() error {
	tok, err := r.dec.Token()
	if err != nil {
		return err
	}
	if _, ok := tok.(json.Delim); ok {
		return r.skipMembers()
	}
	return nil
}

// skipMembers reads past the members of the object or array just opened,
// and its closing delimiter, counting depth rather than recursing.
func (r *treeReader) skipMembers() error {
	for depth := 1; depth > 0; {
		tok, err := r.dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

// clip returns s whole, with length 0, while it fits in maxTreeString and
// the text left to the page; otherwise its start, cut at a character, and
// its length in characters.
func (r *treeReader) clip(s string) (string, int) {
	limit := max(0, min(maxTreeString, r.budget))
	if len(s) <= limit {
		r.budget -= len(s)
		return s, 0
	}
	r.cut = true
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	r.budget -= cut
	return s[:cut], utf8.RuneCountInString(s)
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

// summary describes an object or array in its closed state: "3 keys", "2 items".
func (n treeNode) summary() string {
	if n.Kind == nodeArray {
		if n.Count == 1 {
			return "[ 1 item ]"
		}
		return "[ " + countText(int64(n.Count), true) + " items ]"
	}
	if n.Count == 1 {
		return "{ 1 key }"
	}
	return "{ " + countText(int64(n.Count), true) + " keys }"
}

// omitted is how many of an object's or array's members were not drawn.
func (n treeNode) omitted() int { return n.Count - len(n.Children) }

// lengthNote says how long a cut string or JSON text is.
func (n treeNode) lengthNote() string {
	what := " characters in all"
	if n.Kind == nodeValue {
		what = " characters of JSON in all, nested too deep to draw"
	}
	return "… " + countText(int64(n.Length), true) + what
}

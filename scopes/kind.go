package scopes

// Kind is the kind of a scope: session or client.
type Kind string

// The two scope kinds.
const (
	Session Kind = "session"
	Client  Kind = "client"
)

// Kinds lists both scope kinds, session first.
var Kinds = []Kind{Session, Client}

// Valid reports whether k is one of the two kinds.
func (k Kind) Valid() bool { return k == Session || k == Client }

package client

import "encoding/json"

// op is what a pending change does to its key.
type op int

const (
	opSet op = iota + 1
	opUnset
	opIncr
)

// change is the pending change of one key: the value to set, or the amount
// to add with incr.
type change struct {
	op    op
	value any
	by    int64
}

// changes are a scope's pending changes, at most one per key, as PATCH
// wants them.
type changes map[string]change

// incr adds by to the key's pending change. An increment that follows a
// set or an unset becomes a set of the sum, which is known; otherwise it
// stays an incr, so that concurrent increments from other requests count.
func (cs changes) incr(key string, by int64, sum float64) {
	prev, pending := cs[key]
	switch {
	case !pending:
		cs[key] = change{op: opIncr, by: by}
	case prev.op == opIncr:
		prev.by += by
		cs[key] = prev
	default:
		cs[key] = change{op: opSet, value: sum}
	}
}

// hasIncr says whether one of the changes is an increment, a change that
// surely changes the scope (a set may store the value a key already holds).
func (cs changes) hasIncr() bool {
	for _, c := range cs {
		if c.op == opIncr {
			return true
		}
	}
	return false
}

// patch returns the pending changes as one PATCH.
func (cs changes) patch() Patch {
	var p Patch
	for k, c := range cs {
		switch c.op {
		case opSet:
			if p.Set == nil {
				p.Set = map[string]any{}
			}
			p.Set[k] = c.value
		case opUnset:
			p.Unset = append(p.Unset, k)
		case opIncr:
			if p.Incr == nil {
				p.Incr = map[string]int64{}
			}
			p.Incr[k] = c.by
		}
	}
	return p
}

// normalize returns v as encoding/json decodes it back (numbers float64,
// structs maps, …), a copy that later changes to v do not reach.
func normalize(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

package gapi

import (
	"encoding/json"
)

// AnyMessage is the wire form of an Any's content: a struct with the
// "@type" field next to the message's own fields.
type AnyMessage interface {
	// AnyType returns the decoded "@type" ("" when absent).
	AnyType() string
}

// OperationOf is an Operation whose metadata is decoded into its wire form W
// in the same pass as the operation itself (one json.Unmarshal, rather than
// the raw Operation, then DecodeAny's two). Set Want to the metadata's type
// URL before decoding. It is a rest.BodyDecoder.
//
// When the one pass cannot decode the body exactly as Operation followed by
// DecodeAny would, DecodeBody decodes the plain Operation instead, as
// before, and sets Slow: the caller then reads Operation.Metadata the old
// way, so errors and edge cases are unchanged. Otherwise Operation.Metadata
// is nil and Meta holds the metadata (nil when absent or null).
type OperationOf[W AnyMessage] struct {
	Operation
	Want string
	Meta *W
	Slow bool

	fast fastOperation[W] // decoded into in place: the value is on the heap already
}

// fastOperation is Operation with typed metadata.
type fastOperation[W any] struct {
	Name     string          `json:"name"`
	Metadata *W              `json:"metadata,omitempty"`
	Done     bool            `json:"done,omitempty"`
	Error    json.RawMessage `json:"error,omitempty"`
	Response json.RawMessage `json:"response,omitempty"`
}

// DecodeBody decodes an Operation's JSON (see OperationOf). Its error is
// json.Unmarshal's into an Operation.
func (o *OperationOf[W]) DecodeBody(data []byte) error {
	want := o.Want
	if onePassSafe(data) {
		o.fast = fastOperation[W]{}
		f := &o.fast
		if json.Unmarshal(data, f) == nil && (f.Metadata == nil || typeMatches((*f.Metadata).AnyType(), want)) {
			*o = OperationOf[W]{
				Operation: Operation{Name: f.Name, Done: f.Done, Error: f.Error, Response: f.Response},
				Want:      want,
				Meta:      f.Metadata,
			}
			return nil
		}
	}
	*o = OperationOf[W]{Want: want, Slow: true}
	return json.Unmarshal(data, &o.Operation)
}

// typeMatches is DecodeAny's check of "@type".
func typeMatches(got, wantURL string) bool { return got == "" || got == wantURL }

// onePassSafe reports whether data certainly names the operation's
// "metadata" member at most once. Decoding a repeated member into a typed
// struct would merge the two objects, where a json.RawMessage keeps the last
// one only. Member names are matched case-insensitively (as encoding/json
// does) and may hide behind escapes or non-ASCII case folding, so data with
// a backslash or a non-ASCII byte is never taken as safe: such bodies go the
// old way.
func onePassSafe(data []byte) bool {
	const key = `"metadata"`
	seen := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if c == '\\' || c >= 0x80 {
			return false
		}
		if c != '"' || len(data)-i < len(key) || !equalFoldASCII(data[i:i+len(key)], key) {
			continue
		}
		if seen {
			return false
		}
		seen = true
		i += len(key) - 1
	}
	return true
}

func equalFoldASCII(b []byte, s string) bool {
	for i := 0; i < len(s); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

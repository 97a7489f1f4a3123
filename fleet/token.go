package fleet

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
)

// MaxTokenLength is the longest token Token returns (FSx's limit for a
// ClientRequestToken).
const MaxTokenLength = 63

// Token returns the token of the copy keyed key in run runID: at most 63
// characters of letters, digits, '_', '.' and '-' (what FSx accepts as a
// ClientRequestToken), the same for the same run and key, and different for
// different keys of a run. It is runID + "." + key when that fits and key
// has only those characters; otherwise runID + ".h" + a hex digest of key.
// A run id longer than 30 characters, or with other characters, is hashed
// too.
func Token(runID, key string) string {
	if len(runID) > 30 || !tokenChars(runID) {
		runID = digest(runID)[:24]
	}
	if len(runID)+1+len(key) <= MaxTokenLength && tokenChars(key) && !(len(key) > 1 && key[0] == 'h' && isHex(key[1:])) {
		return runID + "." + key
	}
	d := digest(key)
	return runID + ".h" + d[:min(len(d), MaxTokenLength-len(runID)-2)]
}

func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func tokenChars(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return s != ""
}

// newRunID returns a random run id of 16 hex digits.
func newRunID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

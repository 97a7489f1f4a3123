package google

import (
	"context"
	"net/http"
	"testing"

	"golang.org/x/oauth2"
)

// The Authorization value is built once per token and follows a new token
// (another *Token, or the same one changed in place).
func TestBearerValueFollowsToken(t *testing.T) {
	tok := &oauth2.Token{AccessToken: "one"}
	a := NewAuthenticator(oauth2.StaticTokenSource(tok)).(*bearer)
	get := func() string {
		req, _ := http.NewRequest(http.MethodGet, "https://h.example/", nil)
		if err := a.Authenticate(context.Background(), req, nil); err != nil {
			t.Fatal(err)
		}
		return req.Header.Get("Authorization")
	}
	if got := get(); got != "Bearer one" {
		t.Fatalf("got %q", got)
	}
	if got := get(); got != "Bearer one" {
		t.Fatalf("second request: got %q", got)
	}
	tok.AccessToken = "two"
	if got := get(); got != "Bearer two" {
		t.Fatalf("token changed in place: got %q", got)
	}
	a.mu.Lock()
	a.src = oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "three"})
	a.mu.Unlock()
	a.Invalidate()
	if got := get(); got != "Bearer three" {
		t.Fatalf("new token: got %q", got)
	}
	if n := testing.AllocsPerRun(50, func() {
		req := &http.Request{Header: http.Header{}}
		_ = a.Authenticate(context.Background(), req, nil)
	}); n > 2 {
		t.Errorf("%v allocations per Authenticate", n)
	}
}

package endpoint

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/backupcopy/backupcopy"
)

func TestParse(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://iam.example.com/":    true,
		"http://127.0.0.1:8080":       true,
		"http://[::1]:1":              true,
		"http://localhost":            true,
		"http://iam.example.com":      false,
		"https://u:p@iam.example.com": false,
		"https://iam.example.com?x=1": false,
		"ftp://127.0.0.1":             false,
		"":                            false,
	} {
		u, err := Parse(raw)
		if ok != (err == nil) {
			t.Errorf("Parse(%q): %v", raw, err)
			continue
		}
		var ve *ValidationError
		if err != nil && (!errors.As(err, &ve) || backupcopy.KindOf(err) != backupcopy.InvalidInput) {
			t.Errorf("Parse(%q): want an InvalidInput *ValidationError, got %T %v", raw, err, err)
		}
		if ok && u.Path != "" {
			t.Errorf("Parse(%q): path %q kept its trailing slash", raw, u.Path)
		}
	}
}

func TestCheckHeaderValue(t *testing.T) {
	if err := CheckHeaderValue("F", "a\tb"); err != nil {
		t.Error(err)
	}
	for _, v := range []string{"a\r\nX-Evil: 1", "a\x00", "a\n"} {
		if CheckHeaderValue("F", v) == nil {
			t.Errorf("%q accepted", v)
		}
	}
}

// TestHTTPClientRedirect: a redirect to another host is not followed (its
// answer is returned), one to the same host is, with the caller's client too.
func TestHTTPClientRedirect(t *testing.T) {
	var reached atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached.Add(1) }))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/x", http.StatusFound)
		case "/here":
			http.Redirect(w, r, "/done", http.StatusFound)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	defer srv.Close()
	followAll := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}
	for _, base := range []*http.Client{nil, followAll} {
		hc := HTTPClient(base)
		req, _ := http.NewRequest("GET", srv.URL+"/away", nil)
		req.Header.Set("Authorization", "Bearer secret")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound || reached.Load() != 0 {
			t.Errorf("redirect to another host: status %d, reached %d", resp.StatusCode, reached.Load())
		}
		resp, err = hc.Get(srv.URL + "/here")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Errorf("redirect on the same host: status %d", resp.StatusCode)
		}
	}
}

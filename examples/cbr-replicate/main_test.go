package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestRunFake(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, config{fake: true, check: true, timeout: time.Minute}); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	s := out.String()
	for _, want := range []string{"operation name (for -resume): cbr1.", "replicating", "100%  success", "done: replica "} {
		if !strings.Contains(s, want) {
			t.Fatalf("output lacks %q:\n%s", want, s)
		}
	}
}

func TestRunFakeRefusesResume(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, config{fake: true, resume: "cbr1.x", timeout: time.Minute}); err == nil {
		t.Fatal("-fake with -resume was accepted")
	}
}

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
	start := time.Now()
	if err := run(context.Background(), &out, config{fake: true, copyTags: true, timeout: time.Minute}); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	s := out.String()
	for _, want := range []string{"fake FSx at http://127.0.0.1:", "new backup backup-", "COPYING", "100%  AVAILABLE", "done: backup ", "{Name nightly}", "{purpose disaster-recovery}"} {
		if !strings.Contains(s, want) {
			t.Fatalf("output lacks %q:\n%s", want, s)
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %v", d)
	}
}

func TestRunFakeRefusesResume(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, config{fake: true, resume: "backup-0123456789", timeout: time.Minute}); err == nil {
		t.Fatal("-fake with -resume was accepted")
	}
}

func TestTagFlags(t *testing.T) {
	var tf tagFlags
	if err := tf.Set("a=b=c"); err != nil {
		t.Fatal(err)
	}
	if err := tf.Set("novalue"); err == nil {
		t.Fatal("accepted a tag without '='")
	}
	if tf.String() != "a=b=c" {
		t.Fatal(tf.String())
	}
}

package example

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExitCodes(t *testing.T) {
	var errOut bytes.Buffer
	assert.Equal(t, ExitOK, Exit("prog", &errOut, nil))
	assert.Equal(t, ExitOK, Exit("prog", &errOut, flag.ErrHelp))
	assert.Empty(t, errOut.String())
	assert.Equal(t, ExitUsage, Exit("prog", &errOut, Usagef("-x is wrong")))
	assert.Equal(t, "prog: -x is wrong\n", errOut.String())
	errOut.Reset()
	assert.Equal(t, ExitFailure, Exit("prog", &errOut, errors.New("boom")))
	assert.Equal(t, "prog: boom\n", errOut.String())
}

func TestParse(t *testing.T) {
	var errOut bytes.Buffer
	fs := FlagSet("prog", "Does things.", &errOut)
	fs.Bool("live", false, "use the real thing")
	require.ErrorIs(t, Parse(fs, []string{"-h"}), flag.ErrHelp)
	assert.Equal(t, "Usage: prog [flags]\n\nDoes things.\n\nFlags:\n  -live\n    \tuse the real thing\n", errOut.String())

	errOut.Reset()
	err := Parse(FlagSet("prog", "x", &errOut), []string{"-nope"})
	assert.Equal(t, ExitUsage, Exit("prog", &errOut, err))
	assert.Equal(t, 1, bytes.Count(errOut.Bytes(), []byte("flag provided but not defined")), "printed once, by the flag package")

	err = Parse(FlagSet("prog", "x", &errOut), []string{"stray"})
	assert.ErrorContains(t, err, `unexpected arguments ["stray"]`)
}

func TestRequired(t *testing.T) {
	assert.NoError(t, Required("-live", "-a", "1", "-b", "2"))
	assert.EqualError(t, Required("-live", "-a", "", "-b", "2", "-c", ""), "-live needs -a, -c")
}

func TestWaitEnded(t *testing.T) {
	boom := errors.New("boom")
	assert.Same(t, boom, WaitEnded(context.Background(), boom, true, "FSx", "-resume x"), "ctx alive: the error as is")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.EqualError(t, WaitEnded(ctx, boom, true, "FSx", "-resume x"),
		"interrupted before the operation finished; it goes on in FSx: follow it with -live -resume x")
	off := WaitEnded(ctx, boom, false, "FSx", "-resume x")
	assert.Contains(t, off.Error(), "nothing to resume")
	assert.NotContains(t, off.Error(), "-resume")
}

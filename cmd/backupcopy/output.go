package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is the tool's version: the module version it was built from.
const version = "devel"

func writeJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// writeResult prints one copy's result, a field per line. The operation
// name (the resume token, up to 170 characters on CBR) is not repeated: the
// command printed it first, or was given it.
func writeResult(w io.Writer, r result) {
	fmt.Fprintf(w, "%-8s %s\n", "cloud", r.Cloud)
	fmt.Fprintf(w, "%-8s %s\n", "state", r.State)
	if r.Backup != "" {
		fmt.Fprintf(w, "%-8s %s\n", "backup", r.Backup)
	}
	if r.Error != "" {
		fmt.Fprintf(w, "%-8s %s\n", "error", r.Error)
	}
}

func (a *app) versionCommand() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the tool's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(out); err != nil {
				return err
			}
			v, goVersion := version, ""
			if bi, ok := debug.ReadBuildInfo(); ok {
				goVersion = bi.GoVersion
				if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
					v = bi.Main.Version
				}
			}
			if out == "json" {
				return writeJSON(a.stdout, map[string]string{"version": v, "go": goVersion})
			}
			fmt.Fprintf(a.stdout, "backupcopy %s (%s)\n", v, goVersion)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "table", "output format: table or json")
	return cmd
}

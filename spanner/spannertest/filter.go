package spannertest

import (
	"strconv"
	"strings"

	"github.com/backupcopy/backupcopy/spanner"
)

// parseFilter reads the subset of the backupOperations filter syntax that
// the fake implements: comparisons joined by AND (explicit or implied by a
// space), each optionally in parentheses, on the fields name, done, error,
// metadata.@type, metadata.name, metadata.database and
// metadata.source_backup, with the operators "=", "!=" and ":" (contains;
// ":*" tests presence). Comparisons ignore case, as the service's do. As the
// service requires, metadata.@type must come before other metadata fields.
// Anything else is answered with UNIMPLEMENTED or INVALID_ARGUMENT.
func parseFilter(f string) (func(*operation) bool, *apiError) {
	terms, e := splitTerms(strings.TrimSpace(f))
	if e != nil {
		return nil, e
	}
	var preds []func(*operation) bool
	typed := false
	for _, t := range terms {
		p, field, e := parseComparison(t)
		if e != nil {
			return nil, e
		}
		if field == "metadata.@type" {
			typed = true
		} else if strings.HasPrefix(field, "metadata.") && !typed {
			return nil, invalid("filter", "metadata.@type must be specified before filtering on %s", field)
		}
		preds = append(preds, p)
	}
	return func(op *operation) bool {
		for _, p := range preds {
			if !p(op) {
				return false
			}
		}
		return true
	}, nil
}

// splitTerms splits a conjunction into its comparisons, removing
// parentheses.
func splitTerms(f string) ([]string, *apiError) {
	var terms []string
	for f != "" {
		f = strings.TrimLeft(f, " \t\n")
		if f == "" {
			break
		}
		end, e := termEnd(f)
		if e != nil {
			return nil, e
		}
		t := f[:end]
		f = f[end:]
		switch strings.ToUpper(t) {
		case "AND":
			continue
		case "OR", "NOT":
			return nil, errf("UNIMPLEMENTED", "spannertest: %s in filters is not implemented", t)
		}
		if strings.HasPrefix(t, "(") {
			inner, e := splitTerms(t[1 : len(t)-1])
			if e != nil {
				return nil, e
			}
			terms = append(terms, inner...)
			continue
		}
		terms = append(terms, t)
	}
	return terms, nil
}

// termEnd returns the length of the first term of f: a parenthesised group
// or a run up to a space, with quoted strings kept whole.
func termEnd(f string) (int, *apiError) {
	depth, quoted := 0, false
	for i := 0; i < len(f); i++ {
		c := f[i]
		switch {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth < 0 {
				return 0, invalid("filter", "unbalanced ')' in filter")
			}
			if depth == 0 && f[0] == '(' {
				return i + 1, nil
			}
		case (c == ' ' || c == '\t' || c == '\n') && depth == 0:
			return i, nil
		}
	}
	if quoted || depth != 0 {
		return 0, invalid("filter", "unbalanced quotes or parentheses in filter")
	}
	return len(f), nil
}

func parseComparison(t string) (func(*operation) bool, string, *apiError) {
	i := strings.IndexAny(t, "=:!<>")
	if i <= 0 {
		return nil, "", invalid("filter", "invalid filter term %q", t)
	}
	field := strings.ToLower(t[:i])
	op := string(t[i])
	if op == "!" || op == "<" || op == ">" {
		if i+1 < len(t) && t[i+1] == '=' {
			op += "="
		}
	}
	value := t[i+len(op):]
	if op != "=" && op != ":" && op != "!=" {
		return nil, "", errf("UNIMPLEMENTED", "spannertest: operator %s in filters is not implemented", op)
	}
	if strings.HasPrefix(value, `"`) {
		v, err := strconv.Unquote(value)
		if err != nil {
			return nil, "", invalid("filter", "invalid string in filter term %q", t)
		}
		value = v
	}
	get, ok := fields[field]
	if !ok {
		return nil, "", errf("UNIMPLEMENTED", "spannertest: filtering on %s is not implemented", field)
	}
	value = strings.ToLower(value)
	return func(o *operation) bool {
		got, present := get(o)
		got = strings.ToLower(got)
		switch {
		case op == ":" && value == "*":
			return present
		case op == ":":
			return present && strings.Contains(got, value)
		case op == "=":
			return present && got == value
		}
		return !present || got != value
	}, field, nil
}

var fields = map[string]func(*operation) (string, bool){
	"name": func(o *operation) (string, bool) { return o.name, true },
	"done": func(o *operation) (string, bool) { return strconv.FormatBool(o.done), true },
	"error": func(o *operation) (string, bool) {
		return strconv.Itoa(o.errCode), o.errCode != 0
	},
	"metadata.@type": func(o *operation) (string, bool) {
		if o.copy {
			return spanner.CopyBackupMetadataTypeURL, true
		}
		return spanner.CreateBackupMetadataTypeURL, true
	},
	"metadata.name":     func(o *operation) (string, bool) { return o.backup, true },
	"metadata.database": func(o *operation) (string, bool) { return o.database, !o.copy },
	"metadata.source_backup": func(o *operation) (string, bool) {
		return o.source, o.copy
	},
	"metadata.sourcebackup": func(o *operation) (string, bool) {
		return o.source, o.copy
	},
}

// Package doccheck checks what go doc shows of the module's public packages
// (all but internal/, examples/, cmd/ and nested modules): every exported
// name, field and method has a doc comment, and no exported declaration
// mentions an internal package (a type alias of one, a field, parameter or
// result of one, an initializer calling one). Its test runs the check over the
// module, so `go test ./...` keeps both true.
package doccheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Check parses the public packages under root (a module root) and returns
// one line per problem, "file:line: what", sorted.
func Check(root string) ([]string, error) {
	var problems []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		name := d.Name()
		if rel != "." {
			if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor" || name == "internal" {
				return filepath.SkipDir
			}
			switch filepath.ToSlash(rel) {
			case "examples", "cmd":
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return filepath.SkipDir // a nested module
			}
		}
		ps, err := checkDir(root, p)
		problems = append(problems, ps...)
		return err
	})
	sort.Strings(problems)
	return problems, err
}

// checkDir checks the package in dir, if it has non-test Go files.
func checkDir(root, dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		if f.Name.Name == "main" || f.Name.Name == "documentation" {
			continue
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil, nil
	}
	c := &checker{root: root, fset: fset}
	hasDoc := false
	for _, f := range files {
		if f.Doc != nil && strings.TrimSpace(f.Doc.Text()) != "" {
			hasDoc = true
		}
	}
	if !hasDoc {
		c.report(files[0].Package, "package %s has no package doc comment", files[0].Name.Name)
	}
	for _, f := range files {
		c.file(f)
	}
	return c.problems, nil
}

type checker struct {
	root     string
	fset     *token.FileSet
	imports  map[string]string // local name -> import path, for the current file
	problems []string
}

func (c *checker) report(pos token.Pos, format string, args ...any) {
	p := c.fset.Position(pos)
	rel, err := filepath.Rel(c.root, p.Filename)
	if err != nil {
		rel = p.Filename
	}
	c.problems = append(c.problems, fmt.Sprintf("%s:%d: %s", filepath.ToSlash(rel), p.Line, fmt.Sprintf(format, args...)))
}

func documented(groups ...*ast.CommentGroup) bool {
	for _, g := range groups {
		if g != nil && strings.TrimSpace(g.Text()) != "" {
			return true
		}
	}
	return false
}

func (c *checker) file(f *ast.File) {
	c.imports = map[string]string{}
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		name := path.Base(p)
		if im.Name != nil {
			name = im.Name.Name
		}
		c.imports[name] = p
	}
	exportedTypes := map[string]bool{}
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.TYPE {
			for _, s := range g.Specs {
				if ts := s.(*ast.TypeSpec); ts.Name.IsExported() {
					exportedTypes[ts.Name.Name] = true
				}
			}
		}
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			c.funcDecl(d)
		case *ast.GenDecl:
			c.genDecl(d)
		}
	}
}

// funcDecl checks an exported function, or an exported method of an
// exported type.
func (c *checker) funcDecl(d *ast.FuncDecl) {
	if !d.Name.IsExported() {
		return
	}
	what := "function " + d.Name.Name
	if d.Recv != nil && len(d.Recv.List) > 0 {
		recv := receiverName(d.Recv.List[0].Type)
		if !ast.IsExported(recv) {
			return // go doc does not show methods of unexported types
		}
		what = "method " + recv + "." + d.Name.Name
	}
	if !documented(d.Doc) {
		c.report(d.Pos(), "%s has no doc comment", what)
	}
	c.noInternal(d.Type, what)
}

func receiverName(e ast.Expr) string {
	for {
		switch t := e.(type) {
		case *ast.StarExpr:
			e = t.X
		case *ast.IndexExpr:
			e = t.X
		case *ast.IndexListExpr:
			e = t.X
		case *ast.Ident:
			return t.Name
		default:
			return ""
		}
	}
}

func (c *checker) genDecl(g *ast.GenDecl) {
	for _, s := range g.Specs {
		switch s := s.(type) {
		case *ast.TypeSpec:
			if !s.Name.IsExported() {
				continue
			}
			what := "type " + s.Name.Name
			if !documented(s.Doc, s.Comment) && !(len(g.Specs) == 1 && documented(g.Doc)) {
				c.report(s.Pos(), "%s has no doc comment", what)
			}
			if s.Assign.IsValid() && c.mentionsInternal(s.Type) {
				c.report(s.Pos(), "%s is an alias of an internal type", what)
				continue
			}
			c.typeParams(s.TypeParams, what)
			c.typeExpr(s.Type, what, s.Name.Name)
		case *ast.ValueSpec:
			for _, n := range s.Names {
				if !n.IsExported() {
					continue
				}
				if !documented(s.Doc, s.Comment, g.Doc) {
					c.report(n.Pos(), "%s %s has no doc comment", g.Tok, n.Name)
				}
			}
			if !anyExported(s.Names) {
				continue
			}
			what := fmt.Sprintf("%s %s", g.Tok, s.Names[0].Name)
			if s.Type != nil {
				c.noInternal(s.Type, what)
			}
			for _, v := range s.Values {
				c.noInternal(v, what)
			}
		}
	}
}

func anyExported(names []*ast.Ident) bool {
	for _, n := range names {
		if n.IsExported() {
			return true
		}
	}
	return false
}

func (c *checker) typeParams(fl *ast.FieldList, what string) {
	if fl == nil {
		return
	}
	for _, f := range fl.List {
		c.noInternal(f.Type, what)
	}
}

// typeExpr checks the part of a type that go doc shows: exported fields of a
// struct, exported methods of an interface, or the whole of any other type.
func (c *checker) typeExpr(e ast.Expr, what, typeName string) {
	switch t := e.(type) {
	case *ast.StructType:
		for _, f := range t.Fields.List {
			if len(f.Names) == 0 { // embedded: its own type carries the docs
				if sel, ok := unstar(f.Type).(*ast.SelectorExpr); ok && c.internalSelector(sel) {
					c.report(f.Pos(), "%s embeds an internal type", what)
				}
				continue
			}
			for _, n := range f.Names {
				if !n.IsExported() {
					continue
				}
				if !documented(f.Doc, f.Comment) {
					c.report(n.Pos(), "field %s.%s has no doc comment", typeName, n.Name)
				}
				c.noInternal(f.Type, "field "+typeName+"."+n.Name)
			}
		}
	case *ast.InterfaceType:
		for _, m := range t.Methods.List {
			if len(m.Names) == 0 {
				c.noInternal(m.Type, what)
				continue
			}
			for _, n := range m.Names {
				if !n.IsExported() {
					continue
				}
				if !documented(m.Doc, m.Comment) {
					c.report(n.Pos(), "method %s.%s has no doc comment", typeName, n.Name)
				}
				c.noInternal(m.Type, "method "+typeName+"."+n.Name)
			}
		}
	default:
		c.noInternal(e, what)
	}
}

func unstar(e ast.Expr) ast.Expr {
	if s, ok := e.(*ast.StarExpr); ok {
		return s.X
	}
	return e
}

// noInternal reports a reference to an internal package inside n.
func (c *checker) noInternal(n ast.Node, what string) {
	if n == nil {
		return
	}
	ast.Inspect(n, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok && c.internalSelector(sel) {
			c.report(sel.Pos(), "%s mentions internal package %s (%s.%s)", what, c.imports[sel.X.(*ast.Ident).Name],
				sel.X.(*ast.Ident).Name, sel.Sel.Name)
			return false
		}
		return true
	})
}

func (c *checker) mentionsInternal(n ast.Node) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok && c.internalSelector(sel) {
			found = true
		}
		return !found
	})
	return found
}

// internalSelector reports whether sel is pkg.Name for an imported internal
// package.
func (c *checker) internalSelector(sel *ast.SelectorExpr) bool {
	id, ok := sel.X.(*ast.Ident)
	if !ok {
		return false
	}
	p, ok := c.imports[id.Name]
	return ok && (strings.Contains(p, "/internal/") || strings.HasSuffix(p, "/internal"))
}

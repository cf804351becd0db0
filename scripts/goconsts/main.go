// goconsts prints, as JSON, the runtime constants that are not in DWARF
// but that a post-mortem debugger needs to name things: goroutine and P
// status values (_Grunning, _Gscan, _Pidle, ...) and the wait reasons
// (runtime.waitReasonStrings, indexed by g.waitreason).
//
// It type-checks only src/runtime/runtime2.go of the given GOROOT (imports
// are not resolved; errors about them are ignored), so it evaluates iota
// exactly as the compiler does.
//
// Usage: go run ./scripts/goconsts GOROOT
package main

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/constant"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
)

type result struct {
	GStatus          map[string]int64 `json:"gStatus"`
	PStatus          map[string]int64 `json:"pStatus"`
	WaitReasons      []string         `json:"waitReasons"`
	WaitReasonConsts map[string]int64 `json:"waitReasonConsts"`
}

var (
	gStatusRE = regexp.MustCompile(`^_G[a-z][a-z_]*$`)
	pStatusRE = regexp.MustCompile(`^_P(idle|running|syscall|gcstop|dead|[a-z]+_unused)$`)
)

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "goconsts: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 2 {
		fail("usage: goconsts GOROOT")
	}
	path := filepath.Join(os.Args[1], "src", "runtime", "runtime2.go")
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, 0)
	if err != nil {
		fail("%v", err)
	}
	info := &types.Info{Defs: map[*ast.Ident]types.Object{}, Uses: map[*ast.Ident]types.Object{}}
	conf := types.Config{
		Importer: importer.ForCompiler(fset, "source", nil),
		Error:    func(error) {}, // unresolved imports: irrelevant here
	}
	conf.Check("runtime", fset, []*ast.File{f}, info)

	r := result{GStatus: map[string]int64{}, PStatus: map[string]int64{}, WaitReasonConsts: map[string]int64{}}
	for id, obj := range info.Defs {
		c, ok := obj.(*types.Const)
		if !ok || c.Parent() != c.Pkg().Scope() {
			continue
		}
		v, exact := constant.Int64Val(constant.ToInt(c.Val()))
		if !exact {
			continue
		}
		switch {
		case gStatusRE.MatchString(id.Name):
			r.GStatus[id.Name] = v
		case pStatusRE.MatchString(id.Name):
			r.PStatus[id.Name] = v
		case c.Type().String() == "runtime.waitReason":
			r.WaitReasonConsts[id.Name] = v
		}
	}
	if len(r.GStatus) == 0 || len(r.WaitReasonConsts) == 0 {
		fail("no status or wait reason constants found in %s", path)
	}

	// var waitReasonStrings = [...]string{waitReasonZero: "", ...}
	var lit *ast.CompositeLit
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range vs.Names {
			if name.Name == "waitReasonStrings" && i < len(vs.Values) {
				lit, _ = vs.Values[i].(*ast.CompositeLit)
			}
		}
		return true
	})
	if lit == nil {
		fail("waitReasonStrings not found in %s", path)
	}
	byIndex := map[int64]string{}
	maxIdx := int64(-1)
	for _, e := range lit.Elts {
		kv, ok := e.(*ast.KeyValueExpr)
		if !ok {
			fail("waitReasonStrings: element without key at %v", fset.Position(e.Pos()))
		}
		key, ok := kv.Key.(*ast.Ident)
		if !ok {
			fail("waitReasonStrings: unexpected key at %v", fset.Position(kv.Pos()))
		}
		idx, ok := r.WaitReasonConsts[key.Name]
		if !ok {
			fail("waitReasonStrings: unknown constant %s", key.Name)
		}
		bl, ok := kv.Value.(*ast.BasicLit)
		if !ok || bl.Kind != token.STRING {
			fail("waitReasonStrings[%s]: not a string literal", key.Name)
		}
		s, err := strconv.Unquote(bl.Value)
		if err != nil {
			fail("waitReasonStrings[%s]: %v", key.Name, err)
		}
		byIndex[idx] = s
		if idx > maxIdx {
			maxIdx = idx
		}
	}
	for i := int64(0); i <= maxIdx; i++ {
		r.WaitReasons = append(r.WaitReasons, byIndex[i])
	}
	// Stable output: encoding/json sorts map keys.
	out, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		fail("%v", err)
	}
	os.Stdout.Write(append(out, '\n'))
}

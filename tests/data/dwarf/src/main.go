// Fixture for mapsleuth's DWARF and layout tests, and the program
// scripts/gen-layouts.sh reads the runtime layouts from: a map with string
// keys, a store through a non-inlined function, map iteration, an
// interface, a goroutine, a deferred recover and a symbolized traceback,
// so that the runtime types a debugger needs are all in its DWARF.
package main

import (
	"os"
	"runtime"
)

type point struct{ x, y int }

//go:noinline
func store(m map[string]int, key string, v int) {
	m[key] = v
}

//go:noinline
func lookup(m map[point]string, k point) (string, bool) {
	s, ok := m[k]
	return s, ok
}

func main() {
	m := map[string]int{}
	for i, a := range os.Args {
		store(m, a, i)
	}
	pm := map[point]string{{1, 2}: "a"}
	total := 0
	for k, v := range m {
		total += len(k) + v
	}
	var e interface{} = total
	done := make(chan bool)
	go func() {
		defer func() { recover(); done <- true }()
		var nilmap map[string]int
		if len(os.Args) > 3 {
			store(nilmap, "boom", 1)
		}
	}()
	<-done
	s, _ := lookup(pm, point{1, 2})
	println(len(m), e.(int), s)
	where()
}

// where prints its callers (runtime.funcinl, inlined frames).
//
//go:noinline
func where() {
	pcs := make([]uintptr, 8)
	n := runtime.Callers(1, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		println(f.Function, runtime.FuncForPC(f.PC).Name())
		if !more {
			break
		}
	}
}

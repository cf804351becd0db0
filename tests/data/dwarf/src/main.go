// Fixture for mapsleuth's DWARF and layout tests: a map with string keys,
// a store through a non-inlined function, map iteration, an interface, a
// goroutine and a deferred recover, so that the runtime types a debugger
// needs are all in the executable's DWARF.
package main

import "os"

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
}

// Test fixture for mapsleuth: crashes with "concurrent map writes".
package main

import (
	"errors"
	"sync"
	"time"
)

type routeKey struct {
	Name string
	ID   int
}

type Inner struct {
	Label string
	Vals  []int16
}

type Sample struct {
	I8    int8
	U64   uint64
	I64   int64
	F64   float64
	C128  complex128
	B     bool
	S     string
	Ints  []int
	Arr   [3]uint16
	P     *Inner
	Any   any
	AnyP  any
	Err   error
	M     map[string]int
	Ch    chan int
	Fn    func(int) int
	Embedded
}

type Embedded struct {
	Z uint8
}

var routes = map[routeKey]float64{{"a", 3}: 1.5, {"b", 4}: 2.5}

var sample = &Sample{
	I8:   -5,
	U64:  18446744073709551615,
	I64:  -9223372036854775808,
	F64:  3.25,
	C128: complex(1.5, -2),
	B:    true,
	S:    "hello, core",
	Ints: []int{1, 2, 3},
	Arr:  [3]uint16{7, 8, 9},
	P:    &Inner{Label: "inner", Vals: []int16{-1, 1}},
	Any:  42,
	AnyP: &Inner{Label: "boxed"},
	Err:  errors.New("boom"),
	M:    map[string]int{"x": 1},
	Ch:   make(chan int, 1),
	Fn:   func(i int) int { return i + 1 },
	Embedded: Embedded{Z: 200},
}

var counts = map[string]int{}

// put is small enough to be inlined into worker.
func put(m map[string]int, k string) {
	m[k]++
}

//go:noinline
func worker(id int, keys []string, wg *sync.WaitGroup) {
	defer wg.Done()
	for i := 0; ; i++ {
		put(counts, keys[i%len(keys)])
	}
}

// describe makes *main.Sample (and so main.Sample) a type the runtime
// knows at run time.
//
//go:noinline
func describe(x any) int {
	if x == nil {
		return 0
	}
	return 1
}

//go:noinline
func lookup(k routeKey) float64 {
	return routes[k]
}

func main() {
	keys := []string{"alpha", "beta", "gamma", "delta"}
	println("sample", sample.S, lookup(routeKey{"a", 3}), describe(sample))
	var wg sync.WaitGroup
	ch := make(chan int)
	go func() { <-ch }() // a parked goroutine
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go worker(i, keys, &wg)
	}
	time.Sleep(10 * time.Second)
	wg.Wait()
}

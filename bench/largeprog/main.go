// largeprog builds a large Go process and then crashes it with a
// concurrent map write, so that the bench can time mapsleuth and Delve on a
// core with many goroutines and a big heap. Standard library only.
//
//	largeprog [-goroutines 10000] [-heapmb 1024] [-depth 24] [-mapentries 1000000]
//
// Run it with GOTRACEBACK=crash and `ulimit -c unlimited`; see
// bench/make_large_core.sh. The goroutines are parked in different states
// (channel receive and send, select, sync.Mutex, sync.RWMutex, sync.Cond,
// WaitGroup, sleep, IO wait on a pipe), at varying stack depths, and two
// spin in busy loops. The heap is a map of pointers to records chained in
// lists, slices of pointers, and byte buffers.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"time"
)

type record struct {
	id      int64
	next    *record
	peer    *record
	name    string
	payload [11]int64 // 128-byte size class in total
}

var (
	// Globals keep the heap reachable.
	index   map[int64]*record
	lists   [][]*record
	buffers [][]byte

	recvCh    = make(chan int) // nobody sends
	sendCh    = make(chan int) // nobody receives
	neverSel  = make(chan int)
	neverSel2 = make(chan string)
	heldMu    sync.Mutex
	heldRW    sync.RWMutex
	condMu    sync.Mutex
	cond      = sync.NewCond(&condMu)
	waitGroup sync.WaitGroup
	pipeR     *os.File
	pipeW     *os.File
	spinSink  uint64
	parked    sync.WaitGroup
)

// Recurse D frames, then block in the given way. The frames are real
// (noinline), so stacks have different depths.
//
//go:noinline
func descend(d int, kind int, id int) int {
	if d > 0 {
		return descend(d-1, kind, id) + 1
	}
	block(kind, id)
	return 0
}

const numKinds = 10

//go:noinline
func block(kind int, id int) {
	parked.Done()
	switch kind {
	case 0: // chan receive
		<-recvCh
	case 1: // chan send
		sendCh <- id
	case 2: // select
		select {
		case <-neverSel:
		case s := <-neverSel2:
			_ = s
		}
	case 3: // sync.Mutex
		heldMu.Lock()
		heldMu.Unlock()
	case 4: // sync.RWMutex (read lock blocked by a held write lock)
		heldRW.RLock()
		heldRW.RUnlock()
	case 5: // sync.Cond
		condMu.Lock()
		for {
			cond.Wait()
		}
	case 6: // WaitGroup
		waitGroup.Wait()
	case 7: // sleep
		time.Sleep(24 * time.Hour)
	case 8: // IO wait (a pipe nobody writes to)
		var b [1]byte
		pipeR.Read(b[:])
	case 9: // a timer in a select
		select {
		case <-time.After(24 * time.Hour):
		case <-neverSel:
		}
	}
}

//go:noinline
func spin(id int) {
	parked.Done()
	x := uint64(id) + 1
	for {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		if x == 0 {
			spinSink = x
		}
	}
}

func buildHeap(mb int) {
	const recSize = 128
	total := int64(mb) << 20
	nrec := int(total * 6 / 10 / recSize)
	index = make(map[int64]*record, nrec)
	const perList = 1024
	var prev *record
	var cur []*record
	for i := 0; i < nrec; i++ {
		r := &record{id: int64(i), next: prev}
		if i%97 == 0 {
			r.name = fmt.Sprintf("record-%d", i)
		}
		if prev != nil && i%3 == 0 {
			r.peer = index[int64(i/2)]
		}
		r.payload[0] = int64(i) * 7
		index[int64(i)] = r
		cur = append(cur, r)
		if len(cur) == perList {
			lists = append(lists, cur)
			cur = nil
			prev = nil
			continue
		}
		prev = r
	}
	if cur != nil {
		lists = append(lists, cur)
	}
	// The rest in byte buffers of 64 KiB, touched so they are resident.
	rest := total - int64(nrec)*recSize - int64(nrec)*24
	for rest > 0 {
		b := make([]byte, 64<<10)
		for j := 0; j < len(b); j += 4096 {
			b[j] = byte(j >> 12)
		}
		buffers = append(buffers, b)
		rest -= int64(len(b))
	}
}

func main() {
	ngor := flag.Int("goroutines", 10000, "goroutines to park")
	heapMB := flag.Int("heapmb", 1024, "approximate live heap in MiB")
	depth := flag.Int("depth", 24, "maximum extra stack depth of parked goroutines")
	mapEntries := flag.Int("mapentries", 1000000, "entries of the map the writers race on (at least 1)")
	flag.Parse()
	if *mapEntries < 1 {
		*mapEntries = 1
	}
	runtime.GOMAXPROCS(4)
	debug.SetGCPercent(400)

	fmt.Fprintf(os.Stderr, "LARGEPROG pid=%d goversion=%s goroutines=%d heapmb=%d\n",
		os.Getpid(), runtime.Version(), *ngor, *heapMB)
	t0 := time.Now()
	buildHeap(*heapMB)
	fmt.Fprintf(os.Stderr, "LARGEPROG heap built in %v: %d records in map, %d lists, %d buffers\n",
		time.Since(t0).Round(time.Millisecond), len(index), len(lists), len(buffers))

	var err error
	pipeR, pipeW, err = os.Pipe()
	if err != nil {
		panic(err)
	}
	heldMu.Lock()
	heldRW.Lock()
	waitGroup.Add(1)

	const spinners = 2
	parked.Add(*ngor)
	for i := 0; i < *ngor-spinners; i++ {
		go descend(i%(*depth+1), i%numKinds, i)
	}
	for i := 0; i < spinners; i++ {
		go spin(i)
	}
	parked.Wait()
	time.Sleep(500 * time.Millisecond) // let them reach their parking spots

	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(os.Stderr, "LARGEPROG goroutines=%d heap_alloc=%dMiB heap_sys=%dMiB\n",
		runtime.NumGoroutine(), ms.HeapAlloc>>20, ms.HeapSys>>20)
	fmt.Fprintf(os.Stderr, "LARGEPROG start\n")

	// The fault: four writers on one big map, no lock. The map is built
	// first (-mapentries string keys), so the core holds a map of that
	// size; the writers then overwrite existing keys, taken from a slice.
	names := make([]string, *mapEntries)
	shared := make(map[string]int, *mapEntries)
	for i := range names {
		names[i] = fmt.Sprintf("session/%08d", i)
		shared[names[i]] = i
	}
	fmt.Fprintf(os.Stderr, "LARGEPROG map entries=%d\n", len(shared))
	for w := 0; w < 4; w++ {
		go func(w int) {
			for i := w; ; i += 4 {
				shared[names[(i*7919)%len(names)]] = i
			}
		}(w)
	}
	select {}
}

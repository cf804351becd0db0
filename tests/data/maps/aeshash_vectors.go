//go:build ignore

// Test vectors of the Go runtime's AES map hash for tests/unit/MapHashTest:
// the process's aeskeysched and memhash / memhash32 / memhash64 results
// for inputs of every length branch of aeshashbody (0-15, 16, 17-32,
// 33-64, 65-128, 129+ bytes) and several seeds. go1.22 still lets a
// program link to runtime internals by name.
//
//   cd tests/data/maps
//   GOTOOLCHAIN=local /usr/lib/go-1.22/bin/go build -o /tmp/aesvec aeshash_vectors.go
//   /tmp/aesvec > aeshash-vectors.txt      # on a CPU with AES
package main

import (
	"encoding/hex"
	"fmt"
	"os"
	"unsafe"
)

//go:linkname aeskeysched runtime.aeskeysched
var aeskeysched [128]byte

//go:linkname useAeshash runtime.useAeshash
var useAeshash bool

//go:linkname memhash runtime.memhash
func memhash(p unsafe.Pointer, h, s uintptr) uintptr

//go:linkname memhash32 runtime.memhash32
func memhash32(p unsafe.Pointer, h uintptr) uintptr

//go:linkname memhash64 runtime.memhash64
func memhash64(p unsafe.Pointer, h uintptr) uintptr


func main() {
	if !useAeshash {
		fmt.Fprintln(os.Stderr, "no AES hash on this CPU")
		os.Exit(1)
	}
	fmt.Println("# Go runtime AES map hash vectors (tests/data/maps/aeshash_vectors.go, go1.22, amd64)")
	fmt.Println("# memhash OFF LEN SEED HASH: data = pattern[OFF:OFF+LEN], pattern[i] = byte(i*131+7)")
	fmt.Println("# memhash32 / memhash64 VALUE SEED HASH")
	fmt.Println("aeskeysched", hex.EncodeToString(aeskeysched[:]))
	seeds := []uint64{0, 1, 0x9e3779b97f4a7c15, 0x00000000deadbeef, 0xffffffffffffffff}
	buf := make([]byte, 4096)
	for i := range buf {
		buf[i] = byte(i*131 + 7)
	}
	lengths := []int{}
	for n := 0; n <= 300; n++ {
		lengths = append(lengths, n)
	}
	lengths = append(lengths, 383, 384, 385, 511, 512, 513, 1000, 4096)
	for si, seed := range seeds {
		for _, n := range lengths {
			if si > 0 && n > 40 && n%7 != 0 && n < 300 {
				continue
			}
			// Hash from an offset so that page-end loads would differ.
			off := (n * 13) % 64
			d := buf[off : off+n]
			var p unsafe.Pointer
			if n > 0 {
				p = unsafe.Pointer(&d[0])
			} else {
				p = unsafe.Pointer(&buf[0])
			}
			h := memhash(p, uintptr(seed), uintptr(n))
			fmt.Printf("memhash %d %d %#x %#x\n", off, n, seed, uint64(h))
		}
		for _, v := range []uint64{0, 1, 0x12345678, 0xffffffff, 0x8000000000000000, 0x0123456789abcdef} {
			v32 := uint32(v)
			h32 := memhash32(unsafe.Pointer(&v32), uintptr(seed))
			fmt.Printf("memhash32 %#x %#x %#x\n", v32, seed, uint64(h32))
			h64 := memhash64(unsafe.Pointer(&v), uintptr(seed))
			fmt.Printf("memhash64 %#x %#x %#x\n", v, seed, uint64(h64))
		}
	}
}

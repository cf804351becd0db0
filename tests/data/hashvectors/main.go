// Test vectors of the Go runtime's map hash for tests/unit/MapHashTest
// (HashVectors.*): the process's hash state (useAeshash, aeskeysched,
// hashkey) and what the runtime's own memhash, memhash32, memhash64 and
// strhash return for inputs of every length class (0-15, 16, 17-32, 33-64,
// 65-128, 129+ bytes; the fallback's 0, 1-3, 4, 5-7, 8, 9-16, 17-48, 49+)
// and several seeds. Which hash the runtime used is the runtime's choice:
// AES when the CPU has it, the wyhash-like fallback otherwise, and
// GODEBUG=cpu.aes=off forces the fallback. gen.sh runs this on amd64 and,
// under qemu-aarch64, on arm64, with and without AES.
package main

import (
	"encoding/hex"
	"fmt"
	"os"
	"runtime"
	"unsafe"
)

//go:linkname memhash runtime.memhash
func memhash(p unsafe.Pointer, h, s uintptr) uintptr

//go:linkname memhash32 runtime.memhash32
func memhash32(p unsafe.Pointer, h uintptr) uintptr

//go:linkname memhash64 runtime.memhash64
func memhash64(p unsafe.Pointer, h uintptr) uintptr

//go:linkname strhash runtime.strhash
func strhash(p unsafe.Pointer, h uintptr) uintptr

func main() {
	mode := "memhash-fallback"
	if *useAeshash() {
		mode = "aes-" + runtime.GOARCH
	}
	fmt.Printf("# Go runtime map hash vectors (tests/data/hashvectors, gen.sh)\n")
	fmt.Printf("# memhash/strhash OFF LEN SEED HASH: data = pattern[OFF:OFF+LEN], pattern[i] = byte(i*131+7)\n")
	fmt.Printf("# memhash32 / memhash64 VALUE SEED HASH\n")
	fmt.Printf("go %s\n", runtime.Version())
	fmt.Printf("arch %s\n", runtime.GOARCH)
	fmt.Printf("hash %s\n", mode)
	fmt.Printf("aeskeysched %s\n", hex.EncodeToString(aeskeysched()[:]))
	hk := hashkey()
	fmt.Printf("hashkey %#x %#x %#x %#x\n", hk[0], hk[1], hk[2], hk[3])
	seeds := []uint64{0, 0x9e3779b97f4a7c15, 0xffffffff00000001}
	buf := make([]byte, 4096)
	for i := range buf {
		buf[i] = byte(i*131 + 7)
	}
	lengths := []int{}
	for n := 0; n <= 300; n++ {
		lengths = append(lengths, n)
	}
	lengths = append(lengths, 383, 384, 385, 511, 512, 513, 1000, 4000)
	for si, seed := range seeds {
		for _, n := range lengths {
			if si > 0 && n > 40 && n%7 != 0 {
				continue
			}
			off := (n * 13) % 64
			d := buf[off : off+n]
			p := unsafe.Pointer(&buf[off])
			h := memhash(p, uintptr(seed), uintptr(n))
			fmt.Printf("memhash %d %d %#x %#x\n", off, n, seed, uint64(h))
			if n%5 == 0 || n < 20 {
				s := string(d)
				hs := strhash(unsafe.Pointer(&s), uintptr(seed))
				fmt.Printf("strhash %d %d %#x %#x\n", off, n, seed, uint64(hs))
			}
		}
		for _, v := range []uint64{0, 1, 0x12345678, 0xffffffff, 0x8000000000000000, 0x0123456789abcdef, 0xfedcba9876543210} {
			v32 := uint32(v)
			h32 := memhash32(unsafe.Pointer(&v32), uintptr(seed))
			fmt.Printf("memhash32 %#x %#x %#x\n", v32, seed, uint64(h32))
			h64 := memhash64(unsafe.Pointer(&v), uintptr(seed))
			fmt.Printf("memhash64 %#x %#x %#x\n", v, seed, uint64(h64))
		}
	}
	if os.Getenv("HASHVECTORS_WANT") != "" && os.Getenv("HASHVECTORS_WANT") != mode {
		fmt.Fprintf(os.Stderr, "hash is %s, wanted %s\n", mode, os.Getenv("HASHVECTORS_WANT"))
		os.Exit(1)
	}
}

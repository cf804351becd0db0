//go:build !go1.27

package main

import _ "unsafe"

// Up to go1.26 the hash state lives in package runtime.

//go:linkname rtAeskeysched runtime.aeskeysched
var rtAeskeysched [128]byte

//go:linkname rtHashkey runtime.hashkey
var rtHashkey [4]uintptr

//go:linkname rtUseAeshash runtime.useAeshash
var rtUseAeshash bool

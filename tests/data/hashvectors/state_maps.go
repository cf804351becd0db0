//go:build go1.27

package main

import _ "unsafe"

// go1.27 moved the hash state to internal/runtime/maps.

//go:linkname rtAeskeysched internal/runtime/maps.aeskeysched
var rtAeskeysched [128]byte

//go:linkname rtHashkey internal/runtime/maps.hashkey
var rtHashkey [4]uintptr

//go:linkname rtUseAeshash internal/runtime/maps.UseAeshash
var rtUseAeshash bool

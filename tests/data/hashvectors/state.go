package main

// The runtime's hash state, wherever this Go version keeps it (the
// rtAeskeysched, rtHashkey and rtUseAeshash links: state_runtime.go up to
// go1.26, state_maps.go from go1.27).

func aeskeysched() *[128]byte { return &rtAeskeysched }
func hashkey() *[4]uintptr     { return &rtHashkey }
func useAeshash() *bool        { return &rtUseAeshash }

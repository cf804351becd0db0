// Fixture for CFI tests: a C function (compiled by gcc, with .eh_frame)
// called from Go through cgo.
package main

/*
#include <stdint.h>

__attribute__((noinline)) int64_t ms_c_mix(int64_t a, int64_t b) {
	volatile int64_t buf[8];
	for (int i = 0; i < 8; i++)
		buf[i] = a * i + b;
	return buf[3] + buf[5];
}
*/
import "C"

func main() {
	println(int64(C.ms_c_mix(3, 4)))
}

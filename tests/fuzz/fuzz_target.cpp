// libFuzzer target: see FuzzEntryPoints.h (fuzzTarget) and README.md.
#include "FuzzEntryPoints.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  return ms::fuzz::fuzzTarget(Data, Size);
}

// libFuzzer target: see FuzzEntryPoints.h (fuzzCore) and README.md.
#include "FuzzEntryPoints.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  return ms::fuzz::fuzzCore(Data, Size);
}

// libFuzzer target: see FuzzEntryPoints.h (fuzzLog) and README.md.
#include "FuzzEntryPoints.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  return ms::fuzz::fuzzLog(Data, Size);
}

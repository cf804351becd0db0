#include "goruntime/Heap.h"

#include <gtest/gtest.h>

#include "Corpus.h"

using namespace ms;
using namespace mstest;

namespace {

// On every corpus core (stripped ones included: runtime.mheap_ found
// through the code that uses it), the heap index places the map header and
// a string key's bytes in in-use heap objects that hold them whole: the
// map header in an object with pointers at least as large as the header,
// the key's bytes in a pointer-free one. (Not always one of the key's own
// size class: a strings.Builder's key lies in a buffer grown by append.) An
// address no heap span owns (the executable's code) is an error.
TEST(HeapIndex, PlacesMapHeadersAndKeyBytesInTheirObjects) {
  ASSERT_FALSE(corpusCases().empty());
  size_t Maps = 0, Keys = 0, Stripped = 0;
  for (const std::string &Name : corpusCases()) {
    SCOPED_TRACE(Name);
    auto C = openCorpusCase(Name);
    if (!C)
      continue;
    auto H = HeapIndex::open(*C->P);
    ASSERT_TRUE(static_cast<bool>(H)) << llvm::toString(H.takeError());
    if (Name.find("stripped") != std::string::npos) {
      EXPECT_NE(H->how(), "symbol");
      ++Stripped;
    }
    auto Code = H->objectAt(C->P->module().Text);
    EXPECT_FALSE(static_cast<bool>(Code));
    if (!Code)
      llvm::consumeError(Code.takeError());

    if (const auto *M = C->map()) {
      const uint64_t Addr = hexField(*M, "address");
      const uint64_t Size = static_cast<uint64_t>(M->getInteger("size").getValueOr(0));
      if (Addr && Size) {
        auto O = H->objectAt(Addr);
        ASSERT_TRUE(static_cast<bool>(O)) << llvm::toString(O.takeError());
        EXPECT_EQ(O->Base, Addr);
        EXPECT_GE(O->Size, Size);
        EXPECT_FALSE(O->NoScan);
        ++Maps;
      }
    }
    const auto *K = C->truth().getObject("key");
    if (!K || !K->getString("data"))
      continue;
    const uint64_t Data = hexField(*K, "data");
    const uint64_t Len = static_cast<uint64_t>(K->getInteger("len").getValueOr(0));
    auto O = H->objectAt(Data);
    if (!O) { // a key in read-only data or on a stack
      llvm::consumeError(O.takeError());
      continue;
    }
    EXPECT_TRUE(O->NoScan);
    EXPECT_LE(O->Base, Data);
    EXPECT_LE(Data + Len, O->Base + O->Size);
    ++Keys;
  }
  printf("  %zu map headers and %zu string keys placed (%zu stripped cores)\n",
         Maps, Keys, Stripped);
  EXPECT_GE(Maps, corpusCases().size() * 9 / 10);
  EXPECT_GE(Keys, 20u);
  EXPECT_GE(Stripped, 2u);
}

} // namespace

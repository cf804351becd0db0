#include "support/ByteReader.h"
#include "support/Error.h"

#include <gtest/gtest.h>

using namespace ms;

TEST(ByteReader, ReadsLittleEndianInsideTheBuffer) {
  const uint8_t Bytes[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                           0xff, 0xee};
  ByteReader R(Bytes);
  EXPECT_EQ(R.u64(0), 0x0807060504030201ull);
  EXPECT_EQ(R.u32(6), 0xeeff0807u);
  EXPECT_EQ(R.u16(8), 0xeeffu);
  EXPECT_EQ(R.u8(9), 0xeeu);
  EXPECT_EQ(R.uint(1, 3), 0x040302u);
  EXPECT_EQ(R.word(0), 0x0807060504030201ull);
}

TEST(ByteReader, ReadsPastTheEndAreNotZeros) {
  const uint8_t Bytes[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  ByteReader R(Bytes);
  EXPECT_EQ(R.u64(2), std::nullopt);
  EXPECT_EQ(R.u16(8), std::nullopt);
  EXPECT_EQ(R.u8(9), std::nullopt);
  EXPECT_EQ(R.word(1), std::nullopt);
  EXPECT_EQ(R.uint(0, 0), std::nullopt);
  EXPECT_EQ(R.uint(0, 9), std::nullopt);
  // No overflow in the bounds check.
  EXPECT_EQ(R.u64(UINT64_MAX - 2), std::nullopt);
  EXPECT_EQ(R.word(UINT64_MAX / 4), std::nullopt);
  EXPECT_FALSE(ByteReader().u8(0));
}

TEST(ErrorProbe, ProbeGivesTheValueOrNothing) {
  EXPECT_EQ(probe(Expected<int>(7)), 7);
  EXPECT_EQ(probe(Expected<int>(makeError("not here"))), std::nullopt);
  dropProbeError(makeError("dropped on purpose")); // must not abort
}

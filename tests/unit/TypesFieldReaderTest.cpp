// FieldReader (goruntime/FieldReader.h): fields of a copied-out runtime
// struct, with a field past the copy reported, never read as zero; and the
// Go string quoter of Types.h.
#include "goruntime/FieldReader.h"
#include "goruntime/Types.h"

#include <gtest/gtest.h>

using namespace ms;

TEST(FieldReader, ReadsFieldsInsideTheCopy) {
  const uint8_t Bytes[] = {0x01, 0x02, 0x03, 0x04, 0xfe, 0xff, 0xff, 0xff,
                           0x2a, 0x00};
  FieldReader R(Bytes, "test struct");
  EXPECT_EQ(R.u64(0), 0xfffffffe04030201ull);
  EXPECT_EQ(R.u32(0), 0x04030201u);
  EXPECT_EQ(R.i32(4), -2);
  EXPECT_EQ(R.u16(8), 42u);
  EXPECT_EQ(R.u8(9), 0u);
  EXPECT_FALSE(R.check());
}

TEST(FieldReader, AFieldPastTheCopyIsAnError) {
  const uint8_t Bytes[] = {1, 2, 3, 4, 5, 6};
  FieldReader R(Bytes, "test struct");
  EXPECT_EQ(R.u32(0), 0x04030201u);
  R.u32(4); // two bytes short
  R.u64(8); // not the first one missing: the error names offset 4
  Error E = R.check();
  ASSERT_TRUE(bool(E));
  EXPECT_EQ(errorText(std::move(E)),
            "test struct: a field at offset 4 lies past the 6 bytes read");
}

TEST(QuoteGoString, EscapesLikeAGoStringLiteral) {
  EXPECT_EQ(quoteGoString("json:\"name\""), "\"json:\\\"name\\\"\"");
  EXPECT_EQ(quoteGoString("a\\b\n\r\t\x01\x7f"),
            "\"a\\\\b\\n\\r\\t\\x01\\x7f\"");
  // Valid UTF-8 stays as it is; otherwise bytes from 0x80 are escaped.
  EXPECT_EQ(quoteGoString("h\xc3\xa9"), "\"h\xc3\xa9\"");
  EXPECT_EQ(quoteGoString("h\xe9"), "\"h\\xe9\"");
}

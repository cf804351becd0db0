// Shape types of generic code: recognised and replaced by the type
// arguments a dictionary names.
#include <gtest/gtest.h>

#include "mapfault/Shapes.h"

using namespace ms;

TEST(Shapes, SubstitutesEveryShapeByItsIndex) {
  const std::string T =
      "map[go.shape.string_0]go.shape.struct { Name string; Version int }_1";
  EXPECT_TRUE(hasShapeType(T));
  EXPECT_EQ(substituteShapes(T, {"string", "main.Plugin"}),
            "map[string]main.Plugin");
  // Out of range or unknown: left as it is.
  EXPECT_EQ(substituteShapes(T, {"string"}),
            "map[string]go.shape.struct { Name string; Version int }_1");
  EXPECT_EQ(substituteShapes("map[int]bool", {"x"}), "map[int]bool");
  EXPECT_FALSE(hasShapeType("map[int]bool"));
}

TEST(Shapes, ShapesWithBracketsAndUnderscores) {
  // Brackets inside a shape, the same index twice, an underscore in a
  // field name inside braces.
  EXPECT_EQ(substituteShapes("map[go.shape.[]int_1]go.shape.[]int_1", {"a", "[]main.Row"}),
            "map[[]main.Row][]main.Row");
  EXPECT_EQ(substituteShapes("map[go.shape.struct { my_1 int }_0]*go.shape.uint8_1",
                             {"main.K", "main.V"}),
            "map[main.K]*main.V");
  // Not a shape: no "_<index>" at its end.
  EXPECT_EQ(substituteShapes("map[go.shape.int]int", {"x"}), "map[go.shape.int]int");
}

#include "goruntime/GoValue.h"
#include "report/Json.h"

#include <bit>
#include <climits>

#include <gtest/gtest.h>

#include "GoFixture.h"

using namespace ms;
using namespace mstest;

namespace {

std::unique_ptr<LoadedFixture> load(const std::string &Name) {
  return loadGoFixture(Name, Load::Types);
}

template <typename T> std::optional<T> opt(const llvm::Optional<T> &O) {
  if (O)
    return *O;
  return std::nullopt;
}
std::optional<std::string> opt(const llvm::Optional<llvm::StringRef> &O) {
  if (O)
    return O->str();
  return std::nullopt;
}

const TypeInfo *mustFind(TypeTable &T, const std::string &Name) {
  auto R = T.findByName(Name);
  if (!R) {
    ADD_FAILURE() << toString(R.takeError());
    return nullptr;
  }
  if (!*R)
    ADD_FAILURE() << "no type " << Name;
  return *R;
}

// The {ptr, len} words of the string key the runtime printed as the third
// argument of the first mapassign_faststr frame.
std::optional<std::pair<uint64_t, uint64_t>> tracebackKey(const std::string &N) {
  for (auto &G : parseTraceback(readTextFile(gobinPath(N + ".stderr.txt"))))
    for (auto &F : G.Frames) {
      if (F.Function != "runtime.mapassign_faststr" ||
          F.Args.find('?') != std::string::npos)
        continue;
      size_t Open = F.Args.find('{');
      uint64_t P = 0, Len = 0;
      if (Open == std::string::npos ||
          sscanf(F.Args.c_str() + Open, "{0x%lx, 0x%lx}", &P, &Len) != 2)
        continue;
      return std::make_pair(P, Len);
    }
  return std::nullopt;
}

TEST(GoValue, MapKeyFromTheTracebackDecodes) {
  forEachGoFixture(Load::Types, [&](const std::string &N,
                                   const std::unique_ptr<LoadedFixture> &L) {
    auto Key = tracebackKey(N);
    ASSERT_TRUE(Key);
    const TypeInfo *Str = mustFind(*L->Types, "string");
    ASSERT_TRUE(Str);
    GoValue V = decodeValueFromWords(*L->Types, *Str, {Key->first, Key->second});
    ASSERT_EQ(V.VK, GoValue::VKind::String) << V.ErrorText;
    EXPECT_EQ(V.Len, Key->second);
    EXPECT_TRUE(V.Str == "alpha" || V.Str == "beta" || V.Str == "gamma" ||
                V.Str == "delta")
        << V.Str;
    EXPECT_EQ(V.Addr, 0u);
    EXPECT_EQ(toGoSyntax(V), "\"" + V.Str + "\"");
    EXPECT_EQ(toJSON(V), llvm::json::Value(V.Str));
  });
}

// main.sample (a *main.Sample global) holds values of every kind.
TEST(GoValue, GlobalSampleDecodes) {
  forEachGoFixture(Load::Types, [&](const std::string &,
                                   const std::unique_ptr<LoadedFixture> &L) {
    const ExeSymbol *Sym = L->F->T->exe().findSymbol("main.sample");
    if (!Sym)
      return; // stripped
    const TypeInfo *PT = mustFind(*L->Types, "*main.Sample");
    ASSERT_TRUE(PT);
    uint64_t Addr = Sym->Addr + L->F->T->loadBias();
    GoValue P = decodeValue(*L->Types, *PT, Addr);
    ASSERT_EQ(P.VK, GoValue::VKind::Pointer) << P.ErrorText;
    ASSERT_NE(P.Ptr, 0u);
    EXPECT_EQ(toGoSyntax(P), "(*main.Sample)(" + hex(P.Ptr) + ")");
    GoValue S = decodeValue(*L->Types, *PT->Elem, P.Ptr);
    ASSERT_EQ(S.VK, GoValue::VKind::Struct) << S.ErrorText;
    EXPECT_FALSE(S.hasErrors()) << toGoSyntax(S);
    EXPECT_EQ(S.field("I8")->I, -5);
    EXPECT_EQ(S.field("U64")->U, UINT64_MAX);
    EXPECT_EQ(S.field("I64")->I, INT64_MIN);
    EXPECT_EQ(S.field("F64")->F, 3.25);
    EXPECT_EQ(S.field("C128")->F, 1.5);
    EXPECT_EQ(S.field("C128")->Imag, -2.0);
    EXPECT_TRUE(S.field("B")->B);
    EXPECT_EQ(S.field("S")->Str, "hello, core");
    EXPECT_EQ(toGoSyntax(*S.field("Ints")), "[]int{1, 2, 3}");
    EXPECT_EQ(S.field("Ints")->Cap, 3u);
    EXPECT_EQ(toGoSyntax(*S.field("Arr")), "[3]uint16{7, 8, 9}");
    EXPECT_EQ(toGoSyntax(*S.field("C128")), "(1.5-2i)");
    // Pointer: follow it by hand.
    const GoValue *Inner = S.field("P");
    ASSERT_NE(Inner->Ptr, 0u);
    GoValue IV = decodeValue(*L->Types, *Inner->Type->Elem, Inner->Ptr);
    EXPECT_EQ(toGoSyntax(IV), "main.Inner{Label:\"inner\", Vals:[]int16{-1, 1}}");
    // Interfaces: boxed int, pointer-shaped *main.Inner, non-empty error.
    const GoValue *Any = S.field("Any");
    ASSERT_EQ(Any->VK, GoValue::VKind::Interface);
    ASSERT_TRUE(Any->dynamicType());
    EXPECT_EQ(Any->dynamicType()->Name, "int");
    EXPECT_EQ(Any->Dynamic->I, 42);
    EXPECT_EQ(toGoSyntax(*Any), "42");
    const GoValue *AnyP = S.field("AnyP");
    ASSERT_TRUE(AnyP->dynamicType());
    EXPECT_EQ(AnyP->dynamicType()->Name, "*main.Inner");
    EXPECT_EQ(AnyP->Dynamic->VK, GoValue::VKind::Pointer);
    EXPECT_EQ(AnyP->Dynamic->Ptr, AnyP->Ptr) << "direct: data word is the pointer";
    GoValue Boxed = decodeValue(*L->Types, *AnyP->dynamicType()->Elem, AnyP->Ptr);
    EXPECT_EQ(Boxed.field("Label")->Str, "boxed");
    const GoValue *Err = S.field("Err");
    ASSERT_TRUE(Err->dynamicType());
    EXPECT_EQ(Err->dynamicType()->Name, "*errors.errorString");
    GoValue ES = decodeValue(*L->Types, *Err->dynamicType()->Elem, Err->Dynamic->Ptr);
    EXPECT_EQ(toGoSyntax(ES), "errors.errorString{s:\"boom\"}");
    EXPECT_NE(S.field("M")->Ptr, 0u);
    EXPECT_EQ(S.field("M")->VK, GoValue::VKind::Map);
    EXPECT_NE(S.field("Ch")->Ptr, 0u);
    EXPECT_NE(S.field("Fn")->Ptr, 0u);
    EXPECT_EQ(S.field("Embedded")->field("Z")->U, 200u);
    EXPECT_TRUE(S.Fields.back().Embedded);

    // JSON: exact integers, interfaces as their dynamic values.
    llvm::json::Value J = toJSON(S);
    const llvm::json::Object *O = J.getAsObject();
    ASSERT_TRUE(O);
    EXPECT_EQ(opt(O->getInteger("I64")), int64_t(INT64_MIN));
    ASSERT_TRUE(O->get("U64"));
    EXPECT_EQ(opt(O->get("U64")->getAsUINT64()), uint64_t(UINT64_MAX));
    EXPECT_EQ(opt(O->getInteger("Any")), int64_t(42));
    EXPECT_EQ(opt(O->getString("S")), std::string("hello, core"));
    EXPECT_EQ(opt(O->getNumber("F64")), 3.25);
    EXPECT_EQ(opt(O->getBoolean("B")), true);
    ASSERT_TRUE(O->getArray("Ints"));
    EXPECT_EQ(O->getArray("Ints")->size(), 3u);
    EXPECT_EQ(opt(O->getString("M")), hex(S.field("M")->Ptr));
    ASSERT_TRUE(O->getObject("Embedded"));
    EXPECT_EQ(opt(O->getObject("Embedded")->getInteger("Z")), int64_t(200));
  });
}

TEST(GoValue, RouteKeysAndTheRoutesMap) {
  forEachGoFixture(Load::Types, [&](const std::string &,
                                   const std::unique_ptr<LoadedFixture> &L) {
    const ExeSymbol *Sym = L->F->T->exe().findSymbol("main.routes");
    if (!Sym)
      return;
    const TypeInfo *MT = mustFind(*L->Types, "map[main.routeKey]float64");
    ASSERT_TRUE(MT);
    GoValue M = decodeValue(*L->Types, *MT, Sym->Addr + L->F->T->loadBias());
    ASSERT_EQ(M.VK, GoValue::VKind::Map) << M.ErrorText;
    EXPECT_NE(M.Ptr, 0u);
    EXPECT_EQ(toGoSyntax(M), "map[main.routeKey]float64(" + hex(M.Ptr) + ")");
    // A routeKey held in registers: {Name.ptr, Name.len, ID}.
    auto Str = decodeValueFromWords(*L->Types, *mustFind(*L->Types, "string"),
                                    {0, 0});
    EXPECT_EQ(Str.Str, "");
    EXPECT_FALSE(Str.isError());
  });
}

// The start of the tests that decode go122's values by hand: loads it (L)
// and finds the type Name in its type table (Ty), asserting both.
void loadGo122Type(const std::string &Name, std::unique_ptr<LoadedFixture> &L,
                   const TypeInfo *&Ty) {
  L = load("go122");
  ASSERT_TRUE(L);
  Ty = mustFind(*L->Types, Name);
  ASSERT_TRUE(Ty);
}

TEST(GoValue, UnreadableMemoryBecomesErrorNodes) {
  std::unique_ptr<LoadedFixture> L;
  const TypeInfo *Str = nullptr;
  ASSERT_NO_FATAL_FAILURE(loadGo122Type("string", L, Str));
  TypeTable &T = *L->Types;
  GoValue V = decodeValueFromWords(T, *Str, {0xdead0000, 5});
  ASSERT_TRUE(V.isError());
  EXPECT_EQ(V.ErrorAddr, 0xdead0000u);
  EXPECT_NE(V.ErrorText.find("0xdead0000"), std::string::npos);
  llvm::json::Value J = toJSON(V);
  ASSERT_TRUE(J.getAsObject());
  EXPECT_EQ(opt(J.getAsObject()->getString("address")), std::string("0xdead0000"));
  // A struct at an address with nothing: the node itself is the error.
  const TypeInfo *RK = mustFind(T, "main.routeKey");
  ASSERT_TRUE(RK);
  GoValue S = decodeValue(T, *RK, 0x10);
  ASSERT_EQ(S.VK, GoValue::VKind::Struct);
  ASSERT_TRUE(S.field("Name")->isError());
  EXPECT_EQ(S.field("Name")->ErrorAddr, 0x10u);
  EXPECT_TRUE(S.field("ID")->isError());
  EXPECT_EQ(S.field("ID")->ErrorAddr, 0x20u);
  EXPECT_TRUE(S.hasErrors());
  // Raw bytes: a 2-byte int16 and a routeKey whose string is elsewhere.
  const TypeInfo *I16 = mustFind(T, "int16");
  ASSERT_TRUE(I16);
  uint8_t Minus2[] = {0xfe, 0xff};
  EXPECT_EQ(decodeValueFromBytes(T, *I16, Minus2).I, -2);
  // Words too short for the value.
  GoValue Short = decodeValueFromWords(T, *Str, {1});
  EXPECT_TRUE(Short.isError());
}

TEST(GoValue, LimitsTruncateAndSay) {
  auto L = load("go122");
  ASSERT_TRUE(L);
  TypeTable &T = *L->Types;
  const ExeSymbol *Sym = L->F->T->exe().findSymbol("main.sample");
  ASSERT_TRUE(Sym);
  const TypeInfo *PT = mustFind(T, "*main.Sample");
  GoValue P = decodeValue(T, *PT, Sym->Addr);
  DecodeLimits Lim;
  Lim.MaxStringBytes = 5;
  Lim.MaxElements = 2;
  GoValue S = decodeValue(T, *PT->Elem, P.Ptr, Lim);
  EXPECT_EQ(S.field("S")->Str, "hello");
  EXPECT_TRUE(S.field("S")->Truncated);
  EXPECT_EQ(S.field("S")->Len, 11u);
  EXPECT_EQ(toGoSyntax(*S.field("S")), "\"hello\"...");
  EXPECT_EQ(toGoSyntax(*S.field("Ints")), "[]int{1, 2, ...}");
  Lim.MaxNodes = 3;
  GoValue Few = decodeValue(T, *PT->Elem, P.Ptr, Lim);
  EXPECT_EQ(Few.field("I8")->VK, GoValue::VKind::Int);
  EXPECT_EQ(Few.field("U64")->VK, GoValue::VKind::Uint);
  EXPECT_EQ(Few.field("I64")->VK, GoValue::VKind::TooDeep);
  Lim.MaxNodes = 20000;
  Lim.MaxDepth = 0;
  GoValue Shallow = decodeValue(T, *PT->Elem, P.Ptr, Lim);
  EXPECT_EQ(Shallow.field("S")->VK, GoValue::VKind::TooDeep);
}

TEST(GoValue, FloatsPrintLikeGo) {
  std::unique_ptr<LoadedFixture> L;
  const TypeInfo *F64 = nullptr;
  ASSERT_NO_FATAL_FAILURE(loadGo122Type("float64", L, F64));
  TypeTable &T = *L->Types;
  auto Fmt = [&](double D) {
    return toGoSyntax(decodeValueFromWords(T, *F64, {std::bit_cast<uint64_t>(D)}));
  };
  EXPECT_EQ(Fmt(3.25), "3.25");
  EXPECT_EQ(Fmt(123456), "123456");
  EXPECT_EQ(Fmt(1234567), "1.234567e+06");
  EXPECT_EQ(Fmt(1e-5), "1e-05");
  EXPECT_EQ(Fmt(0.0001), "0.0001");
  EXPECT_EQ(Fmt(0), "0");
}

} // namespace

// The crash log parser: the runtime's traceback formats (Go 1.19..1.27,
// GOTRACEBACK single/all/system/crash) and what logs add around them.
#include <gtest/gtest.h>

#include "loader/CrashLog.h"

using namespace ms;

namespace {

// GOTRACEBACK=crash output of a Go 1.26 program (abridged), as the runtime
// prints it.
const char *const CrashMode = R"(fatal error: concurrent map writes

goroutine 8 gp=0x746dbcffc20 m=2 mp=0x746dbd2e808 [running]:
runtime.fatal({0x4d8e25, 0x15})
	/usr/lib/go-1.26/src/runtime/panic.go:1253 +0x74 fp=0x746dbe0ee10 sp=0x746dbe0edd0 pc=0x446534
runtime.mapassign_fast64(0x4bf060, 0x746dbd10e10, 0x68700687)
	/usr/lib/go-1.26/src/internal/runtime/maps/runtime_fast64.go:206 +0x45 fp=0x746dbe0eea0 sp=0x746dbe0ee30 pc=0x40f885
main.(*connTable).insert(...)
	/src/sc_delinsert.go:19
main.init.0.func1.1(0x746dbd10df0?, 0x5c27a0)
	/src/sc_delinsert.go:45 +0x1d4 fp=0x746dbe0ef00 sp=0x746dbe0eea0 pc=0x4abc14
created by main.(*harness).spawn in goroutine 1
	/src/main.go:79 +0x130

goroutine 1 gp=0x746dbcfe1e0 m=nil [select (no cases)]:
runtime.gopark(0x4bf060?, 0x746dbd10e10?, 0xc0?, 0x76?, 0x4e0eb8?)
	/usr/lib/go-1.26/src/runtime/proc.go:462 +0xce fp=0x746dbd5ec18 sp=0x746dbd5ebf8 pc=0x47a7ee
main.main()
	/src/main.go:168 +0x830 fp=0x746dbd5ef48 sp=0x746dbd5ec48 pc=0x4a6e50

goroutine 9 gp=0x746dbd00000 m=3 mp=0x746dbd2f008 [running]:
	goroutine running on other thread; stack unavailable

goroutine 9 gp=0x746dbd00000 m=3 mp=0x746dbd2f008 [running]:
runtime.mapassign_faststr(0x4c0000, 0x746dbd10e10, {0x746dbe12345, 0x7})
	/usr/lib/go-1.26/src/internal/runtime/maps/runtime_faststr.go:300 +0x45 fp=0x1 sp=0x2 pc=0x40f999
main.writer(...)
	/src/w.go:10
)";

TEST(CrashLog, ParsesGoroutinesFramesAndArguments) {
  auto L = parseCrashLog(CrashMode, "log");
  ASSERT_TRUE(static_cast<bool>(L)) << toString(L.takeError());
  EXPECT_EQ(L->Message, "concurrent map writes");
  EXPECT_FALSE(L->Panic);
  EXPECT_EQ(L->FirstLine, 1u);
  ASSERT_EQ(L->Goroutines.size(), 3u); // goroutine 9's two listings merged
  const LogGoroutine &G = *L->crashed();
  EXPECT_EQ(G.Id, 8);
  EXPECT_EQ(G.State, "running");
  EXPECT_EQ(G.G, 0x746dbcffc20u);
  EXPECT_EQ(G.M, 2);
  ASSERT_EQ(G.Frames.size(), 4u);
  const LogFrame &M = G.Frames[1];
  EXPECT_EQ(M.Function, "runtime.mapassign_fast64");
  ASSERT_EQ(M.Args.size(), 3u);
  EXPECT_EQ(M.Args[1]->Value, 0x746dbd10e10u);
  EXPECT_FALSE(M.Args[1]->Uncertain);
  EXPECT_EQ(M.File, "/usr/lib/go-1.26/src/internal/runtime/maps/runtime_fast64.go");
  EXPECT_EQ(M.Line, 206);
  EXPECT_EQ(M.Offset, 0x45u);
  EXPECT_EQ(M.PC, 0x40f885u);
  EXPECT_EQ(M.SP, 0x746dbe0ee30u);
  EXPECT_TRUE(G.Frames[2].Inlined);
  EXPECT_EQ(G.Frames[2].Function, "main.(*connTable).insert");
  EXPECT_FALSE(G.Frames[2].Offset.has_value());
  EXPECT_TRUE(G.Frames[3].Args[0]->Uncertain);
  ASSERT_TRUE(G.CreatedBy.has_value());
  EXPECT_EQ(G.CreatedBy->Function, "main.(*harness).spawn");
  EXPECT_EQ(G.CreatedByGoroutine, 1);
  EXPECT_EQ(G.CreatedBy->Line, 79);
  EXPECT_FALSE(L->Goroutines[1].M.has_value()); // m=nil
  EXPECT_EQ(L->Goroutines[1].State, "select (no cases)");
  const LogGoroutine &R = L->Goroutines[2];
  EXPECT_EQ(R.Id, 9);
  EXPECT_FALSE(R.StackUnavailable);
  ASSERT_EQ(R.Frames.size(), 2u);
  // A string argument: two words in braces.
  ASSERT_EQ(R.Frames[0].Args.size(), 4u);
  EXPECT_EQ(R.Frames[0].Args[3]->Value, 7u);
}

std::string prefixed(const std::string &Text, const std::string &Prefix) {
  std::string Out;
  size_t N = 0;
  for (size_t I = 0; I < Text.size();) {
    size_t E = Text.find('\n', I);
    if (E == std::string::npos)
      E = Text.size();
    // A timestamp that changes (and changes width) from line to line.
    std::string P = Prefix;
    size_t At = P.find("SS");
    if (At != std::string::npos)
      P.replace(At, 2, std::to_string(7 + (N * 13) % 200));
    Out += P + Text.substr(I, E - I) + "\n";
    I = E + 1;
    ++N;
  }
  return Out;
}

TEST(CrashLog, StripsPrefixesThatChangeFromLineToLine) {
  std::string T = "service starting\nlistening on :8080\n" +
                  prefixed(CrashMode, "Dec 06 06:09:SS host app[123]: ");
  auto L = parseCrashLog(T, "log");
  ASSERT_TRUE(static_cast<bool>(L)) << toString(L.takeError());
  EXPECT_EQ(L->FirstLine, 3u);
  EXPECT_EQ(L->LinePrefix, "Dec 06 06:09:7 host app[123]: ");
  ASSERT_EQ(L->Goroutines.size(), 3u);
  EXPECT_EQ(L->crashed()->Frames.size(), 4u);
  EXPECT_EQ(L->crashed()->Frames[3].Offset, 0x1d4u);
}

TEST(CrashLog, SkipsUnrelatedLinesInsideTheTraceback) {
  std::string T = CrashMode;
  size_t At = T.find("main.(*connTable).insert");
  T.insert(At, "2026/12/06 request served in 3ms\n");
  // ... and between a call and its location.
  std::string Call = "main.init.0.func1.1(0x746dbd10df0?, 0x5c27a0)\n";
  T.insert(T.find(Call) + Call.size(), "systemd[1]: svc.service: exited\n");
  auto L = parseCrashLog(T, "log");
  ASSERT_TRUE(static_cast<bool>(L)) << toString(L.takeError());
  ASSERT_EQ(L->crashed()->Frames.size(), 4u);
  EXPECT_EQ(L->crashed()->Frames[3].Offset, 0x1d4u);
  EXPECT_EQ(L->crashed()->Frames[3].Line, 45);
  EXPECT_EQ(L->IgnoredLines, 2u);
}

TEST(CrashLog, ReadsDockerJsonRecordsAndCrlf) {
  std::string T;
  llvm::StringRef Rest(CrashMode);
  while (!Rest.empty()) {
    auto [Line, R] = Rest.split('\n');
    Rest = R;
    std::string Esc;
    for (char C : Line) {
      if (C == '\t')
        Esc += "\\t";
      else if (C == '"' || C == '\\')
        Esc += std::string("\\") + C;
      else
        Esc += C;
    }
    T += "{\"log\":\"" + Esc + "\\n\",\"stream\":\"stderr\",\"time\":\"2026-12-06T06:09:39Z\"}\r\n";
  }
  EXPECT_TRUE(looksLikeCrashLog(T));
  auto L = parseCrashLog(T, "log");
  ASSERT_TRUE(static_cast<bool>(L)) << toString(L.takeError());
  EXPECT_TRUE(L->DockerJson);
  EXPECT_EQ(L->crashed()->Frames.size(), 4u);
  EXPECT_EQ(L->crashed()->Frames[1].PC, 0x40f885u);
}

TEST(CrashLog, NilMapPanicAndOlderHeaders) {
  // Go 1.19: no "in goroutine N" after "created by", no gp=/m=.
  const char *T = "panic: assignment to entry in nil map\n\n"
                  "goroutine 6 [running]:\n"
                  "main.fill(...)\n\t/src/m.go:12\n"
                  "main.worker(0xc000012345)\n\t/src/m.go:20 +0x5a\n"
                  "created by main.main\n\t/src/m.go:30 +0x25\n"
                  "exit status 2\n";
  auto L = parseCrashLog(T, "log");
  ASSERT_TRUE(static_cast<bool>(L)) << toString(L.takeError());
  EXPECT_TRUE(L->Panic);
  EXPECT_EQ(L->Message, "assignment to entry in nil map");
  ASSERT_EQ(L->Goroutines.size(), 1u);
  EXPECT_EQ(L->crashed()->Frames.size(), 2u);
  EXPECT_EQ(L->crashed()->CreatedBy->Function, "main.main");
  EXPECT_FALSE(L->crashed()->CreatedByGoroutine.has_value());
}

TEST(CrashLog, PicksTheMapFaultAmongSeveralCrashes) {
  std::string T = "panic: runtime error: index out of range [3] with length 3\n\n"
                  "goroutine 1 [running]:\nmain.main()\n\t/src/a.go:5 +0x1d\n\n"
                  "restarting\n" +
                  std::string(CrashMode) +
                  "\nfatal error: concurrent map writes\n\ngoroutine 3 [running]:\n"
                  "main.x()\n\t/src/b.go:1 +0x1\n";
  auto L = parseCrashLog(T, "log");
  ASSERT_TRUE(static_cast<bool>(L)) << toString(L.takeError());
  EXPECT_EQ(L->Message, "concurrent map writes");
  EXPECT_EQ(L->crashed()->Id, 8);
  EXPECT_EQ(L->Goroutines.size(), 3u); // stops at the next crash
}

TEST(CrashLog, RejectsTextWithoutACrash) {
  EXPECT_FALSE(looksLikeCrashLog("hello\nworld\n"));
  EXPECT_FALSE(looksLikeCrashLog("panic: at the disco\nno goroutines here\n"));
  auto L = parseCrashLog("just text\n", "notes.txt");
  ASSERT_FALSE(static_cast<bool>(L));
  EXPECT_NE(toString(L.takeError()).find("notes.txt"), std::string::npos);
  // A message whose traceback was cut off.
  auto C = parseCrashLog("fatal error: concurrent map writes\n", "cut.log");
  ASSERT_FALSE(static_cast<bool>(C));
  EXPECT_NE(toString(C.takeError()).find("no goroutine traceback"),
            std::string::npos);
}

TEST(CrashLog, ArgumentSyntax) {
  const char *T = "fatal error: concurrent map writes\n\ngoroutine 1 [running]:\n"
                  "main.f({0x1, {0x2, 0x3}}, _, ...)\n\t/a b/c.go:7 +0x10\n";
  auto L = parseCrashLog(T, "log");
  ASSERT_TRUE(static_cast<bool>(L)) << toString(L.takeError());
  const LogFrame &F = L->crashed()->Frames.at(0);
  ASSERT_EQ(F.Args.size(), 4u);
  EXPECT_EQ(F.Args[2]->Value, 3u);
  EXPECT_FALSE(F.Args[3].has_value());
  EXPECT_TRUE(F.ArgsElided);
  EXPECT_EQ(F.File, "/a b/c.go"); // spaces in the path
  EXPECT_EQ(F.Line, 7);
}

} // namespace

TEST(CrashLog, KubernetesCriLines) {
  // containerd's CRI log format: RFC 3339 time with trailing zeros of the
  // nanoseconds dropped (a prefix whose length changes), stream, tag.
  std::string T;
  llvm::StringRef Rest(CrashMode);
  int N = 0;
  while (!Rest.empty()) {
    auto [Line, R] = Rest.split('\n');
    Rest = R;
    T += "2026-12-06T06:09:39." + std::string(N++ % 2 ? "1234567" : "12345678") +
         "Z stderr F " + Line.str() + "\n";
  }
  auto L = parseCrashLog(T, "log");
  ASSERT_TRUE(static_cast<bool>(L)) << toString(L.takeError());
  EXPECT_EQ(L->Goroutines.size(), 3u);
  EXPECT_EQ(L->crashed()->Frames.size(), 4u);
  EXPECT_EQ(L->crashed()->Frames[3].Offset, 0x1d4u);
}

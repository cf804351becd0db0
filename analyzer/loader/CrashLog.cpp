#include "loader/CrashLog.h"

#include <algorithm>

#include <llvm/ADT/SmallVector.h>
#include <llvm/ADT/StringExtras.h>
#include <llvm/Support/ConvertUTF.h>
#include <llvm/Support/MemoryBuffer.h>

namespace ms {

namespace {

using llvm::StringRef;

// The runtime's map fault messages: a log holding several crashes is
// reported on the first of these, else on its first crash.
bool isMapFaultMessage(StringRef M) {
  return M.startswith("concurrent map ") ||
         M.startswith("assignment to entry in nil map");
}

// "fatal error: X" or "panic: X" at the start of S.
std::optional<std::pair<std::string, bool>> crashStart(StringRef S) {
  if (S.consume_front("fatal error: "))
    return std::make_pair(S.rtrim().str(), false);
  if (S.consume_front("panic: ")) {
    S = S.rtrim();
    S.consume_back(" [recovered]");
    // A panic value that is an error prints as its text; a runtime error
    // as "runtime error: ..." or, for the nil map, "assignment to entry
    // in nil map" directly.
    return std::make_pair(S.str(), true);
  }
  return std::nullopt;
}

bool parseHex(StringRef S, uint64_t &V) {
  if (!S.consume_front("0x"))
    return false;
  return !S.empty() && !S.getAsInteger(16, V);
}

// "goroutine 8 gp=0x... m=2 mp=0x... [running]:"
std::optional<LogGoroutine> parseHeader(StringRef S) {
  if (!S.consume_front("goroutine ") || !S.endswith("]:"))
    return std::nullopt;
  size_t Open = S.find(" [");
  if (Open == StringRef::npos)
    return std::nullopt;
  LogGoroutine G;
  StringRef Head = S.substr(0, Open);
  G.State = S.substr(Open + 2, S.size() - Open - 4).str();
  llvm::SmallVector<StringRef, 6> Parts;
  Head.split(Parts, ' ', -1, false);
  if (Parts.empty() || Parts[0].getAsInteger(10, G.Id) || G.Id < 0)
    return std::nullopt;
  for (size_t I = 1; I < Parts.size(); ++I) {
    StringRef P = Parts[I];
    uint64_t V = 0;
    int64_t N = 0;
    if (P.consume_front("gp=")) {
      if (parseHex(P, V))
        G.G = V;
    } else if (P.consume_front("m=")) {
      if (!P.getAsInteger(10, N))
        G.M = N;
    } else if (!P.startswith("mp=")) {
      return std::nullopt;
    }
  }
  return G;
}

// The argument list between the parentheses: hex words, '?', '{', '}',
// "...", "_", separated by ", ".
bool parseArgs(StringRef S, LogFrame &F) {
  if (S == "...") {
    F.Inlined = true;
    return true;
  }
  while (!S.empty()) {
    S = S.ltrim(" ,{}");
    if (S.empty())
      break;
    if (S.consume_front("...")) {
      F.ArgsElided = true;
      continue;
    }
    if (S.consume_front("_")) {
      F.Args.push_back(std::nullopt);
      continue;
    }
    size_t End = S.find_first_of(",{} ");
    StringRef W = S.substr(0, End);
    S = End == StringRef::npos ? StringRef() : S.substr(End);
    LogWord Word;
    if (W.consume_back("?"))
      Word.Uncertain = true;
    if (!parseHex(W, Word.Value))
      return false;
    F.Args.push_back(Word);
  }
  return true;
}

// "main.(*T).put(0x1, {0x2, 0x3}, ...)": the argument list is the last
// parenthesised group (function names hold parentheses, argument lists
// never do).
std::optional<LogFrame> parseCall(StringRef S) {
  if (S.empty() || S[0] == '\t' || S[0] == ' ' || !S.endswith(")"))
    return std::nullopt;
  size_t Open = S.rfind('(');
  if (Open == StringRef::npos || Open == 0)
    return std::nullopt;
  LogFrame F;
  F.Function = S.substr(0, Open).str();
  if (StringRef(F.Function).contains(' '))
    return std::nullopt;
  if (!parseArgs(S.substr(Open + 1, S.size() - Open - 2), F))
    return std::nullopt;
  return F;
}

// "\t/path/file.go:19 +0x1d4 fp=0x... sp=0x... pc=0x..."
bool parseLocation(StringRef S, LogFrame &F) {
  if (!S.consume_front("\t"))
    return false;
  llvm::SmallVector<StringRef, 5> Parts;
  // The file name may hold spaces; what follows it never does, and starts
  // with '+' or "fp=".
  size_t Cut = S.size();
  for (StringRef Marker : {" +0x", " fp=0x"}) {
    size_t P = S.find(Marker);
    if (P != StringRef::npos && P < Cut)
      Cut = P;
  }
  StringRef Loc = S.substr(0, Cut);
  size_t Colon = Loc.rfind(':');
  if (Colon == StringRef::npos || Loc.substr(Colon + 1).getAsInteger(10, F.Line))
    return false;
  F.File = Loc.substr(0, Colon).str();
  StringRef Rest = S.substr(Cut);
  Rest.split(Parts, ' ', -1, false);
  for (StringRef P : Parts) {
    uint64_t V = 0;
    if (P.consume_front("+")) {
      if (!parseHex(P, V))
        return false;
      F.Offset = V;
    } else if (P.consume_front("fp=")) {
      if (parseHex(P, V))
        F.FP = V;
    } else if (P.consume_front("sp=")) {
      if (parseHex(P, V))
        F.SP = V;
    } else if (P.consume_front("pc=")) {
      if (parseHex(P, V))
        F.PC = V;
    } else {
      return false;
    }
  }
  return true;
}

// Strips a log prefix: the text before the crash message on its line, when
// later lines start with text of the same shape (runs of digits may differ
// in value and length: timestamps; everything else must be equal).
class PrefixStripper {
public:
  void set(StringRef P) { Prefix = P.str(); }
  const std::string &prefix() const { return Prefix; }
  StringRef strip(StringRef L) const {
    if (Prefix.empty())
      return L;
    size_t I = 0, J = 0;
    while (I < Prefix.size()) {
      if (J >= L.size())
        return L;
      if (llvm::isDigit(Prefix[I])) {
        if (!llvm::isDigit(L[J]))
          return L;
        while (I < Prefix.size() && llvm::isDigit(Prefix[I]))
          ++I;
        while (J < L.size() && llvm::isDigit(L[J]))
          ++J;
        continue;
      }
      if (Prefix[I] != L[J])
        return L;
      ++I;
      ++J;
    }
    return L.substr(J);
  }

private:
  std::string Prefix;
};

// Docker's json-file driver: {"log":"text\n","stream":"stderr","time":...}.
// The "log" string is decoded here (JSON string escapes); the rest of the
// record is not needed.
std::optional<std::string> dockerLine(StringRef L) {
  if (!L.consume_front("{\"log\":\""))
    return std::nullopt;
  std::string Out;
  for (size_t I = 0; I < L.size(); ++I) {
    char C = L[I];
    if (C == '"')
      return StringRef(Out).rtrim("\r\n").str();
    if (C != '\\') {
      Out += C;
      continue;
    }
    if (++I >= L.size())
      return std::nullopt;
    switch (L[I]) {
    case 'n': Out += '\n'; break;
    case 't': Out += '\t'; break;
    case 'r': Out += '\r'; break;
    case 'b': Out += '\b'; break;
    case 'f': Out += '\f'; break;
    case '/': Out += '/'; break;
    case '\\': Out += '\\'; break;
    case '"': Out += '"'; break;
    case 'u': {
      unsigned Cp = 0;
      if (I + 4 >= L.size() || L.substr(I + 1, 4).getAsInteger(16, Cp))
        return std::nullopt;
      I += 4;
      char Buf[8];
      char *Ptr = Buf;
      if (!llvm::ConvertCodePointToUTF8(Cp, Ptr))
        return std::nullopt;
      Out.append(Buf, Ptr);
      break;
    }
    default:
      return std::nullopt;
    }
  }
  return std::nullopt; // no closing quote
}

struct Line {
  StringRef Text;
  size_t No;
};

// The lines of TEXT, CRLF or LF ended; Docker records decoded into STORE.
std::vector<Line> splitLines(StringRef Text, std::vector<std::string> &Store,
                             bool &Docker) {
  std::vector<Line> Out;
  size_t No = 0;
  // Docker records: decoded strings are kept in Store (stable addresses:
  // reserve first).
  size_t Records = 0;
  for (StringRef Rest = Text; !Rest.empty();) {
    auto [L, R] = Rest.split('\n');
    Rest = R;
    if (L.startswith("{\"log\":"))
      ++Records;
  }
  Store.reserve(Records);
  for (StringRef Rest = Text; !Rest.empty();) {
    auto [L, R] = Rest.split('\n');
    Rest = R;
    ++No;
    L.consume_back("\r");
    if (Records)
      if (auto D = dockerLine(L)) {
        Docker = true;
        Store.push_back(std::move(*D));
        Out.push_back({Store.back(), No});
        continue;
      }
    Out.push_back({L, No});
  }
  return Out;
}

// Where a crash starts: the line and the column of its message.
struct Start {
  size_t Index = 0, Column = 0;
  std::string Message;
  bool Panic = false;
};

std::vector<Start> findStarts(const std::vector<Line> &Lines) {
  std::vector<Start> Out;
  for (size_t I = 0; I < Lines.size(); ++I) {
    StringRef L = Lines[I].Text;
    for (StringRef Marker : {"fatal error: ", "panic: "}) {
      size_t P = L.find(Marker);
      if (P == StringRef::npos)
        continue;
      if (auto S = crashStart(L.substr(P))) {
        Out.push_back({I, P, S->first, S->second});
        break;
      }
    }
  }
  return Out;
}

class Parser {
public:
  Parser(const std::vector<Line> &Lines, CrashLog &Out) : Lines(Lines), Out(Out) {}

  // Goroutine blocks from line From on; stops at the end, or at a new
  // crash after goroutines were read (another process's output). Returns
  // the index of the line it stopped at.
  size_t run(size_t From) {
    LogGoroutine *G = nullptr;
    std::optional<LogFrame> Pending; // a call line awaiting its location
    bool PendingCreatedBy = false;
    for (size_t I = From; I < Lines.size(); ++I) {
      StringRef L = Strip.strip(Lines[I].Text);
      if (L.trim().empty()) {
        flush(G, Pending, PendingCreatedBy);
        G = nullptr;
        continue;
      }
      if (auto S = crashStart(L)) {
        if (!Out.Goroutines.empty())
          return I;
        if (S->first != Out.Message)
          Out.OtherMessages.push_back(S->first);
        continue;
      }
      if (auto H = parseHeader(L)) {
        flush(G, Pending, PendingCreatedBy);
        H->LineNo = Lines[I].No;
        Out.Goroutines.push_back(std::move(*H));
        G = &Out.Goroutines.back();
        continue;
      }
      if (!G) {
        ++Out.IgnoredLines;
        continue;
      }
      if (Pending) {
        LogFrame F = std::move(*Pending);
        Pending.reset();
        // A line of something else between a call and its location: skip
        // it, the location may follow.
        if (!L.startswith("\t") && !parseCall(L) &&
            !L.startswith("created by ") && !L.startswith("...")) {
          ++Out.IgnoredLines;
          Pending = std::move(F);
          continue;
        }
        if (parseLocation(L, F)) {
          if (PendingCreatedBy)
            G->CreatedBy = std::move(F);
          else
            G->Frames.push_back(std::move(F));
          PendingCreatedBy = false;
          continue;
        }
        PendingCreatedBy = false;
        // A call line without its location: keep the call.
        G->Frames.push_back(std::move(F));
      }
      if (L.trim() == "goroutine running on other thread; stack unavailable") {
        G->StackUnavailable = true;
        continue;
      }
      if (L.startswith("...") && L.contains("elided")) {
        G->FramesElided = true;
        continue;
      }
      if (L.consume_front("created by ")) {
        LogFrame F;
        size_t In = L.find(" in goroutine ");
        if (In != StringRef::npos) {
          int64_t Id = 0;
          if (!L.substr(In + 14).trim().getAsInteger(10, Id))
            G->CreatedByGoroutine = Id;
          L = L.substr(0, In);
        }
        F.Function = L.trim().str();
        Pending = std::move(F);
        PendingCreatedBy = true;
        continue;
      }
      if (auto F = parseCall(L)) {
        Pending = std::move(*F);
        continue;
      }
      ++Out.IgnoredLines;
    }
    flush(G, Pending, PendingCreatedBy);
    return Lines.size();
  }

  PrefixStripper Strip;

private:
  void flush(LogGoroutine *G, std::optional<LogFrame> &Pending, bool &CB) {
    if (G && Pending) {
      if (CB)
        G->CreatedBy = std::move(*Pending);
      else
        G->Frames.push_back(std::move(*Pending));
    }
    Pending.reset();
    CB = false;
  }

  const std::vector<Line> &Lines;
  CrashLog &Out;
};

// With GOTRACEBACK=crash a goroutine running on another thread is listed
// twice: "stack unavailable" in the list, its frames from that thread
// later. Keep one entry, with frames.
void mergeDuplicates(CrashLog &L) {
  std::vector<LogGoroutine> Out;
  for (auto &G : L.Goroutines) {
    auto It = std::find_if(Out.begin(), Out.end(), [&](const LogGoroutine &O) {
      return O.Id == G.Id;
    });
    if (It == Out.end()) {
      Out.push_back(std::move(G));
      continue;
    }
    if (It->Frames.empty() && !G.Frames.empty()) {
      std::swap(It->Frames, G.Frames);
      It->StackUnavailable = false;
      It->FramesElided = G.FramesElided;
      if (!It->CreatedBy)
        It->CreatedBy = std::move(G.CreatedBy);
      if (!It->G)
        It->G = G.G;
      if (!It->M)
        It->M = G.M;
    }
  }
  L.Goroutines = std::move(Out);
}

} // namespace

bool looksLikeCrashLog(StringRef Text) {
  // A crash message, then a goroutine header ("goroutine 7 [" ... "]:" on
  // one line) within the next 64 KiB.
  for (size_t From = 0;;) {
    size_t At = std::min(Text.find("fatal error: ", From),
                         Text.find("panic: ", From));
    if (At == StringRef::npos)
      return false;
    StringRef After = Text.substr(At, 1 << 16);
    for (size_t G = After.find("goroutine "); G != StringRef::npos;
         G = After.find("goroutine ", G + 1)) {
      StringRef H = After.substr(G + 10);
      H = H.substr(0, H.find('\n'));
      size_t Digits = H.find_first_not_of("0123456789");
      if (Digits == 0 || Digits == StringRef::npos)
        continue;
      if (H.substr(Digits).contains(" [") && H.contains("]:"))
        return true;
    }
    From = At + 1;
  }
}

Expected<CrashLog> parseCrashLog(StringRef Text, const std::string &Name) {
  std::vector<std::string> Store;
  CrashLog Out;
  std::vector<Line> Lines = splitLines(Text, Store, Out.DockerJson);
  std::vector<Start> Starts = findStarts(Lines);
  if (Starts.empty())
    return inputError(Name, "not a Go crash log: no 'fatal error:' or "
                            "'panic:' line");
  // The first map fault, else the first crash.
  const Start *Pick = &Starts.front();
  for (const Start &S : Starts)
    if (isMapFaultMessage(S.Message)) {
      Pick = &S;
      break;
    }
  Out.Message = Pick->Message;
  Out.Panic = Pick->Panic;
  Out.FirstLine = Lines[Pick->Index].No;
  Parser P(Lines, Out);
  P.Strip.set(Lines[Pick->Index].Text.substr(0, Pick->Column));
  Out.LinePrefix = P.Strip.prefix();
  const size_t Stop = P.run(Pick->Index + 1);
  if (Out.Goroutines.empty())
    return inputError(Name,
                      "line {0} says '{1}{2}' but no goroutine traceback "
                      "follows (the log is cut short?)",
                      Out.FirstLine, Out.Panic ? "panic: " : "fatal error: ",
                      Out.Message);
  mergeDuplicates(Out);
  for (const Start &S : Starts)
    if (S.Index >= Stop)
      ++Out.LaterCrashes;
  return Out;
}

namespace {
// The file's bytes, at most MaxCrashLogBytes.
Expected<std::unique_ptr<llvm::MemoryBuffer>> readText(const std::string &Path) {
  auto B = llvm::MemoryBuffer::getFile(Path, /*IsText=*/false,
                                       /*RequiresNullTerminator=*/false);
  if (!B)
    return inputError(Path, "cannot read: {0}", B.getError().message());
  if ((*B)->getBufferSize() > MaxCrashLogBytes)
    return inputError(Path, "{0} bytes: too large for a crash log (at most "
                            "{1})",
                      (*B)->getBufferSize(), MaxCrashLogBytes);
  return std::move(*B);
}

bool isText(StringRef S) {
  // Binary files hold NUL bytes early on; text does not.
  return S.substr(0, 1 << 16).find('\0') == StringRef::npos;
}
} // namespace

Expected<CrashLog> readCrashLog(const std::string &Path) {
  auto B = readText(Path);
  if (!B)
    return B.takeError();
  StringRef S = (*B)->getBuffer();
  if (!isText(S))
    return inputError(Path, "not a core, an executable or a text crash log");
  return parseCrashLog(S, Path);
}

bool isCrashLogFile(const std::string &Path) {
  auto B = readText(Path);
  if (!B) {
    llvm::consumeError(B.takeError());
    return false;
  }
  StringRef S = (*B)->getBuffer();
  return isText(S) && looksLikeCrashLog(S);
}

} // namespace ms

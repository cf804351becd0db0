#include "cli/BatchInputs.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>

#include <llvm/ADT/SmallVector.h>
#include <llvm/ADT/StringExtras.h>

#include "loader/CrashLog.h"
#include "loader/Sniff.h"
#include "loader/Target.h"

namespace fs = std::filesystem;

namespace ms::batch {

namespace {

constexpr int MaxListDepth = 8;
constexpr size_t MaxListBytes = 64u << 20;
// How far up from a core's directory the pairing rules look: the core's
// directory and this many parents.
constexpr int ParentLevels = 2;
const char *const CompressedSuffixes[] = {"", ".xz", ".zst", ".lz4"};
// systemd-coredump and the kernel keep 15 characters of the command name.
constexpr size_t CommMax = 15;

std::string joinPath(const std::string &Dir, const std::string &Name) {
  if (Dir.empty() || Dir == ".")
    return Name;
  if (Dir.back() == '/')
    return Dir + Name;
  return Dir + "/" + Name;
}

std::string quotePath(const std::string &Path) { return "'" + Path + "'"; }

bool isRegularFile(const std::string &P) {
  std::error_code EC;
  return fs::is_regular_file(P, EC); // follows symbolic links
}

bool sameFile(const std::string &A, const std::string &B) {
  std::error_code EC;
  bool Same = fs::equivalent(A, B, EC);
  return !EC && Same;
}

bool isExecutable(const std::string &P) {
  auto S = sniffFile(P);
  if (!S) {
    llvm::consumeError(S.takeError());
    return false;
  }
  return S->What == FileSniff::Kind::Executable;
}

// The first line of a text file, without surrounding blanks.
std::optional<std::string> firstLine(const std::string &P) {
  std::ifstream In(P);
  std::string L;
  while (In && std::getline(In, L)) {
    llvm::StringRef T = llvm::StringRef(L).trim();
    if (!T.empty() && !T.startswith("#"))
      return T.str();
  }
  return std::nullopt;
}

// A list file line: "PATH" or "CORE<TAB>EXE"; blank and '#' lines: none.
struct ListLine {
  std::string Path;
  std::optional<std::string> Exe;
};
std::optional<ListLine> parseListLine(llvm::StringRef L) {
  L = L.trim();
  if (L.empty() || L.startswith("#"))
    return std::nullopt;
  auto [A, B] = L.split('\t');
  ListLine R;
  R.Path = A.trim().str();
  if (!B.trim().empty())
    R.Exe = B.trim().str();
  return R;
}

// The entries of a list file's text, in order.
std::vector<ListLine> parseList(llvm::StringRef Text) {
  llvm::SmallVector<llvm::StringRef, 0> Lines;
  Text.split(Lines, '\n');
  std::vector<ListLine> Out;
  for (llvm::StringRef L : Lines)
    if (auto LL = parseListLine(L))
      Out.push_back(std::move(*LL));
  return Out;
}

// Relative paths in a list are relative to the list's directory (stdin:
// the current directory).
std::string resolveIn(const std::string &Base, const std::string &P) {
  if (P.empty() || P[0] == '/' || Base.empty())
    return P;
  return joinPath(Base, P);
}

std::string listBase(const std::string &ListPath) {
  if (ListPath == "-")
    return "";
  std::string D = fs::path(ListPath).parent_path().string();
  return D;
}

class Enumerator {
public:
  Enumerator(const std::optional<std::string> &Exe, Shard Sh, bool Logs)
      : Exe(Exe), Sh(Sh), Logs(Logs) {}

  void addArg(const std::string &P) {
    if (llvm::StringRef(P).startswith("@") && P.size() > 1)
      return addList(P.substr(1), 0);
    addPath(P, /*TopLevel=*/true, std::nullopt);
  }

  Inputs Out;

private:
  // PATH named explicitly (on the command line or in a list): a core, a
  // directory, or (top level only) a list file.
  void addPath(const std::string &P, bool TopLevel,
               const std::optional<std::string> &ListExe) {
    std::error_code EC;
    auto St = fs::status(P, EC);
    if (EC || !fs::exists(St))
      return addError(P, quotePath(P) + ": cannot open: " +
                             (EC ? EC.message() : "No such file or directory"));
    if (fs::is_directory(St))
      return addDir(P);
    auto S = sniffFile(P);
    if (!S)
      return addError(P, errorText(S.takeError()));
    if (S->What == FileSniff::Kind::Core)
      return addCore(P, ListExe);
    if (Logs && S->What == FileSniff::Kind::NotElf &&
        S->Comp == Compression::None && isCrashLogFile(P))
      return addCore(P, ListExe, /*Log=*/true);
    if (TopLevel && S->What == FileSniff::Kind::NotElf &&
        S->Comp == Compression::None && looksLikeList(P))
      return addList(P, 0);
    addError(P, quotePath(P) + ": not a core: " + kindName(S->What).str());
  }

  void addDir(const std::string &D) {
    std::error_code EC;
    std::vector<std::string> Names;
    fs::directory_iterator It(D, EC), End;
    if (EC)
      return addError(D, quotePath(D) + ": cannot read directory: " + EC.message());
    for (; It != End; It.increment(EC)) {
      if (EC)
        break;
      Names.push_back(It->path().filename().string());
    }
    if (EC)
      return addError(D, quotePath(D) + ": cannot read directory: " + EC.message());
    std::sort(Names.begin(), Names.end());
    for (const std::string &N : Names) {
      std::string P = joinPath(D, N);
      auto LSt = fs::symlink_status(P, EC);
      if (EC) {
        addError(P, quotePath(P) + ": " + EC.message());
        continue;
      }
      if (fs::is_directory(LSt)) {
        addDir(P);
        continue;
      }
      // Symbolic links to files are followed, to directories not (no
      // cycles); devices, pipes and sockets are not read.
      if (!isRegularFile(P)) {
        skip(P);
        continue;
      }
      auto S = sniffFile(P);
      if (!S) {
        // Unreadable, or compressed and undecodable from the start: it may
        // be a core, so it is reported, not skipped.
        addError(P, errorText(S.takeError()));
        continue;
      }
      if (S->What == FileSniff::Kind::Core)
        addCore(P, std::nullopt);
      else if (Logs && S->What == FileSniff::Kind::NotElf &&
               S->Comp == Compression::None && isCrashLogFile(P))
        addCore(P, std::nullopt, /*Log=*/true);
      else
        skip(P);
    }
  }

  void addList(const std::string &ListPath, int Depth) {
    if (Depth > MaxListDepth)
      return addError(ListPath, quotePath(ListPath) +
                                    ": list files nested more than " +
                                    std::to_string(MaxListDepth) + " deep");
    std::string Text;
    if (ListPath == "-") {
      Text.assign(std::istreambuf_iterator<char>(std::cin),
                  std::istreambuf_iterator<char>());
    } else {
      std::ifstream In(ListPath, std::ios::binary);
      if (!In)
        return addError(ListPath, quotePath(ListPath) + ": cannot open list file");
      Text.assign(std::istreambuf_iterator<char>(In),
                  std::istreambuf_iterator<char>());
    }
    if (Text.size() > MaxListBytes)
      return addError(ListPath, quotePath(ListPath) + ": list file larger than " +
                                    std::to_string(MaxListBytes) + " bytes");
    std::string Base = listBase(ListPath);
    for (const ListLine &LL : parseList(Text)) {
      if (llvm::StringRef(LL.Path).startswith("@") && LL.Path.size() > 1) {
        addList(resolveIn(Base, LL.Path.substr(1)), Depth + 1);
        continue;
      }
      std::optional<std::string> LineExe;
      if (LL.Exe)
        LineExe = resolveIn(Base, *LL.Exe);
      addPath(resolveIn(Base, LL.Path), /*TopLevel=*/false, LineExe);
    }
  }

  // A text file whose first path names something that exists.
  static bool looksLikeList(const std::string &P) {
    std::ifstream In(P, std::ios::binary);
    std::string Head(4096, '\0');
    In.read(Head.data(), static_cast<std::streamsize>(Head.size()));
    Head.resize(static_cast<size_t>(In.gcount()));
    if (Head.find('\0') != std::string::npos)
      return false;
    std::vector<ListLine> Entries = parseList(Head);
    if (Entries.empty())
      return false;
    std::string First = Entries.front().Path;
    if (llvm::StringRef(First).startswith("@"))
      First = First.substr(1);
    std::error_code EC;
    return fs::exists(resolveIn(listBase(P), First), EC);
  }

  void addCore(const std::string &P, const std::optional<std::string> &ListExe,
               bool Log = false) {
    if (!firstTime(P)) {
      if (mine(P))
        ++Out.Duplicates;
      return;
    }
    Item I;
    I.Core = P;
    I.Log = Log;
    I.Index = Count++;
    if (Exe) {
      I.Exe = *Exe;
      I.ExeRule = "--exe";
    } else if (ListExe) {
      I.Exe = *ListExe;
      I.ExeRule = "list";
    }
    if (mine(P))
      Out.Items.push_back(std::move(I));
  }

  void skip(const std::string &P) {
    if (mine(P))
      ++Out.Skipped;
  }

  bool mine(const std::string &P) const {
    return !Sh.on() || shardOf(P, Sh.N) == Sh.K;
  }

  void addError(const std::string &P, std::string Msg) {
    if (!firstTime(P))
      return;
    Item I;
    I.Core = P;
    I.Index = Count++;
    I.Error = std::move(Msg);
    if (mine(P))
      Out.Items.push_back(std::move(I));
  }

  bool firstTime(const std::string &P) {
    std::error_code EC;
    fs::path C = fs::weakly_canonical(P, EC);
    return Seen.insert(EC ? P : C.string()).second;
  }

  std::optional<std::string> Exe;
  Shard Sh;
  bool Logs = true;
  std::set<std::string> Seen;
  size_t Count = 0; // inputs met, in every shard
};

// The core's directory and its parents, by name.
std::vector<std::string> searchDirs(const std::string &Core) {
  fs::path D = fs::path(Core).parent_path();
  if (D.empty())
    D = ".";
  std::vector<std::string> R;
  for (int I = 0; I <= ParentLevels; ++I) {
    std::string S = D.lexically_normal().string();
    if (S.empty())
      S = ".";
    if (std::find(R.begin(), R.end(), S) == R.end())
      R.push_back(S);
    D /= "..";
  }
  return R;
}

bool plainFileName(llvm::StringRef N) {
  return !N.empty() && N != "." && N != ".." && !N.contains('/') &&
         !N.contains('\0');
}

std::optional<ExeChoice> byComm(const std::string &Dir, const std::string &Comm,
                                const std::string &Core) {
  if (!plainFileName(Comm))
    return std::nullopt;
  for (const char *Suffix : CompressedSuffixes) {
    std::string P = joinPath(Dir, Comm + Suffix);
    if (isRegularFile(P) && !sameFile(P, Core) && isExecutable(P))
      return ExeChoice{P, "comm", ""};
  }
  // A command name cut to 15 characters: the one executable whose name
  // starts with it.
  if (Comm.size() != CommMax)
    return std::nullopt;
  std::error_code EC;
  std::vector<std::string> Found;
  for (fs::directory_iterator It(Dir.empty() ? "." : Dir, EC), End;
       !EC && It != End; It.increment(EC)) {
    std::string N = It->path().filename().string();
    if (!llvm::StringRef(N).startswith(Comm))
      continue;
    std::string P = joinPath(Dir, N);
    if (isRegularFile(P) && !sameFile(P, Core) && isExecutable(P))
      Found.push_back(P);
  }
  if (Found.size() == 1)
    return ExeChoice{Found.front(), "comm", ""};
  return std::nullopt;
}

} // namespace

std::string Shard::str() const {
  return std::to_string(K) + "/" + std::to_string(N);
}

std::optional<Shard> parseShard(llvm::StringRef S) {
  auto [KS, NS] = S.split('/');
  unsigned K = 0, N = 0;
  if (NS.empty() || KS.getAsInteger(10, K) || NS.getAsInteger(10, N))
    return std::nullopt;
  if (N < 1 || N > 100000 || K < 1 || K > N)
    return std::nullopt;
  return Shard{K, N};
}

unsigned shardOf(const std::string &Path, unsigned N) {
  std::error_code EC;
  fs::path C = fs::weakly_canonical(Path, EC);
  const std::string Key = EC ? Path : C.string();
  uint64_t H = 0xcbf29ce484222325ULL;
  for (unsigned char Ch : Key) {
    H ^= Ch;
    H *= 0x100000001b3ULL;
  }
  return N ? static_cast<unsigned>(H % N) + 1 : 1;
}

Inputs enumerate(const std::vector<std::string> &Paths,
                 const std::optional<std::string> &Exe, Shard Sh, bool Logs) {
  Enumerator E(Exe, Sh, Logs);
  for (const std::string &P : Paths)
    E.addArg(P);
  return std::move(E.Out);
}

std::optional<ExeChoice> pairLogExecutable(const Item &I) {
  if (I.Exe)
    return ExeChoice{*I.Exe, I.ExeRule, ""};
  for (const std::string &D : searchDirs(I.Core)) {
    std::string ExeFile = joinPath(D, "EXE");
    if (isRegularFile(ExeFile)) {
      auto L = firstLine(ExeFile);
      if (!L)
        return std::nullopt;
      std::string P = fs::path(resolveIn(D, *L)).lexically_normal().string();
      if (!isRegularFile(P))
        return std::nullopt;
      return ExeChoice{P, "EXE file", ""};
    }
    for (const char *Suffix : CompressedSuffixes) {
      std::string P = joinPath(D, std::string("exe") + Suffix);
      if (isRegularFile(P) && !sameFile(P, I.Core) && isExecutable(P))
        return ExeChoice{P, "exe", ""};
    }
  }
  return std::nullopt;
}

Expected<ExeChoice> pairExecutable(const Item &I, const CoreFile &Core) {
  if (I.Exe)
    return ExeChoice{*I.Exe, I.ExeRule, ""};
  std::string Name = fs::path(I.Core).filename().string();
  std::string Comm;
  if (auto CD = parseCoredumpName(Name))
    Comm = CD->Comm;
  else if (auto XC = Core.coredumpXattrs().comm())
    Comm = *XC;
  else
    Comm = Core.command();
  std::vector<std::string> Dirs = searchDirs(I.Core);
  for (const std::string &D : Dirs) {
    std::string ExeFile = joinPath(D, "EXE");
    if (isRegularFile(ExeFile)) {
      auto L = firstLine(ExeFile);
      if (!L)
        return inputError(ExeFile, "names no executable (empty)");
      std::string P = fs::path(resolveIn(D, *L)).lexically_normal().string();
      if (!isRegularFile(P))
        return inputError(ExeFile, "names '{0}', which does not exist", P);
      return ExeChoice{P, "EXE file", ""};
    }
    if (!Comm.empty())
      if (auto C = byComm(D, Comm, I.Core))
        return *C;
    for (const char *Suffix : CompressedSuffixes) {
      std::string P = joinPath(D, std::string("exe") + Suffix);
      if (isRegularFile(P) && !sameFile(P, I.Core) && isExecutable(P))
        return ExeChoice{P, "exe", ""};
    }
  }
  TargetOptions TO;
  TO.Debuginfod = true;
  ExeSearch S = locateExecutable(Core, TO);
  if (S.Found)
    return ExeChoice{S.Found->Path, S.Found->Source, S.Found->Url};
  return inputError(I.Core,
                    "no executable: no --exe, no EXE, {0}[.xz|.zst|.lz4] or "
                    "exe[.xz|.zst|.lz4] in '{1}' or its {2} parent "
                    "directories; {3}",
                    Comm.empty() ? std::string("<command>") : Comm,
                    Dirs.front(), ParentLevels, llvm::join(S.Tried, "; "));
}

} // namespace ms::batch

#include "cli/Summarize.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include <llvm/Support/FileSystem.h>
#include <llvm/Support/FormatVariadic.h>
#include <llvm/Support/JSON.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/raw_ostream.h>

#include "cli/BatchInputs.h"
#include "cli/BatchSummary.h"
#include "report/Json.h"

namespace ms {

namespace {

using llvm::json::Object;
using llvm::json::Value;

// One result line, read back.
struct Result {
  size_t Index = 0;
  batch::Outcome Out;
  std::string Where; // FILE:LINE
};

struct Reader {
  std::vector<Result> Results;
  size_t Skipped = 0, Duplicates = 0;
  // Shards seen, by N: which K.
  std::map<unsigned, std::set<unsigned>> Shards;
  std::map<size_t, std::string> IndexAt; // where each input index was read

  Error readFile(const std::string &Path) {
    auto B = llvm::MemoryBuffer::getFileOrSTDIN(Path, /*IsText=*/false,
                                                /*RequiresNullTerminator=*/false);
    if (!B)
      return inputError(Path, "cannot read: {0}", B.getError().message());
    llvm::StringRef Text = (*B)->getBuffer();
    // A --summary-file is one pretty-printed object; batch output is one
    // object per line.
    llvm::StringRef Trimmed = Text.ltrim();
    if (Trimmed.startswith("{\n") || Trimmed.startswith("{\r\n") ||
        Trimmed == "{")
      return readObject(Path, 1, Trimmed);
    size_t LineNo = 0;
    while (!Text.empty()) {
      auto [Line, Rest] = Text.split('\n');
      Text = Rest;
      ++LineNo;
      if (Line.trim().empty())
        continue;
      if (auto E = readObject(Path, LineNo, Line))
        return E;
    }
    return Error::success();
  }

private:
  Error readObject(const std::string &Path, size_t LineNo,
                   llvm::StringRef Text) {
    const std::string Where = Path + ":" + std::to_string(LineNo);
    auto V = llvm::json::parse(Text);
    if (!V)
      return inputError(Where, "not JSON: {0}", llvm::toString(V.takeError()));
    const Object *O = V->getAsObject();
    if (!O)
      return inputError(Where, "not a JSON object");
    auto Schema = O->getString("schema");
    if (Schema && *Schema == "mapsleuth.batch-summary/1")
      return readSummary(Where, *O);
    if (O->getObject("input"))
      return readResult(Where, *O);
    return inputError(Where, "neither a `mapsleuth batch` result (no \"input\") "
                             "nor a batch summary");
  }

  Error noteShard(const std::string &Where, llvm::StringRef S) {
    auto Sh = batch::parseShard(S);
    if (!Sh)
      return inputError(Where, "shard '{0}' is not K/N", S);
    Shards[Sh->N].insert(Sh->K);
    return Error::success();
  }

  // A summary contributes what results do not hold: the files skipped and
  // the duplicates of its run.
  Error readSummary(const std::string &Where, const Object &O) {
    auto SV = O.getInteger("signature_version");
    if (!SV || *SV != SignatureVersion)
      return inputError(Where,
                        "a summary of signature version {0}, but this "
                        "mapsleuth makes version {1}: analyze the cores again",
                        SV ? std::to_string(*SV) : "?", SignatureVersion);
    auto Sk = O.getInteger("skipped_files");
    auto Du = O.getInteger("duplicates");
    if (!Sk || !Du || *Sk < 0 || *Du < 0)
      return inputError(Where, "summary without skipped_files or duplicates");
    Skipped += static_cast<size_t>(*Sk);
    Duplicates += static_cast<size_t>(*Du);
    if (auto S = O.getString("shard"))
      return noteShard(Where, *S);
    return Error::success();
  }

  Error readResult(const std::string &Where, const Object &O) {
    const Object &In = *O.getObject("input");
    Result R;
    R.Where = Where;
    auto Core = In.getString("core");
    auto Index = In.getInteger("index");
    auto Status = In.getString("status");
    if (!Core || !Index || *Index < 0 || !Status)
      return inputError(Where, "input.core, input.index or input.status "
                               "missing (written by an older mapsleuth? run "
                               "batch again)");
    R.Index = static_cast<size_t>(*Index);
    R.Out.Core = Core->str();
    R.Out.Status = Status->str();
    if (R.Out.Status != "map_fault" && R.Out.Status != "no_map_fault" &&
        R.Out.Status != "error")
      return inputError(Where, "input.status '{0}' is not map_fault, "
                               "no_map_fault or error",
                        R.Out.Status);
    if (auto T = In.getString("crash_time")) {
      R.Out.Seen = batch::parseIsoTime(*T);
      if (!R.Out.Seen)
        return inputError(Where, "input.crash_time '{0}' is not a time", *T);
    }
    if (R.Out.Status != "error") {
      const Value *S = O.get("signature");
      if (!S)
        return inputError(Where, "an analyzed core without a signature");
      auto Sig = signatureFromJSON(*S);
      if (!Sig)
        return inputError(Where, "{0}", errorText(Sig.takeError()));
      R.Out.Sig = std::move(*Sig);
    }
    if (auto S = In.getString("shard"))
      if (auto E = noteShard(Where, *S))
        return E;
    auto [It, New] = IndexAt.emplace(R.Index, Where);
    if (!New)
      return inputError(Where, "input {0} ({1}) was already read at {2}: the "
                               "same results given twice?",
                        R.Index, R.Out.Core, It->second);
    Results.push_back(std::move(R));
    return Error::success();
  }
};

} // namespace

CLI::App *addSummarizeCommand(CLI::App &App, SummarizeOptions &O) {
  auto *S = App.add_subcommand(
      "summarize",
      "the summary of `batch --format jsonl` results (e.g. of its shards)");
  S->add_option("results", O.Files,
                "JSONL output of mapsleuth batch (\"-\": stdin); summary "
                "files add their skipped files and duplicates")
      ->required();
  S->add_option("--format,-f", O.Format, "output format")
      ->check(CLI::IsMember({"json", "text"}));
  S->add_option("--summary-file", O.SummaryFile,
                "write the summary to this file instead of stdout");
  return S;
}

int runSummarize(const SummarizeOptions &O) {
  Reader R;
  for (const std::string &F : O.Files)
    if (auto E = R.readFile(F)) {
      llvm::errs() << "mapsleuth: error: " << errorText(std::move(E)) << "\n";
      return 1;
    }
  // Shards that left no trace (no result, no summary) are only noticed
  // when another of the same N did.
  for (const auto &[N, Ks] : R.Shards)
    if (Ks.size() != N) {
      std::string Missing;
      for (unsigned K = 1; K <= N; ++K)
        if (!Ks.count(K))
          Missing += (Missing.empty() ? "" : ", ") + std::to_string(K) + "/" +
                     std::to_string(N);
      llvm::errs() << "mapsleuth: warning: no results of shard "
                   << Missing << " (empty, or not given)\n";
    }
  std::stable_sort(R.Results.begin(), R.Results.end(),
                   [](const Result &A, const Result &B) {
                     return A.Index < B.Index;
                   });
  batch::Summary Sum;
  Sum.Skipped = R.Skipped;
  Sum.Duplicates = R.Duplicates;
  for (const Result &X : R.Results)
    Sum.add(X.Out);

  const bool Text = O.Format == "text";
  if (!O.SummaryFile.empty()) {
    if (auto E = Sum.writeFile(O.SummaryFile, Text)) {
      llvm::errs() << "mapsleuth: error: " << errorText(std::move(E)) << "\n";
      return 1;
    }
    return 0;
  }
  if (Text)
    Sum.writeText(llvm::outs());
  else
    llvm::outs() << llvm::formatv("{0}", Sum.toJSON()) << "\n";
  llvm::outs().flush();
  return 0;
}

} // namespace ms

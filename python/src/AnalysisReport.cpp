// mapsleuth._AnalysisReport: report/Analysis.h (schema mapsleuth.report/1).
#include "Bindings.h"

namespace mspy {

void bindAnalysisReport(py::module_ &M) {
  py::class_<ms::AnalysisReport> C(M, "_AnalysisReport");
  C.def_readonly("map_fault", &ms::AnalysisReport::MapFault);
  addJsonMethods<ms::AnalysisReport>(
      C, "The JSON the CLI prints (`mapsleuth analyze --format json`), "
         "without its final newline.");
  C.def(
      "to_text",
      [](const ms::AnalysisReport &R, bool Colour) {
        return textOf([&](llvm::raw_ostream &OS) {
          ms::writeAnalysisText(R, OS, Colour);
        });
      },
      py::arg("colour") = false, "The text the CLI prints.");
}

} // namespace mspy

// mapsleuth._AnalysisReport: report/Analysis.h (schema mapsleuth.report/1).
#include <llvm/Support/raw_ostream.h>

#include "Bindings.h"

namespace mspy {

void bindAnalysisReport(py::module_ &M) {
  py::class_<ms::AnalysisReport>(M, "_AnalysisReport")
      .def_readonly("map_fault", &ms::AnalysisReport::MapFault)
      .def(
          "to_json",
          [](const ms::AnalysisReport &R) { return jsonText(toJSON(R)); },
          "The JSON the CLI prints (`mapsleuth analyze --format json`), "
          "without its final newline.")
      .def(
          "to_text",
          [](const ms::AnalysisReport &R, bool Colour) {
            std::string S;
            llvm::raw_string_ostream OS(S);
            ms::writeAnalysisText(R, OS, Colour);
            return OS.str();
          },
          py::arg("colour") = false, "The text the CLI prints.")
      .def("to_dict",
           [](const ms::AnalysisReport &R) { return toPython(toJSON(R)); });
}

} // namespace mspy

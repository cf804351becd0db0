// mapsleuth._GoroutinesReport: report/Stacks.h (mapsleuth.goroutines/1).
#include <llvm/Support/raw_ostream.h>

#include <optional>

#include "Bindings.h"

namespace mspy {

void bindGoroutinesReport(py::module_ &M) {
  py::class_<ms::GoroutinesReport>(M, "_GoroutinesReport")
      .def("to_json",
           [](const ms::GoroutinesReport &R) { return jsonText(toJSON(R)); })
      .def(
          "to_text",
          [](const ms::GoroutinesReport &R) {
            std::string S;
            llvm::raw_string_ostream OS(S);
            ms::writeGoroutinesText(R, OS);
            return OS.str();
          },
          "One line per goroutine, then the threads (`mapsleuth goroutines`).")
      .def(
          "stacks_text",
          [](const ms::GoroutinesReport &R) {
            std::string S;
            llvm::raw_string_ostream OS(S);
            ms::writeStacksText(R, OS);
            return OS.str();
          },
          "Every goroutine's frames (`mapsleuth stack`).")
      .def(
          "stack",
          [](const ms::GoroutinesReport &R,
             int64_t Goid) -> std::optional<ms::StackReport> {
            for (const auto &G : R.Goroutines)
              if (G.Goid == Goid)
                return G.Stack;
            return std::nullopt;
          },
          py::arg("goid"), "The goroutine's stack, when the report has it.")
      .def("to_dict",
           [](const ms::GoroutinesReport &R) { return toPython(toJSON(R)); });
}

} // namespace mspy

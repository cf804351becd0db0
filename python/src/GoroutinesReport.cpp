// mapsleuth._GoroutinesReport: report/Stacks.h (mapsleuth.goroutines/1).
#include <optional>

#include "Bindings.h"

namespace mspy {

void bindGoroutinesReport(py::module_ &M) {
  using ms::GoroutinesReport;
  py::class_<GoroutinesReport> C(M, "_GoroutinesReport");
  addJsonMethods<GoroutinesReport>(C);
  addTextMethod<GoroutinesReport>(
      C, "to_text", ms::writeGoroutinesText,
      "One line per goroutine, then the threads (`mapsleuth goroutines`).");
  addTextMethod<GoroutinesReport>(
      C, "stacks_text", ms::writeStacksText,
      "Every goroutine's frames (`mapsleuth stack`).");
  C.def(
      "stack",
      [](const GoroutinesReport &R,
         int64_t Goid) -> std::optional<ms::StackReport> {
        for (const auto &G : R.Goroutines)
          if (G.Goid == Goid)
            return G.Stack;
        return std::nullopt;
      },
      py::arg("goid"), "The goroutine's stack, when the report has it.");
}

} // namespace mspy

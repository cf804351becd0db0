// mapsleuth._StackReport: one stack of report/Stacks.h.
#include "Bindings.h"

namespace mspy {

void bindStackReport(py::module_ &M) {
  py::class_<ms::StackReport> C(M, "_StackReport");
  addJsonMethods<ms::StackReport>(C);
  C.def(
      "to_text",
      [](const ms::StackReport &R, const std::string &Indent) {
        return textOf(
            [&](llvm::raw_ostream &OS) { ms::writeStackText(R, OS, Indent); });
      },
      py::arg("indent") = "  ");
}

} // namespace mspy

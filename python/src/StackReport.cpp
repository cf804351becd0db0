// mapsleuth._StackReport: one stack of report/Stacks.h.
#include <llvm/Support/raw_ostream.h>

#include "Bindings.h"

namespace mspy {

void bindStackReport(py::module_ &M) {
  py::class_<ms::StackReport>(M, "_StackReport")
      .def("to_json",
           [](const ms::StackReport &R) { return jsonText(toJSON(R)); })
      .def(
          "to_text",
          [](const ms::StackReport &R, const std::string &Indent) {
            std::string S;
            llvm::raw_string_ostream OS(S);
            ms::writeStackText(R, OS, Indent);
            return OS.str();
          },
          py::arg("indent") = "  ")
      .def("to_dict",
           [](const ms::StackReport &R) { return toPython(toJSON(R)); });
}

} // namespace mspy

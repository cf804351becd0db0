// mapsleuth._InfoReport: report/Summary.h (mapsleuth.info/1).
#include <llvm/Support/raw_ostream.h>

#include "Bindings.h"

namespace mspy {

void bindInfoReport(py::module_ &M) {
  py::class_<ms::InfoReport>(M, "_InfoReport")
      .def("to_json",
           [](const ms::InfoReport &R) { return jsonText(toJSON(R)); })
      .def("to_text",
           [](const ms::InfoReport &R) {
             std::string S;
             llvm::raw_string_ostream OS(S);
             ms::writeText(R, OS);
             return OS.str();
           })
      .def("to_dict",
           [](const ms::InfoReport &R) { return toPython(toJSON(R)); });
}

} // namespace mspy

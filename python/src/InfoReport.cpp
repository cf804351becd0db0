// mapsleuth._InfoReport: report/Summary.h (mapsleuth.info/1).
#include "Bindings.h"

namespace mspy {

void bindInfoReport(py::module_ &M) {
  py::class_<ms::InfoReport> C(M, "_InfoReport");
  addJsonMethods<ms::InfoReport>(C);
  addTextMethod<ms::InfoReport>(C, "to_text", ms::writeText);
}

} // namespace mspy

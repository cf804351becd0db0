// PYBIND11_MODULE: registers every exposed type. The package
// python/mapsleuth/__init__.py is the documented entry point.
#include "Bindings.h"

PYBIND11_MODULE(_mapsleuth, M) {
  M.doc() = "mapsleuth's library: sessions over a Go core or a process held "
            "by a host, and the report models (use the mapsleuth package)";
  mspy::bindErrors(M);
  mspy::bindArch(M);
  mspy::bindInfoReport(M);
  mspy::bindStackReport(M);
  mspy::bindGoroutinesReport(M);
  mspy::bindAnalysisReport(M);
  mspy::bindSession(M);
  mspy::bindProcess(M);
}

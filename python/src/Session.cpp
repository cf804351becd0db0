// mapsleuth._Session: ms::Session (api/Session.h). The library runs with
// the GIL released; host callbacks take it back (Memory.cpp).
#include <optional>
#include <vector>

#include "Bindings.h"
#include "Memory.h"

namespace mspy {

void PySession::checkInterrupted() const {
  if (Mem && Mem->interrupted())
    Mem->reraise();
}

namespace {

// Runs F (a library call) without the GIL, then raises what the host's
// callbacks left pending or what the library returned as an error.
template <typename T, typename Fn> T call(PySession &PS, Fn F) {
  std::optional<llvm::Expected<T>> R;
  {
    py::gil_scoped_release NoGil;
    R.emplace(F());
  }
  if (PS.Mem && PS.Mem->interrupted()) {
    if (!*R)
      llvm::consumeError(R->takeError());
    PS.Mem->reraise();
  }
  return unwrap(std::move(*R));
}

} // namespace

// Registers by name (Arch::regByName) into a RegisterSet; names the
// architecture does not know are ignored.
ms::RegisterSet registersFrom(const ms::Arch &A, py::handle Regs) {
  ms::RegisterSet R;
  for (py::handle Item : Regs.attr("items")()) {
    py::tuple KV = py::reinterpret_borrow<py::tuple>(Item);
    std::string Name = py::str(KV[0]).cast<std::string>();
    auto Num = A.regByName(Name);
    if (!Num || KV[1].is_none())
      continue;
    py::int_ V(py::reinterpret_borrow<py::object>(KV[1]));
    R.set(*Num, PyLong_AsUnsignedLongLongMask(V.ptr()));
    if (PyErr_Occurred())
      throw py::error_already_set();
  }
  return R;
}

void bindSession(py::module_ &M) {
  M.def(
      "_analyze_log",
      [](const std::string &Log, std::optional<std::string> Exe, bool Force) {
        ms::CrashLogOptions O;
        O.Exe = std::move(Exe);
        O.Force = Force;
        llvm::Expected<ms::AnalysisReport> R = [&] {
          py::gil_scoped_release NoGil;
          return ms::analyzeCrashLog(Log, O);
        }();
        return unwrap(std::move(R));
      },
      py::arg("log"), py::arg("exe") = py::none(), py::arg("force") = false);
  M.def("_is_crash_log", [](const std::string &Path) {
    py::gil_scoped_release NoGil;
    return ms::isCrashLog(Path);
  });
  py::class_<PySession>(M, "_Session",
                        "One analyzed process: a core file with its "
                        "executable, or a process held by a host.")
      .def_static(
          "open_core",
          [](const std::string &Core, std::optional<std::string> Exe,
             bool Force) {
            ms::SessionOptions O;
            O.ExePath = std::move(Exe);
            O.Force = Force;
            PySession PS;
            llvm::Expected<std::unique_ptr<ms::Session>> S = [&] {
              py::gil_scoped_release NoGil;
              return ms::Session::openCore(Core, O);
            }();
            PS.S = unwrap(std::move(S));
            return PS;
          },
          py::arg("core"), py::arg("exe") = py::none(),
          py::arg("force") = false)
      .def_property_readonly(
          "arch",
          [](const PySession &PS) {
            return PS.S->target().arch().goName().str();
          })
      .def_property_readonly(
          "description",
          [](const PySession &PS) { return PS.S->target().description(); })
      .def("info",
           [](PySession &PS) {
             return call<ms::InfoReport>(
                 PS, [&]() -> llvm::Expected<ms::InfoReport> {
                   return PS.S->info();
                 });
           })
      .def(
          "goroutines",
          [](PySession &PS, bool Stacks, std::vector<int64_t> Only) {
            return call<ms::GoroutinesReport>(
                PS, [&] { return PS.S->goroutines(Stacks, Only); });
          },
          py::arg("stacks") = false, py::arg("only") = std::vector<int64_t>{})
      .def("analyze",
           [](PySession &PS) {
             return call<ms::AnalysisReport>(PS,
                                             [&] { return PS.S->analyze(); });
           })
      .def(
          "thread_stack",
          [](PySession &PS, int Tid, py::object Registers) {
            ms::RegisterSet R = registersFrom(PS.S->target().arch(), Registers);
            return call<ms::StackReport>(
                PS, [&] { return PS.S->threadStack(Tid, R); });
          },
          py::arg("tid"), py::arg("registers"));
}

} // namespace mspy

// mapsleuth._open_process: a session over a process held by a host (a
// debugger): memory through a Python callable, threads and registers as
// Python data (api/Session.h openLive, loader/Target.h LiveProcess).
//
//   threads   [{"tid": 7, "registers": {"rip": ..., "rsp": ..., ...},
//               "crashed": True, "signal": 6}, ...]
//   signal    6, or {"signo": 6, "code": -6, "addr": 0, "sender_pid": 7}
//   auxv      {9: 0x401000, ...} (AT_ENTRY gives a PIE's load bias)
//   files     [{"start":, "end":, "offset":, "path":}, ...]
#include <optional>

#include "Bindings.h"
#include "Memory.h"

namespace mspy {

namespace {

template <typename T> T item(py::handle D, const char *Key, T Default) {
  py::object O = py::reinterpret_borrow<py::object>(D);
  if (!py::bool_(O.attr("__contains__")(Key)))
    return Default;
  py::object V = O[Key];
  if (V.is_none())
    return Default;
  return V.cast<T>();
}

uint64_t u64(py::handle H) {
  py::int_ V(py::reinterpret_borrow<py::object>(H));
  uint64_t R = PyLong_AsUnsignedLongLongMask(V.ptr());
  if (PyErr_Occurred())
    throw py::error_already_set();
  return R;
}

ms::CoreThread threadFrom(const ms::Arch &A, py::handle T, size_t Index) {
  py::object O = py::reinterpret_borrow<py::object>(T);
  if (!py::bool_(O.attr("__contains__")("tid")) ||
      !py::bool_(O.attr("__contains__")("registers")))
    throw py::value_error("threads[" + std::to_string(Index) +
                          "] needs 'tid' and 'registers'");
  ms::CoreThread CT;
  CT.Tid = O["tid"].cast<int>();
  CT.Regs = registersFrom(A, O["registers"]);
  if (!CT.Regs.has(A.pcReg()) || !CT.Regs.has(A.spReg()))
    throw py::value_error("thread " + std::to_string(CT.Tid) +
                          ": registers lack " + A.regName(A.pcReg()) + " or " +
                          A.regName(A.spReg()));
  CT.Crashed = item<bool>(T, "crashed", false);
  CT.CurSig = item<int>(T, "signal", 0);
  return CT;
}

ms::CoreSignal signalFrom(py::handle S) {
  ms::CoreSignal Sig;
  if (S.is_none())
    return Sig;
  if (py::isinstance<py::int_>(S)) {
    Sig.Signo = S.cast<int>();
    return Sig;
  }
  Sig.Signo = item<int>(S, "signo", 0);
  Sig.Code = item<int>(S, "code", 0);
  Sig.Errno = item<int>(S, "errno", 0);
  py::object O = py::reinterpret_borrow<py::object>(S);
  if (py::bool_(O.attr("__contains__")("addr")) && !O["addr"].is_none())
    Sig.Addr = u64(O["addr"]);
  Sig.SenderPid = item<int>(S, "sender_pid", 0);
  Sig.FromSiginfo = true;
  return Sig;
}

PySession openProcess(const std::string &Exe, py::object ReadMemory,
                      py::iterable Threads, int Pid, py::object Signal,
                      std::optional<uint64_t> LoadBias, py::object Auxv,
                      py::object Files, std::optional<std::string> Description,
                      bool Cache) {
  if (!PyCallable_Check(ReadMemory.ptr()))
    throw py::type_error("read_memory must be callable(address, size)");
  llvm::Expected<const ms::Arch *> A = [&] {
    py::gil_scoped_release NoGil;
    return ms::Session::archOf(Exe);
  }();
  const ms::Arch &Arch = *unwrap(std::move(A));

  ms::LiveProcess LP;
  auto Mem = std::make_unique<PyMemory>(ReadMemory, Cache);
  PyMemory *MemPtr = Mem.get();
  LP.Mem = std::move(Mem);
  size_t I = 0;
  for (py::handle T : Threads)
    LP.Threads.push_back(threadFrom(Arch, T, I++));
  if (LP.Threads.empty())
    throw py::value_error("threads is empty: give at least the thread that "
                          "stopped");
  LP.Pid = Pid;
  LP.Signal = signalFrom(Signal);
  if (!LP.Signal.Signo)
    for (const auto &T : LP.Threads)
      if (T.Crashed && T.CurSig)
        LP.Signal.Signo = T.CurSig;
  LP.LoadBias = LoadBias;
  if (!Auxv.is_none())
    for (py::handle KV : Auxv.attr("items")()) {
      py::tuple P = py::reinterpret_borrow<py::tuple>(KV);
      LP.Auxv[u64(P[0])] = u64(P[1]);
    }
  if (!Files.is_none())
    for (py::handle F : Files) {
      ms::MappedFile MF;
      py::object O = py::reinterpret_borrow<py::object>(F);
      MF.Start = u64(O["start"]);
      MF.End = u64(O["end"]);
      MF.FileOffset = item<uint64_t>(F, "offset", 0);
      MF.Path = O["path"].cast<std::string>();
      LP.Files.push_back(std::move(MF));
    }
  LP.Description = Description ? *Description
                   : Pid       ? "process " + std::to_string(Pid)
                               : std::string("live process");

  PySession PS;
  PS.Mem = MemPtr;
  llvm::Expected<std::unique_ptr<ms::Session>> S = [&] {
    py::gil_scoped_release NoGil;
    return ms::Session::openLive(std::move(LP), Exe);
  }();
  // openLive consumed LP: on failure the memory is gone with it.
  if (!S) {
    PS.Mem = nullptr;
    raise(S.takeError());
  }
  PS.S = std::move(*S);
  PS.checkInterrupted();
  return PS;
}

} // namespace

void bindProcess(py::module_ &M) {
  M.def("_open_process", &openProcess, py::arg("exe"), py::arg("read_memory"),
        py::arg("threads"), py::arg("pid") = 0, py::arg("signal") = py::none(),
        py::arg("load_bias") = py::none(), py::arg("auxv") = py::none(),
        py::arg("files") = py::none(), py::arg("description") = py::none(),
        py::arg("cache") = true,
        "A session over a process held by a host (see mapsleuth.open_process).");
}

} // namespace mspy

// The Python module `mapsleuth._mapsleuth`: thin bindings over the public
// API (api/Session.h) and the report models, one file per exposed type
// (drgn style), one table mapping library errors to Python exceptions
// (Errors.cpp). The `mapsleuth` package (python/mapsleuth/) builds the
// user-facing objects on top of these.
#pragma once

#include <memory>
#include <string>

#include <llvm/Support/JSON.h>
#include <llvm/Support/raw_ostream.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "api/Session.h"
#include "report/AnalysisText.h"
#include "report/Json.h"

namespace mspy {

namespace py = pybind11;

class PyMemory;

// Errors.cpp: mapsleuth.Error and its subclasses.
void bindErrors(py::module_ &M);
// Raises the Python exception the table maps E to (never returns).
[[noreturn]] void raise(llvm::Error E);
template <typename T> T unwrap(llvm::Expected<T> V) {
  if (!V)
    raise(V.takeError());
  return std::move(*V);
}

// Json.cpp: a report's JSON as Python objects (dict, list, int, float,
// str, bool, None), numbers typed as Python's json module reads the text
// the CLI prints; and that text itself.
py::object toPython(const llvm::json::Value &V);
std::string jsonText(const llvm::json::Value &V);

// What a text writer prints (Write(OS) on an llvm::raw_ostream), as a
// string.
template <typename WriteFn> std::string textOf(WriteFn &&Write) {
  std::string S;
  llvm::raw_string_ostream OS(S);
  Write(OS);
  return OS.str();
}

// A report class's JSON methods: to_json (the text the CLI prints, without
// its final newline) and to_dict (that JSON as Python objects).
template <typename Report, typename Class>
Class &addJsonMethods(Class &C, const char *JsonDoc = "") {
  C.def(
      "to_json", [](const Report &R) { return jsonText(toJSON(R)); },
      JsonDoc);
  C.def("to_dict", [](const Report &R) { return toPython(toJSON(R)); });
  return C;
}

// A method Name returning what Write(R, OS) prints.
template <typename Report, typename Class>
Class &addTextMethod(Class &C, const char *Name,
                     void (*Write)(const Report &, llvm::raw_ostream &),
                     const char *Doc = "") {
  C.def(
      Name,
      [Write](const Report &R) {
        return textOf([&](llvm::raw_ostream &OS) { Write(R, OS); });
      },
      Doc);
  return C;
}

// One analyzed process (Session.cpp). Mem is the host's memory when the
// session reads through Python callbacks (owned by the session's target).
struct PySession {
  std::unique_ptr<ms::Session> S;
  PyMemory *Mem = nullptr;
  // Re-raises an exception the host's callback raised that must not be
  // swallowed as unreadable memory (KeyboardInterrupt).
  void checkInterrupted() const;
};

// Registers given by name ({"rip": ..., "rsp": ...}, any mapping; values
// anything int() accepts, taken modulo 2**64) by DWARF number; names the
// architecture does not know are ignored.
ms::RegisterSet registersFrom(const ms::Arch &A, py::handle Regs);

void bindSession(py::module_ &M);
void bindProcess(py::module_ &M);     // Process.cpp: open_process
void bindAnalysisReport(py::module_ &M);
void bindGoroutinesReport(py::module_ &M);
void bindInfoReport(py::module_ &M);
void bindStackReport(py::module_ &M);
void bindArch(py::module_ &M);        // Arch.cpp: register names

} // namespace mspy

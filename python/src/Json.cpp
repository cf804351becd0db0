// Report JSON (llvm::json) to Python objects without going through text,
// except for numbers: those are printed as the CLI prints them and typed
// as Python's json module would read that text (integers exact, of any
// size; a number with a fraction or an exponent a float). So to_dict()
// equals json.loads(to_json()).
#include "Bindings.h"

#include <algorithm>

#include <llvm/Support/FormatVariadic.h>
#include <llvm/Support/raw_ostream.h>

namespace mspy {

std::string jsonText(const llvm::json::Value &V) {
  return llvm::formatv("{0:2}", V).str();
}

py::object toPython(const llvm::json::Value &V) {
  using llvm::json::Value;
  switch (V.kind()) {
  case Value::Null:
    return py::none();
  case Value::Boolean:
    return py::bool_(*V.getAsBoolean());
  case Value::Number: {
    std::string S;
    llvm::raw_string_ostream OS(S);
    OS << V;
    OS.flush();
    bool Float = S.find_first_of(".eEin") != std::string::npos;
    py::str Text(S);
    PyObject *N = Float ? PyFloat_FromString(Text.ptr())
                        : PyLong_FromString(S.c_str(), nullptr, 10);
    if (!N)
      throw py::error_already_set();
    return py::reinterpret_steal<py::object>(N);
  }
  case Value::String:
    return py::str(V.getAsString()->str());
  case Value::Array: {
    py::list L;
    for (const Value &E : *V.getAsArray())
      L.append(toPython(E));
    return L;
  }
  case Value::Object: {
    const llvm::json::Object &O = *V.getAsObject();
    std::vector<std::string> Keys;
    for (const auto &KV : O)
      Keys.push_back(KV.first.str());
    std::sort(Keys.begin(), Keys.end());
    py::dict D;
    for (const auto &K : Keys)
      D[py::str(K)] = toPython(*O.get(K));
    return D;
  }
  }
  return py::none();
}

} // namespace mspy

// The one table from library errors to Python exceptions:
//
//   ErrorDescription::Kind   Python exception        extra attributes
//   Input                    mapsleuth.InputError    file
//   Memory                   mapsleuth.MemoryFault   address, size
//   Other                    mapsleuth.Error
//
// All derive from mapsleuth.Error (itself an Exception), so
// `except mapsleuth.Error` catches every failure of the library.
#include "Bindings.h"

namespace mspy {

namespace {

struct Entry {
  ms::ErrorDescription::Kind Kind;
  const char *Name;
  const char *Doc;
  PyObject *Type = nullptr; // set by bindErrors
};

Entry Table[] = {
    {ms::ErrorDescription::Kind::Other, "Error",
     "Any failure of mapsleuth (base class of the others)."},
    {ms::ErrorDescription::Kind::Input, "InputError",
     "Bad input: not a core file, not a Go executable, an executable that "
     "does not match the core... `file` names the file at fault."},
    {ms::ErrorDescription::Kind::Memory, "MemoryFault",
     "Memory the target does not provide (not in the core, unreadable in "
     "the process). `address` and `size` give the range."},
};

PyObject *typeFor(ms::ErrorDescription::Kind K) {
  for (const Entry &E : Table)
    if (E.Kind == K)
      return E.Type;
  return Table[0].Type;
}

} // namespace

void bindErrors(py::module_ &M) {
  PyObject *Base = nullptr;
  for (Entry &E : Table) {
    std::string Qual = std::string("mapsleuth.") + E.Name;
    PyObject *T = PyErr_NewExceptionWithDoc(
        Qual.c_str(), E.Doc, Base ? Base : PyExc_Exception, nullptr);
    if (!T)
      throw py::error_already_set();
    E.Type = T; // the module keeps the reference for the process lifetime
    M.add_object(E.Name, py::handle(T));
    if (!Base)
      Base = T;
  }
}

void raise(llvm::Error E) {
  ms::ErrorDescription D = ms::describeError(std::move(E));
  py::object Exc = py::reinterpret_borrow<py::object>(typeFor(D.K))(D.Message);
  switch (D.K) {
  case ms::ErrorDescription::Kind::Input:
    Exc.attr("file") = D.File;
    break;
  case ms::ErrorDescription::Kind::Memory:
    Exc.attr("address") = D.Address;
    Exc.attr("size") = D.Size;
    break;
  case ms::ErrorDescription::Kind::Other:
    break;
  }
  PyErr_SetObject(reinterpret_cast<PyObject *>(Py_TYPE(Exc.ptr())), Exc.ptr());
  throw py::error_already_set();
}

} // namespace mspy

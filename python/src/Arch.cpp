// mapsleuth.register_names / register_number: how the library names the
// registers a host hands over (arch/Arch.h), by GOARCH name.
#include "Bindings.h"

namespace mspy {

namespace {
const ms::Arch &archNamed(const std::string &Name) {
  const ms::Arch *A = ms::archForGoName(Name);
  if (!A)
    throw py::value_error("unknown architecture '" + Name +
                          "' (amd64 or arm64)");
  return *A;
}
} // namespace

void bindArch(py::module_ &M) {
  M.def(
      "register_names",
      [](const std::string &Arch) { return archNamed(Arch).wantedRegNames(); },
      py::arg("arch") = "amd64",
      "Names of the registers to give for each thread (debugger spelling).");
  M.def(
      "register_number",
      [](const std::string &Arch, const std::string &Name) -> py::object {
        if (auto N = archNamed(Arch).regByName(Name))
          return py::int_(*N);
        return py::none();
      },
      py::arg("arch"), py::arg("name"),
      "The DWARF number of a register name, or None.");
}

} // namespace mspy

#include "Memory.h"

#include <algorithm>
#include <cstring>

namespace mspy {

PyMemory::~PyMemory() {
  // Dropping the callable and a pending exception touches Python objects.
  py::gil_scoped_acquire G;
  Pending.reset();
  Fn = py::object();
}

void PyMemory::reraise() const {
  std::unique_ptr<py::error_already_set> E = std::move(Pending);
  E->restore();
  throw py::error_already_set();
}

bool PyMemory::fetch(uint64_t Addr, uint64_t Size, uint8_t *Out,
                     std::string &Why) const {
  if (Pending) {
    Why = "interrupted";
    return false;
  }
  if (Addr + Size < Addr) {
    Why = "range wraps around the address space";
    return false;
  }
  py::object R;
  try {
    R = Fn(Addr, Size);
  } catch (py::error_already_set &E) {
    if (!E.matches(PyExc_Exception)) {
      Pending = std::make_unique<py::error_already_set>(std::move(E));
      Why = "interrupted";
      return false;
    }
    Why = "read_memory raised " +
          py::str(E.type().attr("__name__")).cast<std::string>();
    std::string Msg = py::str(E.value()).cast<std::string>();
    if (!Msg.empty())
      Why += " (" + Msg + ")";
    return false;
  }
  if (R.is_none()) {
    Why = "read_memory returned None";
    return false;
  }
  Py_buffer View;
  if (PyObject_GetBuffer(R.ptr(), &View, PyBUF_SIMPLE) != 0) {
    PyErr_Clear();
    Why = std::string("read_memory returned a ") +
          Py_TYPE(R.ptr())->tp_name + ", not bytes";
    return false;
  }
  uint64_t Got = static_cast<uint64_t>(View.len);
  if (Got < Size) {
    PyBuffer_Release(&View);
    Why = "read_memory returned " + std::to_string(Got) + " of " +
          std::to_string(Size) + " bytes";
    return false;
  }
  std::memcpy(Out, View.buf, Size);
  PyBuffer_Release(&View);
  return true;
}

const PyMemory::Page *PyMemory::page(uint64_t PageAddr, uint64_t Count) const {
  if (auto It = Pages.find(PageAddr); It != Pages.end())
    return It->second.get();
  if (PartialPages.count(PageAddr))
    return nullptr;
  // Fetch the run of missing pages starting here in one call.
  uint64_t Run = 1;
  while (Run < Count && !Pages.count(PageAddr + Run * PageSize) &&
         !PartialPages.count(PageAddr + Run * PageSize) &&
         PageAddr + Run * PageSize > PageAddr)
    ++Run;
  std::string Why;
  if (Run > 1) {
    std::vector<uint8_t> Buf(Run * PageSize);
    if (fetch(PageAddr, Buf.size(), Buf.data(), Why)) {
      for (uint64_t I = 0; I < Run; ++I) {
        auto P = std::make_unique<Page>();
        std::memcpy(P->data(), Buf.data() + I * PageSize, PageSize);
        Pages.emplace(PageAddr + I * PageSize, std::move(P));
      }
      return Pages[PageAddr].get();
    }
    if (Pending)
      return nullptr;
  }
  auto P = std::make_unique<Page>();
  if (!fetch(PageAddr, PageSize, P->data(), Why)) {
    if (!Pending)
      PartialPages.insert(PageAddr);
    return nullptr;
  }
  const Page *Raw = P.get();
  Pages.emplace(PageAddr, std::move(P));
  return Raw;
}

llvm::Error PyMemory::read(uint64_t Addr,
                           llvm::MutableArrayRef<uint8_t> Out) const {
  py::gil_scoped_acquire G;
  std::string Why;
  if (!Cache) {
    if (Out.empty() || fetch(Addr, Out.size(), Out.data(), Why))
      return llvm::Error::success();
    return llvm::make_error<ms::MemoryFault>(Addr, Out.size(), Why);
  }
  uint64_t Cur = Addr;
  size_t Done = 0;
  while (Done < Out.size()) {
    uint64_t PA = Cur & ~(PageSize - 1);
    uint64_t Off = Cur - PA;
    size_t Len = static_cast<size_t>(
        std::min<uint64_t>(PageSize - Off, Out.size() - Done));
    uint64_t Remaining = Out.size() - Done;
    uint64_t PagesLeft = (Off + Remaining + PageSize - 1) / PageSize;
    if (const Page *P = page(PA, PagesLeft)) {
      std::memcpy(Out.data() + Done, P->data() + Off, Len);
    } else if (!fetch(Cur, Len, Out.data() + Done, Why)) {
      return llvm::make_error<ms::MemoryFault>(Cur, Remaining, Why);
    }
    Done += Len;
    Cur += Len;
  }
  return llvm::Error::success();
}

llvm::ArrayRef<uint8_t> PyMemory::view(uint64_t Addr, uint64_t Size) const {
  if (!Cache || Size == 0)
    return {};
  uint64_t PA = Addr & ~(PageSize - 1);
  if (Addr - PA + Size > PageSize)
    return {};
  py::gil_scoped_acquire G;
  const Page *P = page(PA);
  if (!P)
    return {};
  return llvm::ArrayRef<uint8_t>(P->data() + (Addr - PA), Size);
}

} // namespace mspy

// The host's memory as a ms::Memory: every read calls a Python callable
// read_memory(address, size) that returns the bytes (any buffer: bytes,
// bytearray, memoryview) or None. None, fewer bytes than asked, or an
// exception mean the memory is unreadable: the read fails with a
// MemoryFault naming the address, never zeros.
//
// Reads are cached by 4 KiB page (the host's process must stay stopped
// while the session is used); a page that cannot be read as a whole is
// read exactly as asked. The GIL is taken for every call, so the library
// may run with it released. An exception that is not an Exception
// (KeyboardInterrupt) makes every later read fail and is re-raised when
// the library returns (PySession::checkInterrupted).
#pragma once

#include <array>
#include <map>
#include <memory>
#include <set>

#include "Bindings.h"
#include "support/Memory.h"

namespace mspy {

class PyMemory final : public ms::Memory {
public:
  PyMemory(py::object ReadFn, bool Cache)
      : Fn(std::move(ReadFn)), Cache(Cache) {}
  ~PyMemory() override;

  llvm::Error read(uint64_t Addr,
                   llvm::MutableArrayRef<uint8_t> Out) const override;
  llvm::ArrayRef<uint8_t> view(uint64_t Addr, uint64_t Size) const override;

  // The pending BaseException, if the callback raised one (GIL held).
  bool interrupted() const { return Pending != nullptr; }
  [[noreturn]] void reraise() const;

  static constexpr uint64_t PageSize = 4096;

private:
  using Page = std::array<uint8_t, PageSize>;
  // Calls the callable for [Addr, Addr+Size) into Out (GIL held). False
  // with Why set when it gives no bytes.
  bool fetch(uint64_t Addr, uint64_t Size, uint8_t *Out, std::string &Why) const;
  // The cached page at PageAddr, fetching it (and the following missing
  // pages up to Count in one call) when needed; nullptr when unreadable
  // as a whole page.
  const Page *page(uint64_t PageAddr, uint64_t Count = 1) const;

  py::object Fn;
  bool Cache;
  mutable std::map<uint64_t, std::unique_ptr<Page>> Pages;
  mutable std::set<uint64_t> PartialPages; // whole-page read failed
  mutable std::unique_ptr<py::error_already_set> Pending;
};

} // namespace mspy

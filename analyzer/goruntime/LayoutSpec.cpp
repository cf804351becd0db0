#include "goruntime/LayoutSpec.h"

namespace ms {

const std::vector<const char *> &layoutSpecStructs() {
  static const std::vector<const char *> S = {
      // goroutines, threads, processors, the scheduler
      "runtime.g", "runtime.gobuf", "runtime.stack", "runtime.m",
      "runtime.mOS", "runtime.p", "runtime.schedt", "runtime.libcall",
      "runtime.gsignalStack", "runtime.sudog", "runtime.waitq",
      "runtime.hchan", "runtime.timer", "runtime.ancestorInfo",
      "runtime._panic", "runtime._defer", "runtime.funcval",
      "runtime.stkframe",
      // the heap: which object holds an address
      "runtime.mheap", "runtime.heapArena", "runtime.mspan", "runtime.mcache",
      // signals (linux)
      "runtime.sigctxt", "runtime.ucontext", "runtime.sigcontext",
      "runtime.mcontext", "runtime.stackt", "runtime.siginfo",
      // values
      "runtime.eface", "runtime.iface", "runtime.slice",
      "runtime.stringStruct",
      // classic maps (go1.19 - go1.25 noswissmap)
      "runtime.hmap", "runtime.mapextra", "runtime.bmap", "runtime.hiter",
      // swiss maps (go1.24+)
      "internal/runtime/maps.Map", "internal/runtime/maps.table",
      "internal/runtime/maps.groupsReference",
      "internal/runtime/maps.groupReference", "internal/runtime/maps.Iter",
      "internal/runtime/maps.probeSeq",
      // type descriptors
      "runtime._type", "internal/abi.Type", "runtime.maptype",
      "internal/abi.MapType", "internal/abi.OldMapType",
      "internal/abi.SwissMapType", "runtime.structtype",
      "internal/abi.StructType", "runtime.structfield",
      "internal/abi.StructField", "runtime.interfacetype",
      "internal/abi.InterfaceType", "runtime.imethod", "internal/abi.Imethod",
      "runtime.itab", "internal/abi.ITab", "runtime.uncommontype",
      "internal/abi.UncommonType", "runtime.ptrtype", "internal/abi.PtrType",
      "runtime.slicetype", "internal/abi.SliceType", "runtime.arraytype",
      "internal/abi.ArrayType", "runtime.chantype", "internal/abi.ChanType",
      "runtime.functype", "internal/abi.FuncType", "runtime.name",
      "internal/abi.Name",
      // symbol tables
      "runtime.moduledata", "runtime.pcHeader", "runtime.functab",
      "runtime.textsect", "runtime._func", "runtime.funcinl",
      "runtime.inlinedCall", "runtime.funcInfo", "runtime.bitvector",
  };
  return S;
}

const std::vector<const char *> &layoutSpecGlobals() {
  static const std::vector<const char *> G = {
      "runtime.allgs", "runtime.allglen", "runtime.allglock",
      "runtime.allm", "runtime.allp", "runtime.allpLock", "runtime.sched",
      "runtime.m0", "runtime.g0", "runtime.gomaxprocs", "runtime.ncpu",
      "runtime.firstmoduledata", "runtime.lastmoduledatap",
      "runtime.modulesSlice", "runtime.buildVersion", "runtime.modinfo",
      "runtime.waitReasonStrings", "runtime.panicking",
      "runtime.runningPanicDefers", "runtime.mainStarted",
      "runtime.worldsema", "runtime.iscgo", "runtime.isarchive",
      "runtime.islibrary", "runtime.extraM", "runtime.extraMCount",
      "runtime.itabTable", "runtime.physPageSize", "runtime.startingStackSize",
      "runtime.runtimeInitTime", "runtime.zerobase", "runtime.debug",
      "runtime.faketime", "runtime.crashing", "runtime.signalsOK",
      "runtime.cgoHasExtraM", "runtime.newprocs", "runtime.sigtable",
      "runtime.mheap_",
  };
  return G;
}

} // namespace ms

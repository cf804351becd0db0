#include "mapfault/MapKeys.h"

#include <algorithm>
#include <cstring>

#include "goruntime/GoProgram.h"
#include "support/ByteReader.h"

namespace ms {

using namespace llvm;

DecodeLimits keyDecodeLimits() {
  DecodeLimits L;
  L.MaxStringBytes = 1 << 16;
  L.MaxElements = 1 << 12;
  L.MaxDepth = 16;
  L.MaxNodes = 1 << 16;
  return L;
}

StringRef verdictName(KeyLookup::Verdict V) {
  switch (V) {
  case KeyLookup::Verdict::Present:
    return "present";
  case KeyLookup::Verdict::Absent:
    return "absent";
  case KeyLookup::Verdict::Unknown:
    return "unknown";
  }
  return "unknown";
}

namespace {

KeyEq both(KeyEq A, KeyEq B) {
  if (A == KeyEq::NotEqual || B == KeyEq::NotEqual)
    return KeyEq::NotEqual;
  if (A == KeyEq::Unknown || B == KeyEq::Unknown)
    return KeyEq::Unknown;
  return KeyEq::Equal;
}
KeyEq of(bool B) { return B ? KeyEq::Equal : KeyEq::NotEqual; }

KeyEq equal(const GoValue &A, const GoValue &B, unsigned Depth) {
  using VK = GoValue::VKind;
  if (Depth > 32 || A.isError() || B.isError() || A.VK == VK::TooDeep ||
      B.VK == VK::TooDeep)
    return KeyEq::Unknown;
  if (A.VK != B.VK)
    return KeyEq::Unknown; // not values of one type
  switch (A.VK) {
  case VK::Bool:
    return of(A.B == B.B);
  case VK::Int:
    return of(A.I == B.I);
  case VK::Uint:
    return of(A.U == B.U);
  case VK::Float:
    return of(A.F == B.F); // NaN != NaN, +0 == -0
  case VK::Complex:
    return of(A.F == B.F && A.Imag == B.Imag);
  case VK::String: {
    if (A.Len != B.Len)
      return KeyEq::NotEqual;
    size_t N = std::min(A.Str.size(), B.Str.size());
    if (A.Str.compare(0, N, B.Str, 0, N) != 0)
      return KeyEq::NotEqual;
    if (A.Truncated || B.Truncated || A.Str.size() != A.Len ||
        B.Str.size() != B.Len)
      return KeyEq::Unknown;
    return KeyEq::Equal;
  }
  case VK::Pointer:
  case VK::Chan:
  case VK::Map:
  case VK::Func:
    return of(A.Ptr == B.Ptr);
  case VK::Array:
  case VK::Slice: {
    if (A.Len != B.Len)
      return KeyEq::NotEqual;
    KeyEq R = KeyEq::Equal;
    size_t N = std::min(A.Elems.size(), B.Elems.size());
    for (size_t I = 0; I < N && R != KeyEq::NotEqual; ++I)
      R = both(R, equal(A.Elems[I], B.Elems[I], Depth + 1));
    if (R == KeyEq::Equal && (N != A.Len || A.Truncated || B.Truncated))
      R = KeyEq::Unknown;
    return R;
  }
  case VK::Struct: {
    if (A.Fields.size() != B.Fields.size())
      return KeyEq::Unknown;
    KeyEq R = KeyEq::Equal;
    for (size_t I = 0; I < A.Fields.size() && R != KeyEq::NotEqual; ++I) {
      if (A.Fields[I].Name == "_")
        continue;
      if (!A.Fields[I].Value || !B.Fields[I].Value)
        return KeyEq::Unknown;
      R = both(R, equal(*A.Fields[I].Value, *B.Fields[I].Value, Depth + 1));
    }
    return R;
  }
  case VK::Interface: {
    if (!A.DynType || !B.DynType)
      return of(!A.DynType && !B.DynType);
    if (A.DynType->Addr != B.DynType->Addr)
      return KeyEq::NotEqual;
    if (A.DynType->DirectIface)
      return of(A.Ptr == B.Ptr);
    if (!A.Dynamic || !B.Dynamic || !A.DynType->Equal)
      return KeyEq::Unknown; // Go would panic on an uncomparable type
    return equal(*A.Dynamic, *B.Dynamic, Depth + 1);
  }
  case VK::Error:
  case VK::TooDeep:
    break;
  }
  return KeyEq::Unknown;
}

GoValue decodeAt(const MapReader &R, const TypeInfo &T, uint64_t Addr,
                 const DecodeLimits &L) {
  if (Addr == 0) {
    GoValue V;
    V.VK = GoValue::VKind::Error;
    V.Type = &T;
    V.ErrorText = "nil pointer in an indirect slot";
    return V;
  }
  return decodeValue(R.types(), T, Addr, L);
}

} // namespace

KeyEq goKeyEqual(const GoValue &A, const GoValue &B) { return equal(A, B, 0); }

// ---- homes ------------------------------------------------------------------------

Expected<KeyHome> keyHome(const MapReader &R, const MapState &S,
                          const GoValue &Key) {
  if (S.Nil || !S.Type)
    return makeError("nil map");
  auto H = R.hasher(*S.Type);
  if (!H)
    return H.takeError();
  uint64_t Seed = S.Classic ? S.Classic->Hash0 : S.Swiss ? S.Swiss->Seed : 0;
  auto Hash = (*H)->hash(Key, Seed);
  if (!Hash)
    return Hash.takeError();
  KeyHome K;
  K.Hash = *Hash;
  K.Hasher = (*H)->description();
  K.HashAlgorithm = hashAlgoName((*H)->algo());
  if (auto HK = R.hashKeys())
    K.KeysSource = (*HK)->Source;
  else
    consumeError(HK.takeError());
  if (S.Classic) {
    const ClassicHeader &C = *S.Classic;
    const uint64_t BS = S.mapInfo().BucketSize;
    K.Tag = classicTopHash(K.Hash);
    if (C.B >= 64)
      return makeError("hmap B = {0}", unsigned(C.B));
    K.Bucket = K.Hash & ((1ull << C.B) - 1);
    K.BucketAddr = C.Buckets + K.Bucket * BS;
    if (S.Growth && S.Growth->Growing && S.Growth->OldBucketCount) {
      K.Growing = true;
      K.OldBucket = K.Hash & (S.Growth->OldBucketCount - 1);
      K.OldBucketAddr = C.OldBuckets + K.OldBucket * BS;
      K.InOld = K.OldBucket < S.Growth->OldEvacuated.size() &&
                !S.Growth->OldEvacuated[K.OldBucket];
    }
    return K;
  }
  const SwissHeader &W = *S.Swiss;
  K.Tag = swissH2(K.Hash);
  if (W.DirLen == 0) {
    K.Small = true;
    return K;
  }
  K.DirIndex = W.DirLen == 1 ? 0 : K.Hash >> (W.GlobalShift & 63);
  if (K.DirIndex >= S.Directory.size())
    return makeError("directory index {0} outside the {1} entries read",
                     K.DirIndex, S.Directory.size());
  K.TableAddr = S.Directory[K.DirIndex];
  for (size_t I = 0; I < S.Tables.size(); ++I)
    if (S.Tables[I].Addr == K.TableAddr)
      K.Table = static_cast<int32_t>(I);
  if (K.Table < 0)
    return K; // table not walked: no probe sequence
  const SwissTable &T = S.Tables[K.Table];
  uint64_t Mask = T.LengthMask;
  if (T.Ctrl.empty() || Mask + 1 != T.Ctrl.size())
    return K;
  uint64_t Off = swissH1(K.Hash) & Mask;
  for (uint64_t I = 0; I <= Mask; ++I) {
    if (!T.CtrlRead[Off]) {
      K.ProbeUnread = true; // the walk did not read this group
      break;
    }
    K.Probe.push_back(Off);
    uint64_t C = T.Ctrl[Off];
    bool HasEmpty = false;
    for (unsigned J = 0; J < 8; ++J)
      HasEmpty |= static_cast<uint8_t>(C >> (8 * J)) == 0x80;
    if (HasEmpty) {
      K.ProbeComplete = true;
      break;
    }
    Off = (Off + I + 1) & Mask;
  }
  return K;
}

std::string homeMismatch(const MapState &S, const MapEntry &E,
                         const KeyHome &H) {
  if (E.Tag != H.Tag)
    return "tag " + hex(E.Tag) + " but the hash gives " + hex(H.Tag);
  if (S.Classic) {
    if (E.InOld) {
      if (!H.Growing)
        return "in old buckets but the map is not growing";
      if (E.Bucket != H.OldBucket)
        return "in old bucket " + std::to_string(E.Bucket) +
               " but the hash gives old bucket " + std::to_string(H.OldBucket);
      return {};
    }
    if (E.Bucket != H.Bucket)
      return "in bucket " + std::to_string(E.Bucket) +
             " but the hash gives bucket " + std::to_string(H.Bucket);
    if (H.InOld)
      return "in bucket " + std::to_string(E.Bucket) + " but old bucket " +
             std::to_string(H.OldBucket) +
             " is not evacuated yet: lookups search the old one";
    return {};
  }
  if (H.Small)
    return E.Table == -1 ? std::string() : "small map entry with a table";
  if (E.Table != H.Table)
    return "in table " + std::to_string(E.Table) + " but directory entry " +
           std::to_string(H.DirIndex) + " points to table " +
           std::to_string(H.Table);
  auto It = std::find(H.Probe.begin(), H.Probe.end(), E.Bucket);
  if (It == H.Probe.end() && !H.ProbeUnread)
    return "in group " + std::to_string(E.Bucket) +
           ", not on the probe sequence before the first group with an "
           "empty slot";
  return {};
}

// ---- lookups ------------------------------------------------------------------------

namespace {
// Go's == on the raw bytes of an entry's key (see keyMayEqualFilter).
std::function<bool(const MapEntry &)>
contentFilter(const MapReader &R, const TypeInfo &KT, const GoValue &Key) {
  using VK = GoValue::VKind;
  if (Key.hasErrors() || Key.Truncated || (Key.Type && Key.Type->K != KT.K))
    return {};
  const Memory &M = R.memory();
  if (KT.K == Kind::String) {
    if (Key.VK != VK::String || Key.Str.size() != Key.Len)
      return {};
    return [&M, Want = Key.Str](const MapEntry &E) {
      const ByteReader Header(M.view(E.KeyAddr, 16));
      const auto Data = Header.u64(0), Len = Header.u64(8);
      if (!Data || !Len)
        return true;
      if (*Len != Want.size())
        return false; // strings of different lengths are never equal
      if (*Len == 0)
        return true;
      ArrayRef<uint8_t> Bytes = M.view(*Data, *Len);
      return Bytes.size() != *Len ||
             std::memcmp(Bytes.data(), Want.data(), *Len) == 0;
    };
  }
  // Kinds whose == is equality of all their bytes.
  std::optional<uint64_t> Bits;
  if (isSignedKind(KT.K) && Key.VK == VK::Int)
    Bits = static_cast<uint64_t>(Key.I);
  else if (isIntegerKind(KT.K) && !isSignedKind(KT.K) && Key.VK == VK::Uint)
    Bits = Key.U;
  else if (KT.K == Kind::Bool && Key.VK == VK::Bool)
    Bits = Key.B ? 1 : 0;
  else if ((KT.K == Kind::Pointer || KT.K == Kind::UnsafePointer) &&
           Key.VK == VK::Pointer)
    Bits = Key.Ptr;
  else if (KT.K == Kind::Chan && Key.VK == VK::Chan)
    Bits = Key.Ptr;
  const uint64_t Size = KT.Size;
  if (!Bits || Size == 0 || Size > 8)
    return {};
  const uint64_t Want = Size == 8 ? *Bits : *Bits & ((1ull << (8 * Size)) - 1);
  return [&M, Want, Size](const MapEntry &E) {
    const auto Bits = ByteReader(M.view(E.KeyAddr, Size)).uint(0, Size);
    return !Bits || *Bits == Want;
  };
}

// The key's hash tag and home, for leaving out entries on their tag.
struct TagGate {
  bool Tried = false, Usable = false;
  uint64_t Hash = 0;
  uint8_t Tag = 0;
  unsigned B = 0;         // classic
  uint64_t HomeTable = 0; // swiss (0: a small map, one group)

  // Whether E sits where a lookup of the key looks, or where its writer
  // may have been writing: classic, its bucket in the current array or in
  // the old one (half the size, or the same size for a same-size grow);
  // swiss, its table.
  bool home(const MapEntry &E, const MapState &S) const {
    if (S.Classic) {
      const uint64_t Mask = (uint64_t(1) << B) - 1;
      return E.Bucket == (Hash & Mask) ||
             (E.InOld && E.Bucket == (Hash & (Mask >> 1)));
    }
    if (HomeTable == 0 || E.Table < 0 ||
        static_cast<size_t>(E.Table) >= S.Tables.size())
      return true;
    return S.Tables[E.Table].Addr == HomeTable;
  }
};

// The gate for Key in the map walked so far, or why there is none: the
// hash must be computable and give the entries kept so far (at least 4)
// the tags their slots hold.
Expected<TagGate> makeTagGate(const MapReader &R, const MapState &S,
                              const GoValue &Key) {
  if (!S.Type || !S.Type->Key || (!S.Classic && !S.Swiss))
    return makeError("no map header");
  auto H = R.hasher(*S.Type);
  if (!H)
    return H.takeError();
  const uint64_t Seed = S.Classic ? S.Classic->Hash0 : S.Swiss->Seed;
  auto TagOf = [&](uint64_t Hash) {
    return S.Classic ? classicTopHash(Hash) : swissH2(Hash);
  };
  unsigned Checked = 0;
  for (const MapEntry &E : S.Entries) {
    if (Checked == 8)
      break;
    GoValue K = decodeAt(R, *S.Type->Key, E.KeyAddr, keyDecodeLimits());
    auto Hash = (*H)->hash(K, Seed);
    if (!Hash)
      return Hash.takeError();
    if (TagOf(*Hash) != E.Tag)
      return makeError("the hash gives the key at {0} the tag {1}; its "
                       "slot holds {2}",
                       hex(E.KeyAddr), hex(TagOf(*Hash)), hex(E.Tag));
    ++Checked;
  }
  if (Checked < 4)
    return makeError("{0} entries to check the hash on (4 needed)", Checked);
  auto Hash = (*H)->hash(Key, Seed);
  if (!Hash)
    return Hash.takeError();
  TagGate G;
  G.Hash = *Hash;
  G.Tag = TagOf(*Hash);
  if (S.Classic) {
    G.B = S.Classic->B;
    if (G.B >= 64)
      return makeError("hmap B = {0}", G.B);
  } else if (S.Swiss->DirLen > 0) {
    const uint64_t Dir =
        S.Swiss->DirLen == 1 ? 0 : *Hash >> (S.Swiss->GlobalShift & 63);
    if (Dir >= S.Directory.size() || S.Directory[Dir] == 0)
      return makeError("directory index {0} not read", Dir);
    G.HomeTable = S.Directory[Dir];
  }
  G.Tried = G.Usable = true;
  return G;
}
} // namespace

std::function<bool(const MapEntry &, const MapState &)>
keyMayEqualFilter(const MapReader &R, const TypeInfo &KT, const GoValue &Key,
                  KeyFilterStats *Stats) {
  auto Content = contentFilter(R, KT, Key);
  if (!Content)
    return {};
  // Decided on the first call, when the header and the first entries kept
  // are known.
  auto Gate = std::make_shared<TagGate>();
  return [&R, Key, Content = std::move(Content), Gate,
          Stats](const MapEntry &E, const MapState &S) {
    if (!Gate->Tried) {
      auto G = makeTagGate(R, S, Key);
      if (G)
        *Gate = *G;
      else if (Stats)
        Stats->NoHashGate = errorText(G.takeError());
      else
        consumeError(G.takeError()); // a probe: without it, every key is read
      Gate->Tried = true;
      if (Stats)
        Stats->HashGate = Gate->Usable;
    }
    if (Gate->Usable && E.Tag != Gate->Tag && !Gate->home(E, S)) {
      if (Stats)
        ++Stats->ByTag;
      return false;
    }
    if (!Content(E)) {
      if (Stats)
        ++Stats->ByContent;
      return false;
    }
    return true;
  };
}

namespace {
// A home is only as good as the hash: before reporting one, the same hash
// must put most of a sample of the map's own keys where they are. An
// error when it does not (wrong algorithm, key or seed: no home then).
Error checkHashPlacesKeys(const MapReader &R, const MapState &S) {
  if (!S.Type || !S.Type->Key)
    return Error::success();
  unsigned Hashed = 0, AtHome = 0;
  std::string First;
  for (const MapEntry &E : S.Entries) {
    if (Hashed == 8)
      break;
    GoValue K = decodeAt(R, *S.Type->Key, E.KeyAddr, keyDecodeLimits());
    auto H = keyHome(R, S, K);
    if (!H) {
      consumeError(H.takeError());
      continue;
    }
    ++Hashed;
    std::string Why = homeMismatch(S, E, *H);
    if (Why.empty())
      ++AtHome;
    else if (First.empty())
      First = Why;
  }
  if (Hashed && AtHome * 2 <= Hashed)
    return makeError("the hash puts only {0} of {1} sampled keys of the map "
                     "where they are (first: {2}): it is not the hash this "
                     "process used",
                     AtHome, Hashed, First);
  return Error::success();
}
} // namespace

Expected<KeyLookup> findKey(const MapReader &R, const MapState &S,
                            const GoValue &Key, const KeyLookupOptions &O) {
  if (!S.Type || !S.Type->Key || !S.Type->Elem)
    return makeError("map state without a map type");
  KeyLookup L;
  if (S.Nil) {
    // A nil map holds nothing; lookups give the zero value.
    L.Result = KeyLookup::Verdict::Absent;
    L.HomeError = "nil map";
    return L;
  }
  const TypeInfo &KT = *S.Type->Key, &ET = *S.Type->Elem;
  if (Key.isError())
    L.Warn.addf("the key itself is unreadable: {0}", Key.ErrorText);
  // Entries a keyMayEqualFilter left out of the walk differ from the key.
  L.Compared = S.EntriesDropped;
  for (size_t I = 0; I < S.Entries.size(); ++I) {
    const MapEntry &E = S.Entries[I];
    GoValue K = decodeAt(R, KT, E.KeyAddr, O.Decode);
    KeyEq Eq = goKeyEqual(Key, K);
    ++L.Compared;
    if (Eq == KeyEq::Unknown) {
      ++L.Undecided;
      continue;
    }
    if (Eq == KeyEq::NotEqual)
      continue;
    KeyMatch M;
    M.Entry = I;
    M.Key = std::move(K);
    if (O.DecodeElem)
      M.Elem = decodeAt(R, ET, E.ElemAddr, O.Decode);
    L.Matches.push_back(std::move(M));
  }
  if (!L.Matches.empty())
    L.Result = KeyLookup::Verdict::Present;
  else if (!S.Partial && L.Undecided == 0 &&
           S.Entries.size() + S.EntriesDropped == S.EntriesFound &&
           !Key.hasErrors())
    L.Result = KeyLookup::Verdict::Absent;
  if (L.Matches.size() > 1)
    L.Warn.addf("the key is in the map {0} times (duplicate entries: damage)",
                L.Matches.size());
  if (L.Undecided)
    L.Warn.addf("{0} entries could not be compared (unreadable keys)",
                L.Undecided);
  if (S.Partial && L.Matches.empty())
    L.Warn.add("the walk of the map was partial: absence is not certain");
  if (O.ComputeHome) {
    auto H = keyHome(R, S, Key);
    if (H) {
      if (Error E = checkHashPlacesKeys(R, S)) {
        L.HomeError = errorText(std::move(E));
        return L;
      }
      L.Home = std::move(*H);
      for (auto &M : L.Matches) {
        std::string Why = homeMismatch(S, S.Entries[M.Entry], *L.Home);
        M.AtHome = Why.empty();
        M.HomeDetail = std::move(Why);
      }
    } else {
      L.HomeError = errorText(H.takeError());
    }
  }
  return L;
}

Expected<KeyLookup> findKey(GoProgram &P, const MapState &S,
                            const GoValue &Key, const KeyLookupOptions &O) {
  MapReader R(P);
  return findKey(R, S, Key, O);
}

Expected<KeyLookup> findKeyBytes(const MapReader &R, const MapState &S,
                                 ArrayRef<uint8_t> KeyBytes,
                                 const KeyLookupOptions &O) {
  if (!S.Type || !S.Type->Key)
    return makeError("map state without a map type");
  if (KeyBytes.size() < S.Type->Key->Size)
    return makeError("{0} key bytes for a key of {1} bytes", KeyBytes.size(),
                     S.Type->Key->Size);
  GoValue K = decodeValueFromBytes(R.types(), *S.Type->Key,
                                   KeyBytes.take_front(S.Type->Key->Size),
                                   O.Decode);
  return findKey(R, S, K, O);
}

Expected<HashVerification> verifyEntryHashes(const MapReader &R,
                                             const MapState &S, uint64_t Max) {
  if (S.Nil || !S.Type)
    return makeError("nil map");
  auto H = R.hasher(*S.Type);
  if (!H)
    return H.takeError();
  HashVerification V;
  V.Hasher = (*H)->description();
  V.HashAlgorithm = hashAlgoName((*H)->algo());
  const DecodeLimits DL = keyDecodeLimits();
  for (const MapEntry &E : S.Entries) {
    if (V.Checked + V.Skipped >= Max)
      break;
    GoValue K = decodeAt(R, *S.Type->Key, E.KeyAddr, DL);
    auto Home = keyHome(R, S, K);
    if (!Home) {
      ++V.Skipped;
      consumeError(Home.takeError());
      continue;
    }
    ++V.Checked;
    if (E.Tag == Home->Tag)
      ++V.TagMatch;
    std::string Why = homeMismatch(S, E, *Home);
    if (Why.empty()) {
      ++V.PlaceMatch;
    } else if (V.Mismatches.size() < 8) {
      V.Mismatches.push_back("key " + toGoSyntax(K) + " at " + hex(E.KeyAddr) +
                             ": " + Why);
    }
  }
  return V;
}

std::vector<DecodedEntry> decodeEntries(const MapReader &R, const MapState &S,
                                        size_t N, size_t First,
                                        const DecodeLimits &L) {
  std::vector<DecodedEntry> Out;
  if (S.Nil || !S.Type || !S.Type->Key || !S.Type->Elem)
    return Out;
  for (size_t I = First; I < S.Entries.size() && Out.size() < N; ++I) {
    DecodedEntry D;
    D.Index = I;
    D.Key = decodeAt(R, *S.Type->Key, S.Entries[I].KeyAddr, L);
    D.Elem = decodeAt(R, *S.Type->Elem, S.Entries[I].ElemAddr, L);
    Out.push_back(std::move(D));
  }
  return Out;
}

} // namespace ms

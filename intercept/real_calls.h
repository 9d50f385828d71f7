// The definitions this library hides: the next definition of a symbol after this library in the
// lookup order (libc's), found with dlsym(RTLD_NEXT) on first use and kept.
//
//   SEALFS_REAL(open)(path, flags, mode)
//
// Thread-safe: two threads that resolve a symbol at once both store the same address.
#pragma once

#include <atomic>

namespace sealfs::intercept {

// The address in *slot, resolved with dlsym(RTLD_NEXT, name) the first time. A symbol the C
// library lacks ends the process with a one-line message, since every caller depends on it.
void* NextDefinition(std::atomic<void*>* slot, const char* name);

}  // namespace sealfs::intercept

// The system's `name`, of the type the system headers declare.
#define SEALFS_REAL(name) SEALFS_REAL_TYPED(name, decltype(::name))

// The system's `name`, of type `function_type`, for symbols no header declares any more.
#define SEALFS_REAL_TYPED(name, function_type)                                                  \
  ([]() {                                                                                       \
    static std::atomic<void*> slot{nullptr};                                                    \
    return reinterpret_cast<function_type*>(::sealfs::intercept::NextDefinition(&slot, #name)); \
  }())

#include "real_calls.h"

#include <dlfcn.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace sealfs::intercept {
namespace {

void WriteToStderr(const char* text) {
  // A raw system call: write itself may be what is missing.
  [[maybe_unused]] long written = ::syscall(SYS_write, STDERR_FILENO, text, std::strlen(text));
}

}  // namespace

void* NextDefinition(std::atomic<void*>* slot, const char* name) {
  void* address = slot->load(std::memory_order_acquire);
  if (address != nullptr) return address;
  address = dlsym(RTLD_NEXT, name);
  if (address == nullptr) {
    WriteToStderr("sealfs-intercept: the C library has no ");
    WriteToStderr(name);
    WriteToStderr("\n");
    std::abort();
  }
  slot->store(address, std::memory_order_release);
  return address;
}

}  // namespace sealfs::intercept

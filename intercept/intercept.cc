// The library's constructor and destructor: the hooks themselves are in hooks_*.cc.
#include "session.h"

namespace {

// Runs before main (and before the program's own constructors that come after this library):
// reads the configuration, registers the fork handlers and takes over the SealFS descriptors
// an exec passed on.
__attribute__((constructor)) void StartInterception() {
  sealfs::intercept::Session::Instance().Start();
}

__attribute__((destructor)) void FinishInterception() {
  sealfs::intercept::Session::Instance().Finish();
}

}  // namespace

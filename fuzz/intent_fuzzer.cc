// libFuzzer target: the check of an intent (OP_RUN_INTENT) before a server stores and runs it.
// The server target serves without a cluster, where intents are refused before this check, so
// the check has a target of its own. It may refuse anything; it must never crash.
#include <cstddef>
#include <cstdint>

#include "intents.h"
#include "sealfs.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sealfs::proto::RunIntentRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  (void)sealfs::ValidateIntent(request);
  return 0;
}

#include "address.h"

#include <cstdlib>
#include <fstream>

namespace sealfs::cli {

std::optional<ManagerAddress> FindManagerAddress(const std::string& flag) {
  if (!flag.empty()) return ManagerAddress{flag, "--manager"};
  if (const char* env = std::getenv("SEALFS_MANAGER"); env != nullptr && *env != '\0') {
    return ManagerAddress{env, "SEALFS_MANAGER"};
  }
  const std::string file(kDefaultClusterEnv);
  if (auto address = ReadEnvValue(file, "SEALFS_MANAGER"); address && !address->empty()) {
    return ManagerAddress{*address, file};
  }
  return std::nullopt;
}

std::optional<std::string> ReadEnvValue(const std::string& file, std::string_view key) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  std::optional<std::string> value;
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() <= key.size() || line.compare(0, key.size(), key) != 0 ||
        line[key.size()] != '=') {
      continue;
    }
    std::string found = line.substr(key.size() + 1);
    if (found.size() >= 2 && found.front() == '"' && found.back() == '"') {
      found = found.substr(1, found.size() - 2);
    }
    value = std::move(found);
  }
  return value;
}

}  // namespace sealfs::cli

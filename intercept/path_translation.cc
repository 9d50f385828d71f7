#include "path_translation.h"

namespace sealfs::intercept {

namespace {

// Calls visit(normalized prefix of the walk) after each component of base + "/" + path that
// changes it, and returns the normalised whole (see NormalizePath).
template <typename Visit>
std::string Walk(std::string_view base, std::string_view path, Visit visit) {
  std::string joined;
  if (path.empty() || path.front() != '/') {
    joined.reserve(base.size() + 1 + path.size());
    joined.append(base);
    joined.push_back('/');
  }
  joined.append(path);
  // "dir/." names a directory as "dir/" does: both keep the check that it is one.
  const bool trailing_slash =
      joined.size() > 1 && (joined.ends_with('/') || joined.ends_with("/."));

  std::string normalized;
  normalized.reserve(joined.size());
  std::string_view rest(joined);
  while (!rest.empty()) {
    std::size_t slash = rest.find('/');
    std::string_view component = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (component.empty() || component == ".") continue;
    if (component == "..") {
      normalized.resize(normalized.empty() ? 0 : normalized.rfind('/'));
    } else {
      normalized.push_back('/');
      normalized.append(component);
    }
    visit(normalized);
  }
  if (normalized.empty()) return "/";
  if (trailing_slash) normalized.push_back('/');
  return normalized;
}

}  // namespace

std::string NormalizePath(std::string_view base, std::string_view path) {
  return Walk(base, path, [](std::string_view /*step*/) {});
}

PathTranslator::PathTranslator(std::string_view prefix) : prefix_(NormalizePath("/", prefix)) {
  if (prefix_.size() > 1 && prefix_.back() == '/') prefix_.pop_back();
  last_name_ = prefix_.substr(prefix_.rfind('/') + 1);
}

std::optional<std::string> PathTranslator::ToSealfs(std::string_view normalized) const {
  if (!normalized.starts_with(prefix_)) return std::nullopt;
  std::string_view rest = normalized.substr(prefix_.size());
  if (rest.empty()) return "/";
  if (rest.front() != '/') return std::nullopt;  // "/sealfsX" is not under "/sealfs"
  return std::string(rest);
}

bool PathTranslator::WalksThrough(std::string_view base, std::string_view path) const {
  bool through = false;
  Walk(base, path, [&](std::string_view step) { through = through || ToSealfs(step).has_value(); });
  return through;
}

std::string PathTranslator::ToVisible(std::string_view sealfs_path) const {
  if (sealfs_path == "/") return prefix_;
  return prefix_ + std::string(sealfs_path);
}

bool PathTranslator::MayName(std::string_view path) const {
  return path.find(last_name_) != std::string_view::npos;
}

}  // namespace sealfs::intercept

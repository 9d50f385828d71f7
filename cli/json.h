// A small JSON writer for the --json output of the sealfs command.
#ifndef SEALFS_CLI_JSON_H_
#define SEALFS_CLI_JSON_H_

#include <concepts>
#include <string>
#include <string_view>
#include <vector>

namespace sealfs::cli {

/// `text` as a JSON string literal, quotes included. File names are bytes, JSON text is
/// Unicode: a byte that is not part of valid UTF-8 becomes U+FFFD.
std::string JsonQuote(std::string_view text);

/// Appends one compact JSON value to a string, placing the commas itself:
///
///     JsonWriter json(&out);
///     json.BeginObject();
///     json.Field("epoch", 3);
///     json.Key("servers").BeginArray();
///     ...
///
/// Not thread-safe. The caller balances Begin and End calls.
class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  /// The name of the next member of the current object.
  JsonWriter& Key(std::string_view name);
  JsonWriter& String(std::string_view value);
  /// Any integer (st_size, uid_t, uint64_t, ...), written exactly.
  template <std::integral T>
  JsonWriter& Number(T value) {
    return Raw(std::to_string(value));
  }
  JsonWriter& Bool(bool value);
  JsonWriter& Null();

  /// A member of the current object: Key(name) and its value.
  void Field(std::string_view name, std::string_view value) { Key(name).String(value); }
  // Without this overload a string literal would convert to bool rather than to string_view.
  void Field(std::string_view name, const char* value) { Key(name).String(value); }
  void Field(std::string_view name, bool value) { Key(name).Bool(value); }
  template <std::integral T>
  void Field(std::string_view name, T value) {
    Key(name).Number(value);
  }
  void NullField(std::string_view name) { Key(name).Null(); }

 private:
  // Writes a number or literal as it is.
  JsonWriter& Raw(std::string_view text);
  // Writes the comma that separates this value from the previous one in its container.
  void BeforeValue();

  std::string* out_;
  // One entry per open container: true until its first member is written.
  std::vector<bool> first_in_container_;
  bool after_key_ = false;
};

}  // namespace sealfs::cli

#endif  // SEALFS_CLI_JSON_H_

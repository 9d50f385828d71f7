#include "key_encoding.h"

namespace sealfs::keys {

namespace {

void PutBigEndian64(std::string* out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((value >> shift) & 0xFF));
  }
}

void PutBigEndian32(std::string* out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((value >> shift) & 0xFF));
  }
}

uint64_t GetBigEndian64(std::string_view in) {
  uint64_t value = 0;
  for (std::size_t i = 0; i < 8; ++i) value = (value << 8) | static_cast<uint8_t>(in[i]);
  return value;
}

uint32_t GetBigEndian32(std::string_view in) {
  uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) value = (value << 8) | static_cast<uint8_t>(in[i]);
  return value;
}

std::string InoAndName(uint64_t ino, std::string_view name) {
  std::string key;
  key.reserve(kInoSize + name.size());
  PutBigEndian64(&key, ino);
  key.append(name);
  return key;
}

bool DecodeInoAndName(std::string_view key, uint64_t* ino, std::string_view* name) {
  if (key.size() < kInoSize) return false;
  *ino = GetBigEndian64(key);
  *name = key.substr(kInoSize);
  return true;
}

}  // namespace

std::string InoPrefix(uint64_t ino) {
  std::string key;
  PutBigEndian64(&key, ino);
  return key;
}

std::string InoPrefixEnd(uint64_t ino) {
  if (ino == UINT64_MAX) return {};
  return InoPrefix(ino + 1);
}

std::string InodeKey(uint64_t ino) { return InoPrefix(ino); }

std::string RequestKey(uint64_t request_id, std::string_view placement_key) {
  std::string key = InoPrefix(request_id);
  key.append(placement_key);
  return key;
}

bool DecodeRequestKey(std::string_view key, uint64_t* request_id, std::string_view* placement_key) {
  if (key.size() <= kInoSize) return false;
  *request_id = GetBigEndian64(key);
  *placement_key = key.substr(kInoSize);
  return true;
}

std::string RequestValue(uint64_t unix_seconds, std::string_view reply) {
  std::string value;
  PutBigEndian64(&value, unix_seconds);
  value.append(reply);
  return value;
}

bool DecodeRequestValue(std::string_view value, uint64_t* unix_seconds, std::string_view* reply) {
  if (value.size() < 8) return false;
  *unix_seconds = GetBigEndian64(value);
  *reply = value.substr(8);
  return true;
}

bool DecodeInodeKey(std::string_view key, uint64_t* ino) {
  if (key.size() != kInoSize) return false;
  *ino = GetBigEndian64(key);
  return true;
}

std::string DentryKey(uint64_t parent, std::string_view name) { return InoAndName(parent, name); }

bool DecodeDentryKey(std::string_view key, uint64_t* parent, std::string_view* name) {
  return DecodeInoAndName(key, parent, name);
}

std::string XattrKey(uint64_t ino, std::string_view name) { return InoAndName(ino, name); }

bool DecodeXattrKey(std::string_view key, uint64_t* ino, std::string_view* name) {
  return DecodeInoAndName(key, ino, name);
}

std::string ChunkKey(uint64_t ino, uint64_t index) {
  std::string key;
  key.reserve(kChunkKeySize);
  PutBigEndian64(&key, ino);
  PutBigEndian64(&key, index);
  return key;
}

bool DecodeChunkKey(std::string_view key, uint64_t* ino, uint64_t* index) {
  if (key.size() != kChunkKeySize) return false;
  *ino = GetBigEndian64(key);
  *index = GetBigEndian64(key.substr(kInoSize));
  return true;
}

std::string InlineChunkRecord(std::string_view bytes) {
  std::string out;
  out.reserve(1 + bytes.size());
  out += kInlineChunkTag;
  out += bytes;
  return out;
}

bool DecodeInlineChunkRecord(std::string_view record, std::string_view* bytes) {
  if (record.empty() || record[0] != kInlineChunkTag) return false;
  *bytes = record.substr(1);
  return true;
}

std::string PatchOperandHeader(uint32_t offset) {
  std::string out(1, kPatchTag);
  PutBigEndian32(&out, offset);
  return out;
}

std::string TruncateOperand(uint32_t length) {
  std::string out(1, kTruncateTag);
  PutBigEndian32(&out, length);
  return out;
}

bool DecodeChunkOperand(std::string_view operand, ChunkOperand* out) {
  if (operand.size() < kOperandHeaderSize) return false;
  uint32_t number = GetBigEndian32(operand.substr(1));
  switch (operand[0]) {
    case kPatchTag:
      out->kind = ChunkOperand::Kind::kPatch;
      out->offset = number;
      out->data = operand.substr(kOperandHeaderSize);
      return true;
    case kTruncateTag:
      if (operand.size() != kOperandHeaderSize) return false;
      out->kind = ChunkOperand::Kind::kTruncate;
      out->length = number;
      return true;
    default:
      return false;
  }
}

}  // namespace sealfs::keys

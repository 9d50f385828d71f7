#include "chunk_merge_operator.h"

#include <algorithm>

#include "frame.h"

namespace sealfs {

namespace {

// A chunk never grows past the largest payload a client may write; operands claiming otherwise
// are corrupt, and refusing them keeps a bad operand from allocating without bound.
bool PlausibleOperand(const keys::ChunkOperand& operand) {
  if (operand.kind == keys::ChunkOperand::Kind::kTruncate) return true;
  return static_cast<uint64_t>(operand.offset) + operand.data.size() <= kMaxPayloadLength;
}

class ChunkMergeOperator : public rocksdb::MergeOperator {
 public:
  const char* Name() const override { return "sealfs.ChunkMergeOperator"; }

  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
    std::string& value = out->new_value;
    value.clear();
    if (in.existing_value != nullptr) {
      value.assign(in.existing_value->data(), in.existing_value->size());
    }
    for (const rocksdb::Slice& bytes : in.operand_list) {
      keys::ChunkOperand operand;
      if (!keys::DecodeChunkOperand(std::string_view(bytes.data(), bytes.size()), &operand) ||
          !PlausibleOperand(operand)) {
        return false;  // RocksDB reports Corruption for this key
      }
      ApplyChunkOperand(operand, &value);
    }
    return true;
  }

  // Combines two operands into one when the result is one operand: two truncates, or two
  // patches whose ranges touch or overlap.
  bool PartialMerge(const rocksdb::Slice& /*key*/, const rocksdb::Slice& left_bytes,
                    const rocksdb::Slice& right_bytes, std::string* new_value,
                    rocksdb::Logger* /*logger*/) const override {
    keys::ChunkOperand left;
    keys::ChunkOperand right;
    if (!keys::DecodeChunkOperand(std::string_view(left_bytes.data(), left_bytes.size()), &left) ||
        !keys::DecodeChunkOperand(std::string_view(right_bytes.data(), right_bytes.size()),
                                  &right)) {
      return false;
    }
    using Kind = keys::ChunkOperand::Kind;
    if (left.kind == Kind::kTruncate && right.kind == Kind::kTruncate) {
      *new_value = keys::TruncateOperand(std::min(left.length, right.length));
      return true;
    }
    if (left.kind != Kind::kPatch || right.kind != Kind::kPatch) return false;
    if (!PlausibleOperand(left) || !PlausibleOperand(right)) return false;
    uint64_t left_end = left.offset + left.data.size();
    uint64_t right_end = right.offset + right.data.size();
    if (right.offset > left_end || left.offset > right_end) return false;  // a gap between them
    uint32_t start = std::min(left.offset, right.offset);
    std::string merged(std::max(left_end, right_end) - start, '\0');
    merged.replace(left.offset - start, left.data.size(), left.data);
    merged.replace(right.offset - start, right.data.size(), right.data);
    *new_value = keys::PatchOperandHeader(start);
    new_value->append(merged);
    return true;
  }

  bool AllowSingleOperand() const override { return false; }
};

}  // namespace

void ApplyChunkOperand(const keys::ChunkOperand& operand, std::string* value) {
  if (operand.kind == keys::ChunkOperand::Kind::kTruncate) {
    if (value->size() > operand.length) value->resize(operand.length);
    return;
  }
  std::size_t end = operand.offset + operand.data.size();
  if (value->size() < end) value->resize(end, '\0');
  value->replace(operand.offset, operand.data.size(), operand.data);
}

std::shared_ptr<rocksdb::MergeOperator> NewChunkMergeOperator() {
  return std::make_shared<ChunkMergeOperator>();
}

}  // namespace sealfs

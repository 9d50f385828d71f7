// The merge operator of the chunks column family: builds a chunk from patch and truncate
// operands (layout in key_encoding.h), so that a small write into a large chunk appends an
// operand instead of reading and rewriting the chunk.
//
// Thread-safe: stateless.
#pragma once

#include <memory>
#include <string>

#include "key_encoding.h"
#include "rocksdb/merge_operator.h"

namespace sealfs {

// Applies one operand to a chunk value: a patch zero-fills up to its offset and overwrites;
// a truncate cuts a longer value.
void ApplyChunkOperand(const keys::ChunkOperand& operand, std::string* value);

std::shared_ptr<rocksdb::MergeOperator> NewChunkMergeOperator();

}  // namespace sealfs

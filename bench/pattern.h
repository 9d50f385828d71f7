// The bytes the benchmark writes: a function of a file's tag and the offset, so that a read
// checks every byte it gets, wherever it reads, and a byte from the wrong file or offset is
// caught. Cheap (one multiply and add per 8 bytes), so that checking does not bound a read
// phase: each word is the tag's mix plus the word's index times an odd constant.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace sealfs::bench {

inline uint64_t MixTag(uint64_t tag) {  // splitmix64's finalizer
  uint64_t x = tag + 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

inline uint64_t PatternWord(uint64_t mixed_tag, uint64_t word_index) {
  return mixed_tag + word_index * 0xd6e8feb86659fd93ULL;
}

// Fills buf with the `len` bytes of the pattern of `tag` starting at `offset`.
inline void FillPattern(uint64_t tag, uint64_t offset, unsigned char* buf, size_t len) {
  const uint64_t mixed = MixTag(tag);
  size_t done = 0;
  while (done < len && (offset + done) % 8 != 0) {  // up to the first whole word
    const uint64_t at = offset + done;
    const uint64_t word = PatternWord(mixed, at / 8);
    buf[done++] = reinterpret_cast<const unsigned char*>(&word)[at % 8];
  }
  for (uint64_t index = (offset + done) / 8; len - done >= 8; ++index, done += 8) {
    const uint64_t word = PatternWord(mixed, index);
    std::memcpy(buf + done, &word, 8);
  }
  for (; done < len; ++done) {
    const uint64_t at = offset + done;
    const uint64_t word = PatternWord(mixed, at / 8);
    buf[done] = reinterpret_cast<const unsigned char*>(&word)[at % 8];
  }
}

// True when buf holds exactly the pattern's `len` bytes at `offset`; `scratch` has room for len.
inline bool MatchesPattern(uint64_t tag, uint64_t offset, const unsigned char* buf, size_t len,
                           unsigned char* scratch) {
  FillPattern(tag, offset, scratch, len);
  return std::memcmp(buf, scratch, len) == 0;
}

}  // namespace sealfs::bench

// Hexadecimal digits, read by the parsers of every tier (RESP inline quotes, JSON \u escapes,
// config-file quotes, the balancer's percent-decoding): one definition instead of one a file.
#pragma once

namespace sc {

// The value of the hex digit c (0-9, a-f, A-F), or -1 when c is not one.
constexpr int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace sc

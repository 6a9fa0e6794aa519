// Turns a console record (protocol/console.h) into text, on the host.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gpustd/protocol/console.h"

namespace gpustd::detail {

struct record_item {
  protocol::item_tag tag{};
  std::uint64_t value = 0;  // bits of the value (low half for 128-bit tags)
  std::uint64_t high = 0;   // high half of 128-bit values
  std::string_view text;    // string items
};

// Splits the bytes after the format string into items. Returns null, or
// what is wrong with them (then `out` holds the items before the fault).
const char* decode_items(std::string_view bytes, std::vector<record_item>& out);

// Each appends the formatted text to `out`. Problems (a bad format string,
// an argument that does not suit its conversion) are written into the text
// as "[gpustd: ...]" so that they are seen where they happened.
void format_print(std::string& out, std::string_view format, std::span<const record_item> items);
void format_printf(std::string& out, std::string_view format, std::span<const record_item> items);
void format_stream(std::string& out, std::span<const record_item> items);

// Formats a whole record of the given kind (format string, then items).
void format_record(std::string& out, protocol::record_kind kind, std::string_view record, std::uint32_t format_bytes,
                   std::vector<record_item>& scratch);

}  // namespace gpustd::detail

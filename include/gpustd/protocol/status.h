// Status values in result cells: >= 0 success, < 0 a negated errno value.
// Errors the device client produces itself, without a round trip, use the
// same values.
#pragma once
#include <cerrno>
#include <cstdint>

namespace gpustd::protocol {

inline constexpr std::int64_t status_ok = 0;
inline constexpr std::int64_t status_no_runtime = -ENODEV;     // no runtime serves the channel
inline constexpr std::int64_t status_unknown_op = -ENOSYS;     // no handler for the operation
inline constexpr std::int64_t status_too_large = -E2BIG;       // request over max_request_bytes
inline constexpr std::int64_t status_malformed = -EPROTO;      // request failed validation
inline constexpr std::int64_t status_bad_address = -EFAULT;    // null pointer with a length
inline constexpr std::int64_t status_bad_argument = -EINVAL;
// Answer to a request naming device memory by address (a bulk file
// transfer, a hostcall's span) that the host cannot reach by DMA: send the
// bytes in the request instead.
inline constexpr std::int64_t status_use_inline = -EXDEV;

}  // namespace gpustd::protocol

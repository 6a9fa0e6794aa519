// op null_call: does nothing and answers 0; measures the channel itself.
// Served in place (runtime/direct.h) when the request is the header alone,
// as the device sends it; anything else goes to the handler, which answers
// 0 too after the request is validated.
#include "gpustd/protocol/opcodes.h"
#include "services.h"

namespace gpustd::detail {

void register_null_call(handler_table& table) {
  direct_handler direct;
  direct.fn = [](const void*, const direct_request& r, direct_answers&) noexcept -> std::int64_t {
    if (r.body_bytes() != 0 || r.cell_stride() != 0 || r.packed()) return direct_declined;
    return 0;
  };
  table.set(protocol::to_u16(protocol::opcode::null_call), [](request&) {}, handler_kind::polling, {},
            std::move(direct));
}

}  // namespace gpustd::detail

// op null_call: does nothing and answers 0; measures the channel itself.
#include "gpustd/protocol/opcodes.h"
#include "services.h"

namespace gpustd::detail {

void register_null_call(handler_table& table) {
  table.set(protocol::to_u16(protocol::opcode::null_call), [](request&) {}, handler_kind::polling);
}

}  // namespace gpustd::detail

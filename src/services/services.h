// The built-in services, registered by every runtime.
#pragma once
#include "../runtime/handler_table.h"
#include "gpustd/runtime/options.h"

namespace gpustd::detail {

void register_null_call(handler_table& table);
void register_write(handler_table& table, const runtime_options& options);

}  // namespace gpustd::detail

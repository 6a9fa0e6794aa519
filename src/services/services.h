// The built-in services, registered by every runtime.
#pragma once
#include "../runtime/handler_table.h"
#include "console/console_service.h"
#include "console/stdin_service.h"
#include "files/file_service.h"
#include "gpustd/runtime/options.h"

namespace gpustd::detail {

void register_null_call(handler_table& table);

}  // namespace gpustd::detail

// The host's reference output for the console's format table.
#pragma once
#include <string>
#include <vector>

namespace gpustd::test {
std::vector<std::string> print_table_expected();
std::vector<std::string> printf_table_expected();
std::vector<std::string> cout_table_expected();
}  // namespace gpustd::test

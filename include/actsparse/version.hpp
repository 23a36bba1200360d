// actsparse/version.hpp: the library version, kept in step with CMakeLists.txt.
#pragma once

#define ACTSPARSE_VERSION_MAJOR 0
#define ACTSPARSE_VERSION_MINOR 1
#define ACTSPARSE_VERSION_PATCH 0

namespace actsparse {
inline constexpr const char* kVersion = "0.1.0";
}

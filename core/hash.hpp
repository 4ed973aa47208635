// Content hashes used by the trace and the warehouse.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace agentco {

// Lower-case hex SHA-256 of the bytes (OpenSSL).
std::string sha256_hex(std::string_view data);

// CRC-32 (IEEE) of the bytes (Boost.CRC), as 8 lower-case hex digits.
std::string crc32_hex(std::string_view data);

}  // namespace agentco

#error "switchboard core header pulled in asio.hpp: only include/switchboard/transport/ may include it"

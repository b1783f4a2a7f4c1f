#pragma once
// switchboard: plain C++ functions served as typed endpoints. Include this one header.

#include <switchboard/version.hpp>
#include <switchboard/reflect.hpp>
#include <switchboard/json.hpp>

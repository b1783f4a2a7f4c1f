#pragma once
// Everything JSON: read, write, value, raw, schema. Includes neither Asio nor httplib.

#include <switchboard/json/error.hpp>
#include <switchboard/json/fwd.hpp>
#include <switchboard/json/options.hpp>
#include <switchboard/json/raw.hpp>
#include <switchboard/json/read.hpp>
#include <switchboard/json/write.hpp>
#include <switchboard/json/schema.hpp>
#include <switchboard/json/value.hpp>

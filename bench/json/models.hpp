#pragma once
// Typed mirrors of the nativejson-benchmark documents (twitter.json, citm_catalog.json, canada.json)
// and of a small mixed object. Member name == JSON key; every library in the benchmark reads into
// and writes from these same structs.

#include <switchboard/json/fwd.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bench::twitter {

struct metadata_t {
  std::string result_type;
  std::string iso_language_code;
};

struct url_t {
  std::string url;
  std::string expanded_url;
  std::string display_url;
  std::array<std::int64_t, 2> indices;
};

struct url_list_t {
  std::vector<url_t> urls;
};

struct user_entities_t {
  std::optional<url_list_t> url;
  url_list_t description;
};

struct user_t {
  std::int64_t id;
  std::string id_str;
  std::string name;
  std::string screen_name;
  std::string location;
  std::string description;
  std::optional<std::string> url;
  user_entities_t entities;
  bool protected_;  // "protected" (renamed below: it is a C++ keyword)
  std::int64_t followers_count;
  std::int64_t friends_count;
  std::int64_t listed_count;
  std::string created_at;
  std::int64_t favourites_count;
  std::optional<std::int64_t> utc_offset;
  std::optional<std::string> time_zone;
  bool geo_enabled;
  bool verified;
  std::int64_t statuses_count;
  std::string lang;
  bool contributors_enabled;
  bool is_translator;
  bool is_translation_enabled;
  std::string profile_background_color;
  std::string profile_background_image_url;
  std::string profile_background_image_url_https;
  bool profile_background_tile;
  std::string profile_image_url;
  std::string profile_image_url_https;
  std::optional<std::string> profile_banner_url;
  std::string profile_link_color;
  std::string profile_sidebar_border_color;
  std::string profile_sidebar_fill_color;
  std::string profile_text_color;
  bool profile_use_background_image;
  bool default_profile;
  bool default_profile_image;
  bool following;
  bool follow_request_sent;
  bool notifications;
};

struct hashtag_t {
  std::string text;
  std::array<std::int64_t, 2> indices;
};

struct user_mention_t {
  std::string screen_name;
  std::string name;
  std::int64_t id;
  std::string id_str;
  std::array<std::int64_t, 2> indices;
};

struct media_size_t {
  std::int64_t w;
  std::int64_t h;
  std::string resize;
};

struct sizes_t {
  media_size_t medium;
  media_size_t small;
  media_size_t thumb;
  media_size_t large;
};

struct media_t {
  std::int64_t id;
  std::string id_str;
  std::array<std::int64_t, 2> indices;
  std::string media_url;
  std::string media_url_https;
  std::string url;
  std::string display_url;
  std::string expanded_url;
  std::string type;
  sizes_t sizes;
  std::optional<std::int64_t> source_status_id;
  std::optional<std::string> source_status_id_str;
};

struct entities_t {
  std::vector<hashtag_t> hashtags;
  std::vector<hashtag_t> symbols;
  std::vector<url_t> urls;
  std::vector<user_mention_t> user_mentions;
  std::optional<std::vector<media_t>> media;
};

struct status_t {
  metadata_t metadata;
  std::string created_at;
  std::int64_t id;
  std::string id_str;
  std::string text;
  std::string source;
  bool truncated;
  std::optional<std::int64_t> in_reply_to_status_id;
  std::optional<std::string> in_reply_to_status_id_str;
  std::optional<std::int64_t> in_reply_to_user_id;
  std::optional<std::string> in_reply_to_user_id_str;
  std::optional<std::string> in_reply_to_screen_name;
  user_t user;
  std::nullptr_t geo;
  std::nullptr_t coordinates;
  std::nullptr_t place;
  std::nullptr_t contributors;
  // Absent or null: empty. shared_ptr, not unique_ptr: with clang, Boost.PFR's field counting of
  // `document` instantiates the copy constructor of std::vector<status_t>, so status_t must be copyable.
  std::shared_ptr<status_t> retweeted_status;
  std::int64_t retweet_count;
  std::int64_t favorite_count;
  entities_t entities;
  bool favorited;
  bool retweeted;
  std::optional<bool> possibly_sensitive;
  std::string lang;
};

struct search_metadata_t {
  double completed_in;
  std::int64_t max_id;
  std::string max_id_str;
  std::string next_results;
  std::string query;
  std::string refresh_url;
  std::int64_t count;
  std::int64_t since_id;
  std::string since_id_str;
};

struct document {
  std::vector<status_t> statuses;
  search_metadata_t search_metadata;
};

}  // namespace bench::twitter

template <>
struct sb::json::meta<bench::twitter::user_t> {
  static constexpr std::array rename = {sb::json::field{"protected_", "protected"}};
};

namespace bench::citm {

struct event_t {
  std::optional<std::string> description;
  std::int64_t id;
  std::optional<std::string> logo;
  std::string name;
  std::vector<std::int64_t> subTopicIds;
  std::optional<std::string> subjectCode;
  std::optional<std::string> subtitle;
  std::vector<std::int64_t> topicIds;
};

struct price_t {
  std::int64_t amount;
  std::int64_t audienceSubCategoryId;
  std::int64_t seatCategoryId;
};

struct area_t {
  std::int64_t areaId;
  std::vector<std::int64_t> blockIds;
};

struct seat_category_t {
  std::vector<area_t> areas;
  std::int64_t seatCategoryId;
};

struct performance_t {
  std::int64_t eventId;
  std::int64_t id;
  std::optional<std::string> logo;
  std::optional<std::string> name;
  std::vector<price_t> prices;
  std::vector<seat_category_t> seatCategories;
  std::optional<std::string> seatMapImage;
  std::int64_t start;
  std::string venueCode;
};

using names_t = std::map<std::string, std::string>;

struct document {
  names_t areaNames;
  names_t audienceSubCategoryNames;
  names_t blockNames;
  std::map<std::string, event_t> events;
  std::vector<performance_t> performances;
  names_t seatCategoryNames;
  names_t subTopicNames;
  names_t subjectNames;
  names_t topicNames;
  std::map<std::string, std::vector<std::int64_t>> topicSubTopics;
  names_t venueNames;
};

}  // namespace bench::citm

namespace bench::canada {

struct properties_t {
  std::string name;
};

struct geometry_t {
  std::string type;
  std::vector<std::vector<std::array<double, 2>>> coordinates;
};

struct feature_t {
  std::string type;
  properties_t properties;
  geometry_t geometry;
};

struct document {
  std::string type;
  std::vector<feature_t> features;
};

}  // namespace bench::canada

namespace bench::small {

struct dimensions_t {
  double width;
  double height;
  double depth;
};

struct owner_t {
  std::int64_t id;
  std::string name;
  std::string email;
  std::vector<std::string> roles;
  bool verified;
};

struct document {
  std::int64_t id;
  std::string name;
  std::string description;
  double price;
  double discount;
  bool in_stock;
  std::int32_t quantity;
  std::vector<std::string> tags;
  dimensions_t dimensions;
  owner_t owner;
  std::optional<std::string> note;
  std::vector<double> history;
  std::vector<std::int64_t> related;
  std::uint64_t checksum;
};

// About 600 bytes: numbers (integers, decimals, exponents), strings with escapes, arrays, nested objects.
inline constexpr char text[] = R"({"id":9007199254740993,"name":"Widget \"Pro\" 2","description":"Line one\nLine two\ttabbed; path C:\\temp\\w; caf\u00e9 \u2615 and \ud83d\ude80","price":1249.99,"discount":-0.125,"in_stock":true,"quantity":42,"tags":["hardware","tools","\u00e9t\u00e9","a/b"],"dimensions":{"width":12.5,"height":3.75,"depth":1.0e-2},"owner":{"id":77,"name":"Ada Lovelace","email":"ada@example.com","roles":["admin","editor","viewer"],"verified":false},"note":null,"history":[1.5,2.25,-3.125,4e10,5.0E-3,6.02214076e23,0.1,0.2,0.30000000000000004],"related":[1,22,333,4444,55555,666666,7777777,-88888888],"checksum":18446744073709551615})";

}  // namespace bench::small

#pragma once
// The shortest decimal that reads back as the same double or float, by Schubfach (Raffaello
// Giulietti, "The Schubfach way to render doubles", 2020): three products with one 126-bit power of
// ten give the decimal interval of the value's rounding, and the shortest significand in it is
// picked by comparisons alone, with no loop over digits. Then the form std::to_chars picks without
// a format (fixed or scientific, whichever is shorter, fixed on a tie), which JSON writing then
// trims. Tested against std::to_chars on every float and on random doubles (tests/long).

#include <switchboard/json/detail/schubfach_table.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace sb::json::detail {

// value = significand × 10^exponent, the significand without trailing zeros (0 for zero).
struct decimal_number {
  std::uint64_t significand;
  int exponent;
};

inline std::uint64_t multiply_high(std::uint64_t a, std::uint64_t b) {
#if defined(__SIZEOF_INT128__)
  __extension__ using wide = unsigned __int128;
  return static_cast<std::uint64_t>((static_cast<wide>(a) * b) >> 64);
#else
  const std::uint64_t a_lo = a & 0xFFFFFFFFu, a_hi = a >> 32, b_lo = b & 0xFFFFFFFFu, b_hi = b >> 32;
  const std::uint64_t lo_lo = a_lo * b_lo, hi_lo = a_hi * b_lo, lo_hi = a_lo * b_hi, hi_hi = a_hi * b_hi;
  const std::uint64_t middle = (lo_lo >> 32) + (hi_lo & 0xFFFFFFFFu) + lo_hi;
  return hi_hi + (hi_lo >> 32) + (middle >> 32);
#endif
}

// floor(e log10 2), floor(log10(3/4 2^e)) and floor(e log2 10), exact for the exponents used here.
constexpr int floor_log10_pow2(int e) { return static_cast<int>((std::int64_t{e} * 661971961083LL) >> 41); }
constexpr int floor_log10_three_quarters_pow2(int e) {
  return static_cast<int>((std::int64_t{e} * 661971961083LL - 274743187321LL) >> 41);
}
constexpr int floor_log2_pow10(int e) { return static_cast<int>((std::int64_t{e} * 913124641741LL) >> 38); }

inline std::uint64_t schubfach_g1(int k) { return schubfach_g[2 * (k - schubfach_k_min)]; }
inline std::uint64_t schubfach_g0(int k) { return schubfach_g[2 * (k - schubfach_k_min) + 1]; }

inline decimal_number strip_zeros(std::uint64_t significand, int exponent) {
  if (significand == 0) return {0, 0};
  while (significand % 10 == 0) {
    significand /= 10;
    ++exponent;
  }
  return {significand, exponent};
}

// ---- double ----

// g × cp / 2^127, rounded to odd: its lowest bit says whether anything was cut off.
inline std::uint64_t round_to_odd(std::uint64_t g1, std::uint64_t g0, std::uint64_t cp) {
  constexpr std::uint64_t mask63 = (std::uint64_t{1} << 63) - 1;
  const std::uint64_t x1 = multiply_high(g0, cp);
  const std::uint64_t y0 = g1 * cp;
  const std::uint64_t y1 = multiply_high(g1, cp);
  const std::uint64_t z = (y0 >> 1) + x1;
  const std::uint64_t vbp = y1 + (z >> 63);
  return vbp | (((z & mask63) + mask63) >> 63);
}

// c 2^q, c > 0; `dk` corrects the exponent of a subnormal scaled by ten.
inline decimal_number schubfach_double(int q, std::uint64_t c, int dk) {
  constexpr std::uint64_t c_min = std::uint64_t{1} << 52;
  constexpr int q_min = -1074;
  const std::uint64_t out = c & 1;
  const std::uint64_t cb = c << 2;
  const std::uint64_t cbr = cb + 2;
  std::uint64_t cbl;
  int k;
  if (c != c_min || q == q_min) {
    cbl = cb - 2;
    k = floor_log10_pow2(q);
  } else {  // at a power of two the interval below is half as wide
    cbl = cb - 1;
    k = floor_log10_three_quarters_pow2(q);
  }
  const int h = q + floor_log2_pow10(-k) + 2;
  const std::uint64_t g1 = schubfach_g1(k), g0 = schubfach_g0(k);
  const std::uint64_t vb = round_to_odd(g1, g0, cb << h);
  const std::uint64_t vbl = round_to_odd(g1, g0, cbl << h);
  const std::uint64_t vbr = round_to_odd(g1, g0, cbr << h);
  const std::uint64_t s = vb >> 2;
  if (s >= 10) {  // one digit fewer, when its interval allows it (Java stops at two digits; JSON need not)
    const std::uint64_t sp10 = 10 * multiply_high(s, std::uint64_t{115292150460684698} << 4);
    const std::uint64_t tp10 = sp10 + 10;
    const bool upin = vbl + out <= sp10 << 2;
    const bool wpin = (tp10 << 2) + out <= vbr;
    if (upin != wpin) return strip_zeros(upin ? sp10 : tp10, k);
  }
  const std::uint64_t t = s + 1;
  const bool uin = vbl + out <= s << 2;
  const bool win = (t << 2) + out <= vbr;
  if (uin != win) return strip_zeros(uin ? s : t, k + dk);
  const auto cmp = static_cast<std::int64_t>(vb - ((s + t) << 1));
  return strip_zeros(cmp < 0 || (cmp == 0 && (s & 1) == 0) ? s : t, k + dk);
}

// A finite double's magnitude.
inline decimal_number shortest_decimal(double value) {
  const auto bits = std::bit_cast<std::uint64_t>(value) & ~(std::uint64_t{1} << 63);
  const std::uint64_t fraction = bits & ((std::uint64_t{1} << 52) - 1);
  const int biased = static_cast<int>(bits >> 52);
  if (biased != 0) {
    const std::uint64_t c = (std::uint64_t{1} << 52) | fraction;
    const int minus_q = 1075 - biased;
    if (minus_q > 0 && minus_q < 53) {  // an integer below 2^53 is its own shortest form
      const std::uint64_t whole = c >> minus_q;
      if (whole << minus_q == c) return strip_zeros(whole, 0);
    }
    return schubfach_double(-minus_q, c, 0);
  }
  if (fraction == 0) return {0, 0};
  // The two smallest subnormals lie below the algorithm's precision (Schubfach's C_TINY): its
  // remedy (ten times the significand) yields two digits where one suffices, so they are listed.
  if (fraction < 3) return fraction == 1 ? decimal_number{5, -324} : decimal_number{1, -323};
  return schubfach_double(-1074, fraction, 0);
}

// ---- float ----

inline std::uint32_t round_to_odd(std::uint64_t g, std::uint64_t cp) {
  constexpr std::uint64_t mask32 = (std::uint64_t{1} << 32) - 1;
  const std::uint64_t x1 = multiply_high(g, cp);
  return static_cast<std::uint32_t>((x1 >> 31) | (((x1 & mask32) + mask32) >> 32));
}

inline decimal_number schubfach_float(int q, std::uint32_t c, int dk) {
  constexpr std::uint32_t c_min = std::uint32_t{1} << 23;
  constexpr int q_min = -149;
  const std::uint32_t out = c & 1;
  const std::uint64_t cb = std::uint64_t{c} << 2;
  const std::uint64_t cbr = cb + 2;
  std::uint64_t cbl;
  int k;
  if (c != c_min || q == q_min) {
    cbl = cb - 2;
    k = floor_log10_pow2(q);
  } else {
    cbl = cb - 1;
    k = floor_log10_three_quarters_pow2(q);
  }
  const int h = q + floor_log2_pow10(-k) + 33;
  const std::uint64_t g = schubfach_g1(k) + 1;
  const std::uint32_t vb = round_to_odd(g, cb << h);
  const std::uint32_t vbl = round_to_odd(g, cbl << h);
  const std::uint32_t vbr = round_to_odd(g, cbr << h);
  const std::uint32_t s = vb >> 2;
  if (s >= 10) {
    const auto sp10 = static_cast<std::uint32_t>(10 * ((std::uint64_t{s} * 1717986919u) >> 34));
    const std::uint32_t tp10 = sp10 + 10;
    const bool upin = std::uint64_t{vbl} + out <= std::uint64_t{sp10} << 2;
    const bool wpin = (std::uint64_t{tp10} << 2) + out <= vbr;
    if (upin != wpin) return strip_zeros(upin ? sp10 : tp10, k);
  }
  const std::uint32_t t = s + 1;
  const bool uin = std::uint64_t{vbl} + out <= std::uint64_t{s} << 2;
  const bool win = (std::uint64_t{t} << 2) + out <= vbr;
  if (uin != win) return strip_zeros(uin ? s : t, k + dk);
  const std::int64_t cmp = std::int64_t{vb} - (std::int64_t{s + t} << 1);
  return strip_zeros(cmp < 0 || (cmp == 0 && (s & 1) == 0) ? s : t, k + dk);
}

inline decimal_number shortest_decimal(float value) {
  const auto bits = std::bit_cast<std::uint32_t>(value) & ~(std::uint32_t{1} << 31);
  const std::uint32_t fraction = bits & ((std::uint32_t{1} << 23) - 1);
  const int biased = static_cast<int>(bits >> 23);
  if (biased != 0) {
    const std::uint32_t c = (std::uint32_t{1} << 23) | fraction;
    const int minus_q = 150 - biased;
    if (minus_q > 0 && minus_q < 24) {
      const std::uint32_t whole = c >> minus_q;
      if (whole << minus_q == c) return strip_zeros(whole, 0);
    }
    return schubfach_float(-minus_q, c, 0);
  }
  if (fraction == 0) return {0, 0};
  if (fraction < 8) {  // below C_TINY, as for double: 1e-45, 3e-45, 4e-45, 6e-45, 7e-45, 8e-45, 1e-44
    constexpr std::uint8_t tiny[] = {0, 1, 3, 4, 6, 7, 8, 1};
    return {tiny[fraction], fraction == 7 ? -44 : -45};
  }
  return schubfach_float(-149, fraction, 0);
}

// ---- text ----

// The exact decimal digits of c × 2^q (0 < q, the product below 2^96), as printf's %f writes an
// integer-valued double; returns their count.
inline int write_exact_integer(char* out, std::uint64_t c, int q) {
  std::uint32_t limbs[3] = {};  // little-endian base 2^32
  const std::uint64_t low = c << (q % 32);
  const std::uint64_t high = (q % 32) == 0 ? 0 : c >> (64 - q % 32);
  const int skip = q / 32;
  const std::uint32_t parts[3] = {static_cast<std::uint32_t>(low), static_cast<std::uint32_t>(low >> 32),
                                  static_cast<std::uint32_t>(high)};
  for (int i = 0; i + skip < 3; ++i) limbs[i + skip] = parts[i];
  char reversed[32];
  int length = 0;
  while (limbs[0] != 0 || limbs[1] != 0 || limbs[2] != 0) {
    std::uint64_t remainder = 0;
    for (int i = 2; i >= 0; --i) {
      const std::uint64_t current = (remainder << 32) | limbs[i];
      limbs[i] = static_cast<std::uint32_t>(current / 1000000000u);
      remainder = current % 1000000000u;
    }
    for (int digit = 0; digit < 9; ++digit, remainder /= 10) reversed[length++] = static_cast<char>('0' + remainder % 10);
  }
  while (length > 1 && reversed[length - 1] == '0') --length;
  for (int i = 0; i < length; ++i) out[i] = reversed[length - 1 - i];
  return length;
}

// Integer-valued doubles from 2^53 (floats from 2^24) are not all their shortest digits padded with
// zeros: the fixed form writes them exactly.
inline bool exact_integer_parts(double value, std::uint64_t& c, int& q) {
  const auto bits = std::bit_cast<std::uint64_t>(value);
  q = static_cast<int>((bits >> 52) & 0x7FF) - 1075;
  c = (bits & ((std::uint64_t{1} << 52) - 1)) | (std::uint64_t{1} << 52);
  return q > 0;
}
inline bool exact_integer_parts(float value, std::uint64_t& c, int& q) {
  const auto bits = std::bit_cast<std::uint32_t>(value);
  q = static_cast<int>((bits >> 23) & 0xFF) - 150;
  c = (bits & ((std::uint32_t{1} << 23) - 1)) | (std::uint32_t{1} << 23);
  return q > 0;
}

inline int decimal_length(std::uint64_t n) {
  constexpr std::uint64_t powers[] = {1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
                                      100000000ull, 1000000000ull, 10000000000ull, 100000000000ull,
                                      1000000000000ull, 10000000000000ull, 100000000000000ull,
                                      1000000000000000ull, 10000000000000000ull, 100000000000000000ull,
                                      1000000000000000000ull, 10000000000000000000ull};
  const int guess = (std::bit_width(n) * 1233) >> 12;  // floor(log10(2^bits)), one below at most
  return guess + (n >= powers[guess]);
}

inline constexpr char digit_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

inline void write_pair(char* p, std::uint32_t two_digits) { std::memcpy(p, digit_pairs + 2 * two_digits, 2); }

// Eight digits of v < 10^8, leading zeros included.
inline void write_eight(char* p, std::uint32_t v) {
  const std::uint32_t high = v / 10000, low = v % 10000;
  write_pair(p, high / 100);
  write_pair(p + 2, high % 100);
  write_pair(p + 4, low / 100);
  write_pair(p + 6, low % 100);
}

// The `length` (at most 20) last digits of n: eight at a time from the right, then pairs.
inline void write_digits(char* first, int length, std::uint64_t n) {
  char* p = first + length;
  while (p - first >= 8) {
    p -= 8;
    write_eight(p, static_cast<std::uint32_t>(n % 100000000u));
    n /= 100000000u;
  }
  auto rest = static_cast<std::uint32_t>(n);
  while (p - first >= 2) {
    p -= 2;
    write_pair(p, rest % 100);
    rest /= 100;
  }
  if (p != first) *--p = static_cast<char>('0' + rest);
}

// A finite value as std::to_chars writes it without a format (the shorter of fixed and scientific,
// fixed on a tie), with two changes for JSON: an exponent has no '+', and a number with neither a
// point nor an exponent gets ".0" (so it reads back as floating-point). At most 26 characters.
template <class F>
char* write_shortest(char* out, F value) {
  if (std::signbit(value)) *out++ = '-';
  const decimal_number d = shortest_decimal(value);
  if (d.significand == 0) {
    std::memcpy(out, "0.0", 3);
    return out + 3;
  }
  const int n = decimal_length(d.significand);
  const int e = d.exponent;
  const int scientific_exponent = e + n - 1;
  const int magnitude = scientific_exponent < 0 ? -scientific_exponent : scientific_exponent;
  const int scientific_length = n + (n > 1) + 2 + (magnitude >= 100 ? 3 : 2);
  const int fixed_length = e >= 0 ? n + e : (-e < n ? n + 1 : 2 - e);
  if (fixed_length <= scientific_length) {
    if (e >= 0) {  // digits, zeros, ".0"
      std::uint64_t c = 0;
      int q = 0;
      if (exact_integer_parts(value, c, q)) {
        out += write_exact_integer(out, c, q);
      } else {
        write_digits(out, n, d.significand);
        std::memset(out + n, '0', static_cast<std::size_t>(e));
        out += n + e;
      }
      std::memcpy(out, ".0", 2);
      return out + 2;
    }
    if (-e < n) {  // digits with the point inside
      const int whole = n + e;
      write_digits(out + 1, n, d.significand);
      std::memmove(out, out + 1, static_cast<std::size_t>(whole));
      out[whole] = '.';
      return out + n + 1;
    }
    const int zeros = -e - n;  // "0." then zeros, then digits
    out[0] = '0';
    out[1] = '.';
    std::memset(out + 2, '0', static_cast<std::size_t>(zeros));
    write_digits(out + 2 + zeros, n, d.significand);
    return out + 2 + zeros + n;
  }
  // d[.ddd]e[-]XX
  write_digits(out + 1, n, d.significand);
  out[0] = out[1];
  if (n > 1) {
    out[1] = '.';
    out += n + 1;
  } else {
    out += 1;
  }
  *out++ = 'e';
  if (scientific_exponent < 0) *out++ = '-';
  const int exponent_length = magnitude >= 100 ? 3 : 2;
  write_digits(out, exponent_length, static_cast<std::uint64_t>(magnitude));
  return out + exponent_length;
}

}  // namespace sb::json::detail

#include "carehub/clock.hpp"

#include <fmt/format.h>

#include <chrono>
#include <ctime>

namespace carehub {

std::int64_t SystemClock::now_ms() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string format_rfc3339_ms(std::int64_t epoch_ms) {
  // Pure arithmetic on purpose: glibc's gmtime_r takes a process-wide lock, and every API answer
  // that shows a time comes through here, on every thread at once.
  using namespace std::chrono;
  const sys_time<milliseconds> t{milliseconds(epoch_ms)};
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> tod{t - day};
  char buf[32];
  auto put = [&buf](int at, long value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10)
      buf[at + i] = static_cast<char>('0' + value % 10);
  };
  const int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) {
    return fmt::format("{}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", year,
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                       tod.hours().count(), tod.minutes().count(), tod.seconds().count(),
                       tod.subseconds().count());
  }
  put(0, year, 4);
  buf[4] = '-';
  put(5, static_cast<unsigned>(ymd.month()), 2);
  buf[7] = '-';
  put(8, static_cast<unsigned>(ymd.day()), 2);
  buf[10] = 'T';
  put(11, tod.hours().count(), 2);
  buf[13] = ':';
  put(14, tod.minutes().count(), 2);
  buf[16] = ':';
  put(17, tod.seconds().count(), 2);
  buf[19] = '.';
  put(20, tod.subseconds().count(), 3);
  buf[23] = 'Z';
  return std::string(buf, 24);
}

}  // namespace carehub
